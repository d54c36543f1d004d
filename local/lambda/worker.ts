/**
 * One Lambda execution environment: imports the handler once (the cold start) and runs one event at a
 * time, like a Lambda instance. Its process.env is the function's environment from the template.
 */
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';

export interface WorkerData {
  entry: string;
  handlerExport: string;
  functionName: string;
  functionArn: string;
  memoryMb: number;
  timeoutSeconds: number;
}

export type WorkerRequest = { id: number; event: unknown };
export type WorkerResponse =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; errorType: string; errorMessage: string; trace: string[] };

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

const data = workerData as WorkerData;
const handler = (await import(pathToFileURL(data.entry).href))[data.handlerExport] as Handler | undefined;
if (typeof handler !== 'function') {
  throw new Error(`${data.entry} exports no function named ${data.handlerExport}`);
}

parentPort!.on('message', async ({ id, event }: WorkerRequest) => {
  const deadline = Date.now() + data.timeoutSeconds * 1000;
  const context = {
    functionName: data.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: data.functionArn,
    memoryLimitInMB: String(data.memoryMb),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${data.functionName}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  try {
    const result = await handler(event, context);
    parentPort!.postMessage({ id, ok: true, result: result ?? null } satisfies WorkerResponse);
  } catch (error) {
    const err = error instanceof Error ? error : new Error(String(error));
    parentPort!.postMessage({
      id,
      ok: false,
      // What Lambda reports as errorType, and Step Functions as the Error it matches Retry/Catch on.
      errorType: err.name || 'Error',
      errorMessage: err.message,
      trace: (err.stack ?? '').split('\n'),
    } satisfies WorkerResponse);
  }
});
