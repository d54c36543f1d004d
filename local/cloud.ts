/**
 * The local cloud: the app's synthesized template, run on this machine. Each service reads its own
 * slice of the template (tables, buckets and notifications, functions, state machines, rules, routes);
 * handlers run unchanged and reach the local services only through the SDK's AWS_ENDPOINT_URL_*
 * variables.
 *
 * It starts in two phases, so nothing is wired to an address that is not known yet: every listener is
 * bound first (DynamoDB, which needs no other service, starts whole), then each service is wired to
 * the others from the template.
 */
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { join, resolve } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { PipelineConfig } from '../lib/config';
import { API_PREFIX, browserOrigins, type LocalApiGateway, routesFrom, startApiGateway } from './api-gateway';
import { clientEnvironmentOf, type LocalCloudEndpoints } from './client-environment';
import {
  DYNAMODB_LOCAL_WARNING,
  type DynamoEngine,
  type LocalDynamo,
  startLocalDynamo,
  tablesFrom,
} from './dynamodb';
import { forwardStatusChanges, rulesFrom } from './events';
import { bindHttpServer, urlOf } from './http';
import { invokePermissionsFrom } from './lambda/permissions';
import { LambdaQualifiers } from './lambda/qualifiers';
import { FunctionRegistry } from './lambda/registry';
import type { LocalFunction } from './lambda/runtime';
import { notEmulatedFrom } from './not-emulated';
import {
  assertPortsFree,
  DEFAULT_PORTS,
  DEFAULT_STATE_DIR,
  LOCAL_OWNER,
  LOOPBACK_HOST,
  type PortSettings,
} from './ports';
import { type RekognitionServer, startRekognitionServer } from './rekognition/server';
import {
  bucketsFrom,
  type LocalS3,
  localS3Client,
  notificationsFrom,
  s3ObjectReader,
  startLocalS3,
} from './s3';
import { type LocalStepFunctions, startStepFunctions } from './stepfunctions/server';
import { stateMachinesFrom } from './stepfunctions/template';
import {
  type CfnTemplate,
  LOCAL_ACCOUNT,
  LOCAL_REGION,
  LocalNames,
  resolvedOutputs,
  synthesize,
} from './template';
import { localWebConfig } from './web-config';

export type { LocalCloudEndpoints } from './client-environment';

export interface LocalCloudOptions {
  /** Where buckets, tables, executions and logs persist between runs. @default '<repo>/.local-cloud' */
  readonly stateDir?: string;
  /** Port per service; 0 picks a free one. @default DEFAULT_PORTS */
  readonly ports?: Partial<PortSettings>;
  /** @default the default config */
  readonly config?: PipelineConfig;
  /**
   * dynalite (pure Node, bound to loopback) unless DynamoDB Local is asked for: its jar has no bind
   * option and listens on every interface. @default 'dynalite'
   */
  readonly dynamoEngine?: DynamoEngine;
  /** Delay before Lambda's first async retry (AWS: about a minute). @default 1000 */
  readonly asyncRetryDelayMs?: number;
  /** Execution environments per function. @default 2 (one per core) */
  readonly functionConcurrency?: number;
  /** The built web app (index.html and assets) to serve at the web URL. @default none: API only */
  readonly webRoot?: string;
  /** Progress lines. @default nothing */
  readonly log?: (line: string) => void;
}

export interface LocalCloud {
  readonly endpoints: LocalCloudEndpoints;
  readonly dynamoEngine: DynamoEngine;
  /** The DynamoDB server (tests use its fault injection, `unreachableFor`). */
  readonly dynamo: LocalDynamo;
  /** Physical names of the stack's outputs (bucket, table, state machine ARN), resolved locally. */
  readonly outputs: Record<string, string>;
  readonly template: CfnTemplate;
  readonly stateDir: string;
  readonly functions: ReadonlyMap<string, LocalFunction>;
  readonly rekognition: RekognitionServer;
  readonly stepFunctions: LocalStepFunctions;
  readonly s3: LocalS3;
  /** The environment a process needs for SDK clients to reach this cloud. */
  clientEnvironment(): Record<string, string>;
  /** Resolves when no upload or EventBridge event is being delivered and no execution is running. */
  waitForIdle(): Promise<void>;
  close(): Promise<void>;
}

