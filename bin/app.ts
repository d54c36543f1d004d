#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { buildApp } from '../lib/app';
import { type PipelineConfigOverrides, resolveConfig } from '../lib/config';

const app = new App();
buildApp(app, resolveConfig(readOverrides(app.node.tryGetContext('pipeline'))));

/** `pipeline` context comes as an object from cdk.json, or as a JSON string from `-c pipeline='{…}'`. */
function readOverrides(value: unknown): PipelineConfigOverrides {
  if (value === undefined) return {};
  if (typeof value === 'string') {
    try {
      return JSON.parse(value) as PipelineConfigOverrides;
    } catch (error) {
      throw new Error(`The "pipeline" context is not valid JSON (${(error as Error).message}): ${value}`);
    }
  }
  return value as PipelineConfigOverrides;
}
