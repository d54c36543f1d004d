import { describe, expect, it } from 'vitest';
import {
  PROCESS_IMAGE_BRANCHES,
  STATE_NAMES,
  STATE_TYPES,
  TERMINAL_STATES,
} from '../../lambda/shared/workflow';
import { buildApp, createInProcessApp } from '../../lib/app';
import { resolveConfig } from '../../lib/config';
import { definitionFromTemplate, IMAGE_PROC_ARN_OUTPUT, workflowGraph } from '../../lib/workflow-graph';
import type { CfnTemplate } from '../../local/template';
import { localWebConfig } from '../../local/web-config';
import { imageProcDefinition, synthTemplate } from './synth';

const template = synthTemplate();
const [stateMachine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
/** The graph of the DefinitionString as synthesized: an Fn::Join around the functions' ARNs. */
const graph = workflowGraph(definitionFromTemplate(stateMachine.Properties.DefinitionString));

describe('the workflow contract (lambda/shared/workflow.ts)', () => {
  it('names every state of the synthesized ImageProc, with its type', () => {
    const types = Object.fromEntries(graph.states.map((state) => [state.name, state.type]));
    expect(types).toEqual(STATE_TYPES);
    expect([...STATE_NAMES].sort()).toEqual(Object.keys(types).sort());
  });

  it('has one end state per outcome, and they are the definition’s only ends', () => {
    const definition = imageProcDefinition(template);
    const ends = Object.entries(definition.States)
      .filter(([, state]) => state.Type === 'Succeed' || state.Type === 'Fail')
      .map(([name]) => name);
    expect(ends.sort()).toEqual([...TERMINAL_STATES].sort());
  });

  it('names ProcessImage’s results after the branch each one comes from', () => {
    const definition = imageProcDefinition(template);
    const parallel = definition.States.ProcessImage;
    const names = Object.keys(PROCESS_IMAGE_BRANCHES) as (keyof typeof PROCESS_IMAGE_BRANCHES)[];
    names.forEach((name, index) => {
      expect(parallel.Branches?.[index].StartAt, name).toBe(PROCESS_IMAGE_BRANCHES[name]);
      expect(parallel.ResultSelector?.[`${name}.$`], name).toBe(`$[${index}]`);
    });
    expect(Object.keys(parallel.ResultSelector ?? {})).toHaveLength(names.length);
  });
});

describe('workflowGraph', () => {
  it('reads every Next, Choice, Default and Catch edge of the synthesized definition', () => {
    expect(graph.startAt).toBe('ExtractImageMetadata');
    expect(graph.edges).toEqual([
      { from: 'ExtractImageMetadata', to: 'ImageTypeCheck', kind: 'next' },
      { from: 'ExtractImageMetadata', to: 'RecordFailure', kind: 'catch' },
      { from: 'ImageTypeCheck', to: 'StoreImageMetadata', kind: 'choice' },
      { from: 'ImageTypeCheck', to: 'RecordRejection', kind: 'default' },
      { from: 'RecordRejection', to: 'NotSupportedImageType', kind: 'next' },
      { from: 'RecordRejection', to: 'RecordFailure', kind: 'catch' },
      { from: 'RecordFailure', to: 'ImageProcessingFailed', kind: 'next' },
      { from: 'StoreImageMetadata', to: 'GenerateRendition', kind: 'next' },
      { from: 'StoreImageMetadata', to: 'RecordFailure', kind: 'catch' },
      { from: 'GenerateRendition', to: 'ProcessImage', kind: 'next' },
      { from: 'GenerateRendition', to: 'RecordFailure', kind: 'catch' },
      { from: 'ProcessImage', to: 'RecordReady', kind: 'next' },
      { from: 'ProcessImage', to: 'RecordFailure', kind: 'catch' },
      { from: 'RecordReady', to: 'PhotoReady', kind: 'next' },
      { from: 'RecordReady', to: 'RecordFailure', kind: 'catch' },
    ]);
  });

  it('puts each branch state under its Parallel, with the branch index', () => {
    expect(graph.states.filter((state) => state.parent)).toEqual([
      { name: 'DetectLabels', type: 'Task', parent: 'ProcessImage', branch: 0 },
      { name: 'GenerateThumbnail', type: 'Task', parent: 'ProcessImage', branch: 1 },
    ]);
  });

  it('is the same graph from the construct (the deployed config.json) and from the template', () => {
    const stack = buildApp(createInProcessApp({ templateValidation: false }), resolveConfig());
    expect(stack.processing.workflowGraph()).toEqual(graph);
  });

  it('is the graph the local cloud’s config.json carries', () => {
    const config = localWebConfig(template.toJSON() as CfnTemplate, { apiUrl: '/api', user: 'local-user' });
    expect(config).toEqual({ mode: 'local', apiUrl: '/api', user: 'local-user', workflow: graph });
  });

  it('reads a Map’s item processor like a branch', () => {
    const map = workflowGraph({
      StartAt: 'Each',
      States: {
        Each: {
          Type: 'Map',
          ItemProcessor: { StartAt: 'Work', States: { Work: { Type: 'Task', End: true } } },
          End: true,
        },
      },
    });
    expect(map.states).toEqual([
      { name: 'Each', type: 'Map' },
      { name: 'Work', type: 'Task', parent: 'Each', branch: 0 },
    ]);
  });

  it('fails when the definition has no StartAt or States', () => {
    expect(() => workflowGraph({ States: {} })).toThrow(/the definition is not a state machine definition/);
  });

  it('fails when an edge names a state that does not exist', () => {
    expect(() => workflowGraph({ StartAt: 'A', States: { A: { Type: 'Task', Next: 'Gone' } } })).toThrow(
      'State A in the definition: its Next names "Gone", which is no state there.',
    );
  });

  it('fails when a branch’s Catch leaves its branch', () => {
    expect(() =>
      workflowGraph({
        StartAt: 'P',
        States: {
          P: {
            Type: 'Parallel',
            End: true,
            Branches: [{ StartAt: 'B', States: { B: { Type: 'Task', End: true, Catch: [{ Next: 'P' }] } } }],
          },
        },
      }),
    ).toThrow(/State B in branch 1 of P: its Catch Next names "P"/);
  });

  it('fails when a state has no ASL type', () => {
    expect(() => workflowGraph({ StartAt: 'A', States: { A: { Type: 'Lambda', End: true } } })).toThrow(
      'State A in the definition has Type "Lambda", which is no ASL state type.',
    );
  });
});

describe('definitionFromTemplate', () => {
  it('reads a plain DefinitionString', () => {
    expect(definitionFromTemplate('{"StartAt":"A","States":{}}')).toEqual({ StartAt: 'A', States: {} });
  });

  it('reads an Fn::Join, with a placeholder for each intrinsic inside its strings', () => {
    const joined = { 'Fn::Join': ['', ['{"Resource":"arn:', { Ref: 'AWS::Partition' }, ':states"}']] };
    expect(definitionFromTemplate(joined)).toEqual({ Resource: 'arn:<unresolved>:states' });
  });

  it('fails when the DefinitionString is neither', () => {
    expect(() => definitionFromTemplate({ 'Fn::Sub': 'x' })).toThrow(
      /A DefinitionString must be a string or an Fn::Join with an empty separator/,
    );
  });
});

describe('the local config.json', () => {
  it('fails when the template does not name the ImageProc state machine', () => {
    expect(() => localWebConfig({ Resources: {}, Outputs: {} }, { apiUrl: '/api', user: 'u' })).toThrow(
      `The template's output ${IMAGE_PROC_ARN_OUTPUT} must be a Ref to the ImageProc state machine`,
    );
  });
});