export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const stateDir = resolve(options.stateDir ?? DEFAULT_STATE_DIR);
  const log = options.log ?? (() => {});
  mkdirSync(stateDir, { recursive: true });
  await assertPortsFree(options);

  const started = Date.now();
  const { template, stackName } = synthesize(options.config);
  const names = new LocalNames(stackName, template);
  const resources = Object.keys(template.Resources).length;
  log(`Synthesized ${stackName} (${resources} resources) in ${Date.now() - started} ms`);
  const slices = readTemplate(template, names);
  const start: StartContext = { options, stateDir, template, names, slices, log };

  const parts: CloudParts = { listeners: {} };
  try {
    const endpoints = await bindAll(start, parts);
    const { dynamo, registry, rekognition, stepFunctions, s3 } = await wireAll(start, endpoints, parts);
    // Attached last, so executions that closed while the cloud was down reach functions that run.
    stepFunctions.setStatusListener(forwardStatusChanges(slices.rules, registry, log));
    const replayed = registry.replayPending();
    if (replayed > 0) log(`Lambda async queue: ${replayed} event(s) from the last run delivered again`);
    if (slices.rules.length > 0) log(`EventBridge rules: ${slices.rules.map((rule) => rule.id).join(', ')}`);
    return {
      endpoints,
      dynamoEngine: dynamo.engine,
      dynamo,
      outputs: resolvedOutputs(template, names),
      template,
      stateDir,
      functions: registry.functions,
      rekognition,
      stepFunctions,
      s3,
      clientEnvironment: () => clientEnvironmentOf(endpoints),
      // Deliveries start executions and executions write objects; settle until all are quiet.
      async waitForIdle() {
        for (;;) {
          await s3.drain();
          await stepFunctions.waitForIdle();
          await registry.drain();
          if (s3.pending() === 0 && registry.pendingDeliveries === 0) return;
        }
      },
      close: () => closeAll(parts),
    };
  } catch (error) {
    await closeAll(parts);
    throw error;
  }
}

/** What the start reads once and both phases use. */
interface StartContext {
  readonly options: LocalCloudOptions;
  readonly stateDir: string;
  readonly template: CfnTemplate;
  readonly names: LocalNames;
  readonly slices: ReturnType<typeof readTemplate>;
  readonly log: (line: string) => void;
}

/**
 * Each service's slice of the template, read before any server starts: a pattern, target, alias or
 * notification AWS would refuse stops the start here.
 */
function readTemplate(template: CfnTemplate, names: LocalNames) {
  return {
    rules: rulesFrom(template, names),
    qualifiers: new LambdaQualifiers(template, names),
    // Checked (every reference resolves, every alarm a deployment names exists) and listed, not run.
    notEmulated: notEmulatedFrom(template, names),
    tables: tablesFrom(template, names),
    buckets: bucketsFrom(template, names),
    notifications: notificationsFrom(template, names, invokePermissionsFrom(template, names)),
    routes: routesFrom(template, names),
  };
}

/** What has started so far, for close(). */
interface CloudParts {
  /** Bound in phase 1; their services own them once started, and close() closes any left over. */
  readonly listeners: { rekognition?: Server; stepfunctions?: Server; s3?: Server; web?: Server };
  dynamo?: LocalDynamo;
  registry?: FunctionRegistry;
  rekognition?: RekognitionServer;
  stepFunctions?: LocalStepFunctions;
  s3?: LocalS3;
  /** The Distributed Map's client of the local S3, once a map run needed it. */
  mapRunS3?: S3Client;
  api?: LocalApiGateway;
}

/** Phase 1, every address known: DynamoDB starts (it needs no other service), every other listener is bound. */
async function bindAll({ options, stateDir, slices, log }: StartContext, parts: CloudParts) {
  // Every listener on loopback, with no option to change it: see LOOPBACK_HOST.
  const ports = { ...DEFAULT_PORTS, ...options.ports };
  const dynamo = await startLocalDynamo({
    host: LOOPBACK_HOST,
    port: ports.dynamodb,
    directory: join(stateDir, 'dynamodb'),
    engine: options.dynamoEngine,
    tables: slices.tables,
  });
  parts.dynamo = dynamo;
  log(`DynamoDB: ${dynamo.engine} at ${dynamo.url}`);
  if (dynamo.engine === 'DynamoDB Local') console.warn(DYNAMODB_LOCAL_WARNING(dynamo.url));
  const bind = async (service: keyof CloudParts['listeners'], port: number, name: string) => {
    parts.listeners[service] = await bindHttpServer(LOOPBACK_HOST, port, name);
    return urlOf(parts.listeners[service]);
  };
  const endpoints: LocalCloudEndpoints = {
    s3: await bind('s3', ports.s3, 'The local S3'),
    dynamodb: dynamo.url,
    stepfunctions: await bind('stepfunctions', ports.stepfunctions, 'Step Functions'),
    rekognition: await bind('rekognition', ports.rekognition, 'The local Rekognition endpoint'),
  };
  // The web app and API only when the template has an HTTP API.
  if (slices.routes.length > 0) endpoints.web = await bind('web', ports.web, 'The local API Gateway');
  return endpoints;
}

