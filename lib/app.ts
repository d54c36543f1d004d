import { readFileSync } from 'node:fs';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { PipelineConfig } from './config';
import { ImageRecognitionStack } from './image-recognition-stack';

/**
 * Builds the app from one config. `bin/app.ts` (cdk synth/deploy), the infra tests and the local
 * cloud all call this, so they all see the same template.
 */
export function buildApp(app: App, config: PipelineConfig): ImageRecognitionStack {
  const stack = new ImageRecognitionStack(app, config.stackName, {
    config,
    description:
      'Serverless image recognition: S3 uploads -> Step Functions (metadata, Rekognition labels, thumbnails)',
  });
  // Every AwsSolutions finding fails synthesis unless acknowledged, with a reason, where it arises.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return stack;
}

/**
 * An App for in-process synthesis (tests, the local cloud): the feature flags from cdk.json, as the
 * CLI would pass them, and no bundling (bundles hold linux-arm64 binaries and take seconds each).
 *
 * `templateValidation: false` leaves out CDK's built-in CloudFormation validation (a WebAssembly
 * rules engine that takes about 3 s on its first run in a process, and whose findings are only
 * warnings unless a feature flag makes them errors). The local cloud starts without it; `cdk synth`,
 * CI and the infrastructure tests keep it, so the same template is still checked. cdk-nag runs
 * either way: its findings fail synthesis everywhere.
 */
export function createInProcessApp(options: { templateValidation?: boolean } = {}): App {
  const cdkJson = JSON.parse(readFileSync(new URL('../cdk.json', import.meta.url), 'utf8')) as {
    context: Record<string, unknown>;
  };
  return new App({
    context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] },
    builtinCloudFormationValidation: options.templateValidation ?? true,
  });
}
