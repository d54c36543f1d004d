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
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { bindHttpServer, RequestBodyTooLarge, readBody, sendAwsJson, urlOf } from '../http';
import { LOOPBACK_HOST } from '../ports';
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
  /** A listener already bound (see bindHttpServer), used instead of host and port. */
  readonly server?: Server;
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
  const service = new StepFunctionsService(options);
  const server =
    options.server ??
    (await bindHttpServer(options.host ?? LOOPBACK_HOST, options.port ?? 0, 'Step Functions'));
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    void handleRequest(service, request, response);
  });
  const url = urlOf(server);
  let closing: Promise<void> | undefined;

  return {
    url,
    port: Number(new URL(url).port),
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
    const body = (
      await readBody(request, MAX_BODY_BYTES).catch((error: unknown) => {
        throw error instanceof RequestBodyTooLarge
          ? apiErrors.validation(`Request body exceeds ${MAX_BODY_BYTES} bytes`)
          : error;
      })
    ).toString('utf8');
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

function send(
  response: ServerResponse,
  status: number,
  body: unknown,
  requestId: string,
  errorType?: string,
) {
  sendAwsJson(response, status, body, { contentType: CONTENT_TYPE, requestId, errorType });
}
