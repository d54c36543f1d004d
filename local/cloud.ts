/**
 * The local cloud: the app's synthesized template, run on this machine. Buckets, tables, functions
 * (with their environment), bucket notifications and the state machine all come from the template;
 * handlers run unchanged and reach the local services only through the SDK's AWS_ENDPOINT_URL_*
 * variables.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { PipelineConfig } from '../lib/config';
import { LOCAL_ENTRY_METADATA } from '../lib/pipeline-function';
import { API_PREFIX, routesFrom, startApiGateway } from './api-gateway';
import { type DynamoEngine, type LocalDynamo, startLocalDynamo } from './dynamodb';
import { executionStatusChange, rulesFrom, targetsOf } from './events';
import { AsyncInvocationQueue, type QueueEntry } from './lambda/async-queue';
import { LambdaQualifiers } from './lambda/qualifiers';
import { FunctionError, LocalFunction } from './lambda/runtime';
import { notEmulatedFrom } from './not-emulated';
import {
  assertPortFree,
  DEFAULT_PORTS,
  LOCAL_OWNER,
  LOOPBACK_HOST,
  localCredentials,
  type PortSettings,
} from './ports';
import { type RekognitionServer, startRekognitionServer } from './rekognition/server';
import { DEFAULT_STATE_DIR } from './running-cloud';
import { type LocalS3, type NotificationRule, startLocalS3 } from './s3';
import {
  type LocalStateMachine,
  type LocalStepFunctions,
  lambdaTaskHandlers,
  startStepFunctions,
} from './stepfunctions/server';
import {
  type CfnTemplate,
  LOCAL_ACCOUNT,
  LOCAL_REGION,
  LocalNames,
  resourcesOfType,
  synthesize,
} from './template';
import { localWebConfig } from './web-config';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

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

export interface LocalCloudEndpoints {
  /** The web app, with the API under /api; absent when the template has no HTTP API. */
  web?: string;
  s3: string;
  dynamodb: string;
  stepfunctions: string;
  rekognition: string;
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

/** Fails with a message naming the service and the flag when one of the cloud's ports is taken. */
export async function assertPortsFree(options: Pick<LocalCloudOptions, 'ports'>): Promise<void> {
  const host = LOOPBACK_HOST;
  const ports = { ...DEFAULT_PORTS, ...options.ports };
  await assertPortFree(host, ports.s3, 'S3', '--s3-port');
  await assertPortFree(host, ports.dynamodb, 'DynamoDB', '--dynamodb-port');
  await assertPortFree(host, ports.stepfunctions, 'Step Functions', '--stepfunctions-port');
  await assertPortFree(host, ports.rekognition, 'Rekognition', '--rekognition-port');
  await assertPortFree(host, ports.web, 'web app and API', '--web-port');
}

