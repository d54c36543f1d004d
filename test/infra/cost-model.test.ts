import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../lib/config';
import { costModelFor, TASK_FUNCTIONS } from '../../lib/cost-model';
import { aliasArn, allStates, imageProcDefinition, logicalId, synthTemplate } from './synth';

/** The logical id prefix of each function the receipt names. */
const FUNCTION_IDS = {
  extractMetadata: 'ProcessingExtractMetadataFunction',
  recordPhoto: 'ProcessingRecordPhotoFunction',
  detectLabels: 'ProcessingDetectLabelsFunction',
  generateThumbnail: 'ProcessingGenerateThumbnailFunction',
  generateRendition: 'ProcessingGenerateRenditionFunction',
} as const;

describe('cost model', () => {
  const template = synthTemplate();
  const states = allStates(imageProcDefinition(template));

  it('names every Task of ImageProc, with the function that Task invokes', () => {
    const tasks = Object.entries(states).filter(([, state]) => state.Type === 'Task');
    expect(tasks.map(([name]) => name).sort()).toEqual(Object.keys(TASK_FUNCTIONS).sort());
    for (const [name, state] of tasks) {
      const fn = TASK_FUNCTIONS[name] as keyof typeof FUNCTION_IDS;
      expect(state.Resource, name).toEqual(
        aliasArn(logicalId(template, 'AWS::Lambda::Function', FUNCTION_IDS[fn])),
      );
    }
  });

  it('gives GetPhoto the prices, the workflow type and each Task memory from the config', () => {
    const tuned = resolveConfig({
      workflowType: 'EXPRESS',
      functions: { generateThumbnail: { memoryMb: 2048 } },
    });
    const t = synthTemplate({
      workflowType: 'EXPRESS',
      functions: { generateThumbnail: { memoryMb: 2048 } },
    });
    const getPhoto =
      t.findResources('AWS::Lambda::Function')[logicalId(t, 'AWS::Lambda::Function', 'ApiGetPhotoFunction')];
    const model = JSON.parse(getPhoto.Properties.Environment.Variables.COST_MODEL);

    expect(model).toEqual(costModelFor(tuned));
    expect(model).toMatchObject({ workflowType: 'EXPRESS', taskMemoryMb: { GenerateThumbnail: 2048 } });
    expect(model.prices).toMatchObject({ asOf: '2026-11-26', region: 'us-east-1' });
  });

  it('fails when a configured price is not a price', () => {
    expect(() => resolveConfig({ pricing: { rekognition: { detectLabelsPerImage: -0.001 } } })).toThrow(
      'pricing.rekognition.detectLabelsPerImage must be a price in US dollars (a number >= 0), got -0.001',
    );
  });
});
