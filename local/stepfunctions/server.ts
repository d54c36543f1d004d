/**
 * A local AWS Step Functions endpoint: the JSON 1.0 protocol (POST /, `X-Amz-Target:
 * AWSStepFunctions.<Operation>`) on loopback, so the unchanged SDK `SFNClient`, pointed at it with
 * AWS_ENDPOINT_URL_SFN, starts and inspects executions that aws-local-stepfunctions runs in-process.
 * Signatures are accepted and not checked.
 *
 * Operations: StartExecution, DescribeExecution, GetExecutionHistory, ListExecutions (of a state
 * machine, an alias or a map run), StopExecution, DescribeMapRun, ListMapRuns.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { assertLoopbackHost, LOOPBACK_HOST } from '../ports';
import { apiErrors, SfnApiError } from './errors';
import type { ExecutionStatus } from './history';
import {
  type ExecutionDescription,
  type StatusListener,
  StepFunctionsService,
  type StepFunctionsSettings,
} from './operations';

export type { TaskHandler } from './executions';
export type { ExecutionStatus } from './history';
export { type InvokeFunction, lambdaTaskHandlers } from './lambda-tasks';
export type { ExecutionDescription, LocalStateMachine, StatusListener } from './operations';

export interface StepFunctionsOptions extends StepFunctionsSettings {
  /** A loopback address; anything else is refused. @default '127.0.0.1' */
  readonly host?: string;
  /** 0 picks a free port. @default 0 */
  readonly port?: number;
}

export interface LocalStepFunctions {
  /** The endpoint, for AWS_ENDPOINT_URL_SFN. */
  readonly url: string;
  readonly port: number;
  /** Resolves when no execution is running (and the persistence file is written). */
  waitForIdle(): Promise<void>;
  /** Executions, newest first. */
  listExecutions(filter?: { stateMachineArn?: string; status?: ExecutionStatus }): ExecutionDescription[];
  /**
   * Hears of every execution that closes (SUCCEEDED, FAILED, TIMED_OUT, ABORTED), including those that
   * closed while no one listened (kept in the persistence file); `undefined` stops listening.
   */
  setStatusListener(listener: StatusListener | undefined): void;
  /** Stops listening, aborts running executions (ABORTED), writes the persistence file. */
  close(): Promise<void>;
}

const TARGET_PREFIX = 'AWSStepFunctions.';
const MAX_BODY_BYTES = 4 * 1024 * 1024;
const CONTENT_TYPE = 'application/x-amz-json-1.0';

export async function startStepFunctions(options: StepFunctionsOptions): Promise<LocalStepFunctions> {
  const host = options.host ?? LOOPBACK_HOST;
  assertLoopbackHost(host, 'Step Functions');
  const service = new StepFunctionsService(options);
  const server = createServer((request, response) => {
    void handleRequest(service, request, response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    waitForIdle: () => service.waitForIdle(),
    listExecutions: (filter) => service.listExecutions(filter),
    setStatusListener: (listener) => service.setStatusListener(listener),
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        // SDK clients keep connections alive; without this, close() would wait for them to time out.
        server.closeAllConnections();
        await service.stopAll('The local Step Functions endpoint was closed while the execution was running');
        await closed;
      })();
      return closing;
    },
  };
}

async function handleRequest(
  service: StepFunctionsService,
  request: IncomingMessage,
  response: ServerResponse,
) {
  const requestId = randomUUID();
  try {
    const body = await readBody(request);
    const target = String(request.headers['x-amz-target'] ?? '');
    if (request.method !== 'POST' || !target.startsWith(TARGET_PREFIX))
      throw apiErrors.unknownOperation(target);
    let parsed: unknown = {};
    if (body.trim() !== '') {
      try {
        parsed = JSON.parse(body);
      } catch (error) {
        throw apiErrors.serialization((error as Error).message);
      }
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw apiErrors.serialization('expected a JSON object');
    }
    const result = service.handle(target.slice(TARGET_PREFIX.length), parsed as Record<string, unknown>);
    send(response, 200, result, requestId);
  } catch (error) {
    if (error instanceof SfnApiError) {
      send(response, error.statusCode, { __type: error.type, message: error.message }, requestId, error.type);
    } else {
      console.error(`[stepfunctions] ${(error as Error).stack}`);
      send(
        response,
        500,
        { __type: 'InternalFailure', message: (error as Error).message },
        requestId,
        'InternalFailure',
      );
    }
  }
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('end', () => {
      if (size > MAX_BODY_BYTES) reject(apiErrors.validation(`Request body exceeds ${MAX_BODY_BYTES} bytes`));
      else resolve(Buffer.concat(chunks).toString('utf8'));
    });
    request.on('error', reject);
  });
}

function send(
  response: ServerResponse,
  status: number,
  body: unknown,
  requestId: string,
  errorType?: string,
) {
  if (response.headersSent || response.destroyed) return;
  const payload = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': CONTENT_TYPE,
    'content-length': Buffer.byteLength(payload),
    'x-amzn-requestid': requestId,
    ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
  });
  response.end(payload);
}