export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  // Every listener on loopback, with no option to change it: see LOOPBACK_HOST.
  const host = LOOPBACK_HOST;
  const ports = { ...DEFAULT_PORTS, ...options.ports };
  const stateDir = resolve(options.stateDir ?? DEFAULT_STATE_DIR);
  const log = options.log ?? (() => {});
  mkdirSync(stateDir, { recursive: true });

  await assertPortsFree(options);

  const started = Date.now();
  const { template, stackName } = synthesize(options.config);
  const names = new LocalNames(stackName, template);
  log(
    `Synthesized ${stackName} (${Object.keys(template.Resources).length} resources) in ${Date.now() - started} ms`,
  );

  // Refused patterns and targets stop the start here, before any server starts.
  const eventRules = rulesFrom(template, names);
  const qualifiers = new LambdaQualifiers(template, names);
  // Checked (every reference resolves, every alarm a deployment names exists) and listed, not run.
  const notEmulated = notEmulatedFrom(template, names);

  const stoppers: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    for (const stop of stoppers.splice(0).reverse()) await stop().catch(() => {});
  };

  try {
    const dynamo: LocalDynamo = await startLocalDynamo({
      host,
      port: ports.dynamodb,
      directory: join(stateDir, 'dynamodb'),
      engine: options.dynamoEngine,
      tables: tablesFrom(template, names),
    });
    stoppers.push(dynamo.close);
    log(`DynamoDB: ${dynamo.engine} at ${dynamo.url}`);
    if (dynamo.engine === 'DynamoDB Local') console.warn(DYNAMODB_LOCAL_WARNING(dynamo.url));

    // The Rekognition and Step Functions endpoints need to know S3's and the functions' addresses,
    // and the functions need theirs: reserve S3 first, then start the rest.
    const functions = new Map<string, LocalFunction>();
    const byArn = new Map<string, LocalFunction>();
    /** The function an ARN invokes: a function's own, or one of its aliases or versions. */
    const functionFor = (arn: string): LocalFunction | undefined => {
      const functionArn = qualifiers.functionArnOf(arn, (candidate) => byArn.has(candidate));
      return functionArn === undefined ? undefined : byArn.get(functionArn);
    };
    const deadLetterDir = join(stateDir, 'dead-letters');

    let s3Url = '';
    // The web app's origin, once its server listens: the only origin the local S3 answers CORS for.
    let webOrigins: string[] = [];
    const rekognition = await startRekognitionServer({
      host,
      port: ports.rekognition,
      readS3Object: (bucket, key, version) => readObject(s3Url, bucket, key, version),
    });
    stoppers.push(rekognition.close);

    const asyncQueue = new AsyncInvocationQueue(join(stateDir, 'lambda-async-queue'));
    /**
     * Invokes a function as Lambda's async invoke does: the event is queued durably, then its retry
     * count, then its failure destination. An event the shutdown interrupts stays queued for the next start.
     */
    const deliverAsync = async (functionArn: string, event: unknown, source: string): Promise<void> => {
      const fn = functionFor(functionArn);
      if (!fn) {
        throw new Error(
          `${source} targets ${functionArn}, which is not a function, alias or version of this template`,
        );
      }
      await deliverQueued(fn, asyncQueue.add({ functionArn, event, source }));
    };
    const deliverQueued = async (fn: LocalFunction, entry: QueueEntry): Promise<void> => {
      const outcome = await fn.invokeAsync(entry.event, {
        retries: asyncRetriesOf(
          template,
          names,
          fn.spec.logicalId,
          LambdaQualifiers.qualifierOf(entry.functionArn),
        ),
        retryDelayMs: options.asyncRetryDelayMs ?? 1000,
        onFailure: (failedEvent, error) => {
          mkdirSync(deadLetterDir, { recursive: true });
          appendFileSync(
            join(deadLetterDir, `${fn.spec.logicalId}.jsonl`),
            `${JSON.stringify({ event: failedEvent, error })}\n`,
          );
          log(
            `${fn.spec.logicalId} failed after its retries (${error.errorType}: ${error.errorMessage}); event kept in ${deadLetterDir}`,
          );
        },
      });
      if (outcome === 'settled') asyncQueue.settle(entry);
    };
    /** EventBridge deliveries and replayed queue entries: what waitForIdle waits for besides S3's. */
    const deliveries = new Set<Promise<void>>();
    const track = (delivery: Promise<void>) => {
      const tracked = delivery.finally(() => deliveries.delete(tracked));
      deliveries.add(tracked);
    };

    const stateMachines = stateMachinesFrom(template, names, functionFor);
    const stepFunctions = await startStepFunctions({
      host,
      port: ports.stepfunctions,
      region: LOCAL_REGION,
      accountId: LOCAL_ACCOUNT,
      stateMachines,
      persistPath: join(stateDir, 'stepfunctions.json'),
    });
    stoppers.push(stepFunctions.close);

    const s3: LocalS3 = await startLocalS3({
      host,
      port: ports.s3,
      directory: join(stateDir, 's3'),
      buckets: resourcesOfType(template, 'AWS::S3::Bucket').map(([id]) => names.bucketName(id)),
      notifications: notificationsFrom(template, names),
      allowedOrigins: () => webOrigins,
      invokeAsync: (functionArn, event) => deliverAsync(functionArn, event, 'S3 notification'),
    });
    s3Url = s3.url;
    stoppers.push(s3.close);
    log(`S3: s3rver at ${s3.url}`);

    const endpoints: LocalCloudEndpoints = {
      s3: s3.url,
      dynamodb: dynamo.url,
      stepfunctions: stepFunctions.url,
      rekognition: rekognition.url,
    };
    const clientEnvironment = (): Record<string, string> => ({
      AWS_REGION: LOCAL_REGION,
      AWS_DEFAULT_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
      AWS_ENDPOINT_URL_S3: endpoints.s3,
      AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
      AWS_ENDPOINT_URL_SFN: endpoints.stepfunctions,
      AWS_ENDPOINT_URL_REKOGNITION: endpoints.rekognition,
      // s3rver stores aws-chunked bodies verbatim (silent corruption) and rejects flexible checksums.
      AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
      AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    });

    for (const [logicalId, resource] of resourcesOfType(template, 'AWS::Lambda::Function')) {
      const entry = resource.Metadata?.[LOCAL_ENTRY_METADATA] as string | undefined;
      if (!entry) continue; // CDK's deploy-time helpers (the notification handler): their effect is applied above.
      const props = resource.Properties as {
        Handler: string;
        MemorySize?: number;
        Timeout?: number;
        Environment?: { Variables?: Record<string, unknown> };
      };
      const name = names.functionName(logicalId);
      const memoryMb = props.MemorySize ?? 128;
      const fn = new LocalFunction(
        {
          logicalId,
          name,
          arn: names.functionArn(logicalId),
          entry: join(REPO_ROOT, entry),
          handlerExport: props.Handler.split('.').pop()!,
          timeoutSeconds: props.Timeout ?? 3,
          memoryMb,
          concurrency: options.functionConcurrency ?? 2,
          environment: {
            ...baseProcessEnvironment(),
            ...clientEnvironment(),
            AWS_LAMBDA_FUNCTION_NAME: name,
            AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
            AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
            AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`,
            TZ: 'UTC',
            ...names.resolve<Record<string, string>>(props.Environment?.Variables ?? {}),
          },
        },
        join(stateDir, 'logs'),
      );
      functions.set(logicalId, fn);
      byArn.set(fn.spec.arn, fn);
      stoppers.push(() => fn.close());
    }
    for (const machine of stateMachines) {
      for (const [stateName, resource] of Object.entries(taskResources(machine.definition))) {
        if (resource.startsWith('arn:aws:lambda:') && !functionFor(resource)) {
          throw new Error(
            `Task ${stateName} of ${machine.name} invokes ${resource}, which is not a function, alias or version of this template`,
          );
        }
      }
    }
    log(`Functions: ${[...functions.keys()].join(', ')} (logs in ${join(stateDir, 'logs')})`);
    if (qualifiers.size > 0)
      log(`Lambda aliases and versions: ${qualifiers.size}, each running its function`);
    for (const line of notEmulated) log(`Not emulated: ${line}`);

    const routes = routesFrom(template, names);
    const api =
      routes.length > 0
        ? await startApiGateway({
            host,
            port: ports.web,
            routes,
            invoke: (functionArn, event) => {
              const fn = functionFor(functionArn);
              if (!fn)
                throw new Error(
                  `An API route targets ${functionArn}, which is not a function, alias or version of this template`,
                );
              return fn.invoke(event);
            },
            webRoot: options.webRoot,
            webConfig: localWebConfig(template, { apiUrl: API_PREFIX, user: LOCAL_OWNER }),
            s3Url: s3.url,
          })
        : undefined;
    if (api) {
      stoppers.push(api.close);
      log(`API: ${routes.map((r) => r.routeKey).join(', ')} at ${api.apiUrl}`);
    }

    // Outputs that only mean something on AWS (a CloudFront URL, a Cognito domain) are left out.
    const outputs: Record<string, string> = {};
    for (const [key, output] of Object.entries(template.Outputs ?? {})) {
      try {
        outputs[key] = String(names.resolve(output.Value));
      } catch {}
    }

    // EventBridge: every closed execution's status change goes to the rules whose pattern matches it.
    // Attached last, so executions that closed while the cloud was down reach functions that run.
    stepFunctions.setStatusListener((execution) => {
      const event = executionStatusChange(execution, {
        region: LOCAL_REGION,
        account: LOCAL_ACCOUNT,
        id: randomUUID(),
      });
      for (const functionArn of targetsOf(eventRules, event)) {
        track(
          deliverAsync(functionArn, event, 'An EventBridge rule').catch((error: unknown) =>
            log(`EventBridge delivery failed: ${(error as Error).message}`),
          ),
        );
      }
    });
    // Events accepted before the last stop and not settled then: delivered again, as Lambda's own
    // queue would have kept delivering them. A function the template no longer has drops its events.
    const replayed = asyncQueue.pending();
    for (const entry of replayed) {
      const fn = functionFor(entry.functionArn);
      if (!fn) {
        log(`${entry.source} for ${entry.functionArn} dropped: not a function of this template any more`);
        asyncQueue.settle(entry);
        continue;
      }
      track(deliverQueued(fn, entry));
    }
    if (replayed.length > 0)
      log(`Lambda async queue: ${replayed.length} event(s) from the last run delivered again`);
    // Runs first on close: executions aborted by the shutdown keep their event for the next start.
    stoppers.push(async () => stepFunctions.setStatusListener(undefined));
    if (eventRules.length > 0) {
      log(`EventBridge rules: ${eventRules.map((rule) => rule.id).join(', ')}`);
    }

    if (api) {
      endpoints.web = api.url;
      // The same server, whichever loopback name the browser used to open it.
      const { port } = new URL(api.url);
      webOrigins = [...new Set([api.url, `http://localhost:${port}`, `http://127.0.0.1:${port}`])];
    }
    return {
      endpoints,
      dynamoEngine: dynamo.engine,
      dynamo,
      outputs,
      template,
      stateDir,
      functions,
      rekognition,
      stepFunctions,
      s3,
      clientEnvironment,
      async waitForIdle() {
        // Deliveries start executions and executions write objects; settle until both are quiet.
        for (;;) {
          await s3.drain();
          await stepFunctions.waitForIdle();
          await Promise.all([...deliveries]);
          if (s3.pending() === 0 && deliveries.size === 0) return;
        }
      },
      close: closeAll,
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/**
 * PATH and friends, so child processes and native modules behave; nothing AWS-related leaks in but
 * the SDK's switch for its Node-version notice (local/node-notice.ts), which would otherwise open
 * every function's log.
 */
function baseProcessEnvironment(): Record<string, string> {
  const keep = [
    'PATH',
    'HOME',
    'TMPDIR',
    'LANG',
    'NODE_PATH',
    'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED',
  ];
  return Object.fromEntries(
    keep.filter((key) => process.env[key] !== undefined).map((key) => [key, process.env[key]!]),
  );
}

/** What `npm start -- --dynamodb-local` prints: the jar cannot be bound to loopback. */
export const DYNAMODB_LOCAL_WARNING = (url: string) =>
  `WARNING: DynamoDB Local (${url}) listens on every network interface (its jar has no bind option): ` +
  'while it runs, anyone who can reach this machine can read and write its tables. Use it on a trusted ' +
  'network only, or leave out --dynamodb-local to use dynalite, which listens on loopback only.';

/**
 * CreateTable inputs for the template's tables: keys and indexes only. Whatever else the template
 * sets (TimeToLiveSpecification, streams, point-in-time recovery, SSE, tags) is left out: dynalite and
 * DynamoDB Local create the table without it, and nothing local depends on it (TTL deletion is
 * asynchronous and best-effort on AWS too, so code must not rely on it).
 */
export function tablesFrom(template: CfnTemplate, names: LocalNames): CreateTableCommandInput[] {
  return resourcesOfType(template, 'AWS::DynamoDB::Table').map(([logicalId, resource]) => {
    const props = names.resolve<Record<string, unknown>>(resource.Properties ?? {});
    const indexes = (list: unknown) =>
      (list as { IndexName: string; KeySchema: unknown; Projection: unknown }[] | undefined)?.map(
        ({ IndexName, KeySchema, Projection }) => ({ IndexName, KeySchema, Projection }),
      );
    return {
      TableName: names.tableName(logicalId),
      KeySchema: props.KeySchema,
      AttributeDefinitions: props.AttributeDefinitions,
      LocalSecondaryIndexes: indexes(props.LocalSecondaryIndexes),
      GlobalSecondaryIndexes: indexes(props.GlobalSecondaryIndexes),
      BillingMode: 'PAY_PER_REQUEST',
    } as CreateTableCommandInput;
  });
}

function notificationsFrom(template: CfnTemplate, names: LocalNames): NotificationRule[] {
  const permissions = resourcesOfType(template, 'AWS::Lambda::Permission').map(([, r]) =>
    names.resolve<Record<string, string>>(r.Properties),
  );
  return resourcesOfType(template, 'Custom::S3BucketNotifications').flatMap(([logicalId, resource]) => {
    const props = names.resolve<{
      BucketName: string;
      NotificationConfiguration: Record<string, unknown[]>;
    }>(resource.Properties);
    const unsupported = Object.keys(props.NotificationConfiguration).filter(
      (kind) => kind !== 'LambdaFunctionConfigurations',
    );
    if (unsupported.length > 0) {
      throw new Error(
        `${logicalId}: the local cloud delivers S3 notifications to Lambda only, not ${unsupported.join(', ')}`,
      );
    }
    const configurations = props.NotificationConfiguration.LambdaFunctionConfigurations as {
      Id?: string;
      Events: string[];
      Filter?: { Key?: { FilterRules?: { Name: string; Value: string }[] } };
      LambdaFunctionArn: string;
    }[];
    return configurations.map((configuration, index) => {
      // S3 can only invoke a function whose resource policy lets s3.amazonaws.com do so.
      const target = configuration.LambdaFunctionArn;
      const allowed = permissions.some(
        (p) =>
          p.Principal === 's3.amazonaws.com' &&
          p.Action === 'lambda:InvokeFunction' &&
          (p.FunctionName === target || target.endsWith(`:${p.FunctionName}`)),
      );
      if (!allowed) {
        throw new Error(
          `${logicalId}: no AWS::Lambda::Permission lets S3 invoke ${configuration.LambdaFunctionArn}; S3 would refuse this notification`,
        );
      }
      const rule = (name: string) =>
        configuration.Filter?.Key?.FilterRules?.find((r) => r.Name.toLowerCase() === name)?.Value ?? '';
      return {
        id: configuration.Id ?? `${logicalId}-${index}`,
        bucket: props.BucketName,
        events: configuration.Events,
        prefix: rule('prefix'),
        suffix: rule('suffix'),
        functionArn: configuration.LambdaFunctionArn,
      };
    });
  });
}

/** The retries of the EventInvokeConfig for the invoked qualifier (each applies to one); Lambda's default is 2. */
function asyncRetriesOf(
  template: CfnTemplate,
  names: LocalNames,
  functionLogicalId: string,
  qualifier: string,
): number {
  const config = resourcesOfType(template, 'AWS::Lambda::EventInvokeConfig').find(
    ([, r]) =>
      (r.Properties?.FunctionName as { Ref?: string } | undefined)?.Ref === functionLogicalId &&
      names.resolve<string>(r.Properties?.Qualifier ?? '$LATEST') === qualifier,
  );
  return (config?.[1].Properties?.MaximumRetryAttempts as number | undefined) ?? 2;
}

function stateMachinesFrom(
  template: CfnTemplate,
  names: LocalNames,
  functionByArn: (arn: string) => LocalFunction | undefined,
): LocalStateMachine[] {
  // Looked up per call: the functions are created after the endpoints they need (this one included).
  const invoke = (functionName: string, event: unknown) => {
    const fn = functionByArn(functionName);
    if (!fn)
      throw new FunctionError('Lambda.ResourceNotFoundException', `Function not found: ${functionName}`);
    return fn.invokeOrThrow(event);
  };
  const aliasArns = resourcesOfType(template, 'AWS::StepFunctions::StateMachineAlias').map(([logicalId]) =>
    names.qualifiedStateMachineArn(logicalId),
  );
  return resourcesOfType(template, 'AWS::StepFunctions::StateMachine').map(([logicalId, resource]) => {
    const props = resource.Properties as { DefinitionString: unknown; StateMachineType?: string };
    const definition = JSON.parse(names.resolve<string>(props.DefinitionString)) as object;
    const arn = names.stateMachineArn(logicalId);
    return {
      aliasArns: aliasArns.filter((aliasArn) => aliasArn.startsWith(`${arn}:`)),
      arn: names.stateMachineArn(logicalId),
      name: names.stateMachineArn(logicalId).split(':').pop()!,
      type: (props.StateMachineType ?? 'STANDARD') as 'STANDARD' | 'EXPRESS',
      definition,
      taskHandlers: lambdaTaskHandlers(definition, invoke),
    };
  });
}

/** Every Task's Resource, by state name, Parallel branches and Map iterators included. */
function taskResources(definition: object): Record<string, string> {
  const found: Record<string, string> = {};
  const visit = (states: Record<string, TaskState>) => {
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === 'Task') found[name] = state.Resource ?? '';
      for (const branch of state.Branches ?? []) visit(branch.States);
      const iterator = state.ItemProcessor ?? state.Iterator;
      if (iterator) visit(iterator.States);
    }
  };
  visit((definition as { States: Record<string, TaskState> }).States);
  return found;
}

interface TaskState {
  Type: string;
  Resource?: string;
  Branches?: { States: Record<string, TaskState> }[];
  Iterator?: { States: Record<string, TaskState> };
  ItemProcessor?: { States: Record<string, TaskState> };
}

async function readObject(s3Url: string, bucket: string, key: string, version?: string): Promise<Uint8Array> {
  const client = new S3Client({
    endpoint: s3Url,
    region: LOCAL_REGION,
    credentials: localCredentials,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  try {
    const response = await client.send(
      new GetObjectCommand({ Bucket: bucket, Key: key, VersionId: version }),
    );
    return await response.Body!.transformToByteArray();
  } finally {
    client.destroy();
  }
}
