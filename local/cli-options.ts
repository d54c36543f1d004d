import { readFileSync } from 'node:fs';
import type { ParseArgsConfig } from 'node:util';
import { type PipelineConfig, type PipelineConfigOverrides, resolveConfig } from '../lib/config';
import type { LocalCloudOptions } from './cloud';
import { DEFAULT_PORTS, type PortSettings } from './ports';

/** Flags shared by `npm start` and `npm run pipeline`. */
export const CLOUD_FLAGS = {
  'state-dir': { type: 'string' },
  'web-port': { type: 'string' },
  's3-port': { type: 'string' },
  'dynamodb-port': { type: 'string' },
  'stepfunctions-port': { type: 'string' },
  'rekognition-port': { type: 'string' },
  'dynamodb-local': { type: 'boolean' },
  /** The default since DynamoDB Local became opt-in; still accepted so older scripts keep working. */
  dynalite: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsConfig['options'];

export const CLOUD_FLAGS_HELP = `Local cloud options:
  --state-dir <dir>            where buckets, tables and executions persist (default .local-cloud)
  --web-port <port>            web app and API (default ${DEFAULT_PORTS.web})
  --s3-port <port>             S3 / s3rver (default ${DEFAULT_PORTS.s3})
  --dynamodb-port <port>       DynamoDB (default ${DEFAULT_PORTS.dynamodb})
  --stepfunctions-port <port>  Step Functions (default ${DEFAULT_PORTS.stepfunctions})
  --rekognition-port <port>    Rekognition (default ${DEFAULT_PORTS.rekognition})
  --dynamodb-local             run Amazon's DynamoDB Local (Java 17+) instead of dynalite; it listens
                               on every network interface, not on loopback only (a warning says so)
  --dynalite                   accepted and ignored: dynalite is the default`;

type Flags = {
  [K in keyof typeof CLOUD_FLAGS]?: (typeof CLOUD_FLAGS)[K]['type'] extends 'boolean' ? boolean : string;
};

export function cloudOptionsFrom(flags: Flags): LocalCloudOptions {
  const port = (name: keyof Flags, key: keyof PortSettings): Partial<PortSettings> => {
    const value = flags[name];
    if (value === undefined) return {};
    const number = Number(value);
    if (!Number.isInteger(number) || number < 0 || number > 65535) {
      throw new Error(`--${name} must be a port number from 0 to 65535, got "${value}"`);
    }
    return { [key]: number };
  };
  return {
    stateDir: flags['state-dir'] as string | undefined,
    ports: {
      ...port('web-port', 'web'),
      ...port('s3-port', 's3'),
      ...port('dynamodb-port', 'dynamodb'),
      ...port('stepfunctions-port', 'stepfunctions'),
      ...port('rekognition-port', 'rekognition'),
    },
    dynamoEngine: dynamoEngineFrom(flags),
    config: configFromCdkJson(),
  };
}

function dynamoEngineFrom(flags: Flags): LocalCloudOptions['dynamoEngine'] {
  if (flags['dynamodb-local'] && flags.dynalite)
    throw new Error('--dynamodb-local and --dynalite contradict each other; give one');
  return flags['dynamodb-local'] ? 'DynamoDB Local' : 'dynalite';
}

/** The same config `cdk synth` would use: the `pipeline` context in cdk.json, over the defaults. */
export function configFromCdkJson(): PipelineConfig {
  const cdkJson = JSON.parse(readFileSync(new URL('../cdk.json', import.meta.url), 'utf8')) as {
    context?: { pipeline?: PipelineConfigOverrides };
  };
  return resolveConfig(cdkJson.context?.pipeline ?? {});
}
