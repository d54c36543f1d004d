import { readFileSync } from 'node:fs';
import { Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { buildApp, createInProcessApp } from '../../lib/app';
import { resolveConfig } from '../../lib/config';
import { synthTemplate } from './synth';

describe('cdk-nag AwsSolutions checks', () => {
  it('pass with zero unacknowledged findings', () => {
    const app = createInProcessApp();
    buildApp(app, resolveConfig());
    expect(() => app.synth()).not.toThrow();
  });

  it('pass for the throwaway-stack config too (auto-deleted buckets, Express workflow)', () => {
    const app = createInProcessApp();
    buildApp(app, resolveConfig({ dataRemovalPolicy: 'destroy', workflowType: 'EXPRESS' }));
    expect(() => app.synth()).not.toThrow();
  });

  it('fails synthesis when a finding is not acknowledged', () => {
    const app = createInProcessApp();
    const stack = buildApp(app, resolveConfig());
    new s3.Bucket(stack, 'UnloggedBucket', { enforceSSL: true });
    expect(() => app.synth()).toThrow(/AwsSolutions-S1/);
  });

  it('gives every acknowledgement a rule id and a specific reason', () => {
    const app = createInProcessApp();
    const stack = buildApp(app, resolveConfig());
    const acknowledgements = stack.node
      .findAll()
      .flatMap((construct) =>
        construct.node.metadata.filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY),
      )
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>));
    expect(acknowledgements.length).toBeGreaterThan(5);
    for (const [id, reason] of acknowledgements) {
      expect(id).toMatch(/^Annotation::AwsSolutions-[A-Z]+\d+(\[.+\])?$/);
      expect(reason.length, id).toBeGreaterThan(40);
    }
  });
});

describe('template snapshot', () => {
  it('matches, with asset hashes normalised', () => {
    const json = JSON.stringify(synthTemplate().toJSON(), null, 1)
      .replace(/[0-9a-f]{64}(\.zip)?/g, '[asset-hash]')
      // A function version's logical id ends with a hash of its code: any handler change renames it.
      .replace(/(CurrentVersion[0-9A-F]{8})[0-9a-f]{32}/g, '$1[code-hash]');
    expect(json).toMatchSnapshot();
  });

  it('keeps cdk.json free of notices, version reporting and telemetry', () => {
    const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8'));
    expect(cdkJson).toMatchObject({
      notices: false,
      versionReporting: false,
      context: { 'cli-telemetry': false },
    });
  });
});