/** Phase 2: the functions, then each service on its listener, wired to the others and to the functions. */
async function wireAll(start: StartContext, endpoints: LocalCloudEndpoints, parts: CloudParts) {
  const { options, stateDir, template, names, slices, log } = start;
  const { listeners } = parts;
  const registry = new FunctionRegistry(template, names, slices.qualifiers, {
    stateDir,
    clientEnvironment: clientEnvironmentOf(endpoints),
    concurrency: options.functionConcurrency ?? 2,
    asyncRetryDelayMs: options.asyncRetryDelayMs ?? 1000,
    log,
  });
  parts.registry = registry;
  parts.rekognition = await startRekognitionServer({
    server: listeners.rekognition,
    readS3Object: s3ObjectReader(endpoints.s3),
  });
  parts.stepFunctions = await startStepFunctions({
    server: listeners.stepfunctions,
    region: LOCAL_REGION,
    accountId: LOCAL_ACCOUNT,
    stateMachines: stateMachinesFrom(template, names, registry),
    persistPath: join(stateDir, 'stepfunctions.json'),
    // A Distributed Map's ItemReader and ResultWriter; made at the first map run.
    s3Client: () => (parts.mapRunS3 ??= localS3Client(endpoints.s3)),
  });
  parts.s3 = await startLocalS3({
    server: listeners.s3,
    directory: join(stateDir, 's3'),
    buckets: slices.buckets,
    notifications: slices.notifications,
    allowedOrigins: endpoints.web ? browserOrigins(endpoints.web) : [],
    invokeAsync: (functionArn, event) => registry.invokeAsync(functionArn, event, 'S3 notification'),
  });
  log(`S3: s3rver at ${parts.s3.url}`);
  log(`Functions: ${[...registry.functions.keys()].join(', ')} (logs in ${join(stateDir, 'logs')})`);
  if (registry.qualifierCount > 0)
    log(`Lambda aliases and versions: ${registry.qualifierCount}, each running its function`);
  for (const line of slices.notEmulated) log(`Not emulated: ${line}`);
  if (listeners.web) {
    parts.api = await startApiGateway({
      server: listeners.web,
      routes: slices.routes,
      invoke: (functionArn, event) => registry.invoke(functionArn, event, 'An API route targets'),
      webRoot: options.webRoot,
      webConfig: localWebConfig(template, { apiUrl: API_PREFIX, user: LOCAL_OWNER }),
      s3Url: endpoints.s3,
    });
    log(`API: ${slices.routes.map((r) => r.routeKey).join(', ')} at ${parts.api.apiUrl}`);
  }
  return parts as Required<CloudParts>;
}

/**
 * Stops what started, callers first: EventBridge stops listening (executions aborted by the shutdown
 * keep their event for the next start), then the API, the functions, S3, Step Functions, Rekognition,
 * listeners no service took over, DynamoDB. A part that fails to stop does not keep the rest running.
 */
async function closeAll(parts: CloudParts): Promise<void> {
  const { api, registry, s3, mapRunS3, stepFunctions, rekognition, dynamo, listeners } = parts;
  const stops = [
    async () => stepFunctions?.setStatusListener(undefined),
    async () => api?.close(),
    async () => registry?.close(),
    async () => s3?.close(),
    async () => stepFunctions?.close(),
    async () => mapRunS3?.destroy(),
    async () => rekognition?.close(),
    ...Object.values(listeners).map((server) => async () => {
      if (server.listening) await new Promise((closed) => server.close(closed));
    }),
    async () => dynamo?.close(),
  ];
  for (const stop of stops) await stop().catch(() => {});
}
