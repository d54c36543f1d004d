/**
 * Binds the Lambda-backed Task states of a definition to local functions, with what Step Functions
 * adds around a Lambda call on AWS:
 *
 * - Resource = a function ARN (CDK LambdaInvoke with `payloadResponseOnly`): the state's effective
 *   input is the event; the function's return value is the state's result.
 * - Resource = `arn:aws:states:::lambda:invoke`: the effective input is `{ FunctionName, Payload, ... }`;
 *   the result is Lambda's Invoke response (`{ ExecutedVersion, Payload, SdkHttpMetadata,
 *   SdkResponseMetadata, StatusCode }`), so `OutputPath: '$.Payload'` / ResultSelector work as on AWS.
 * - An error thrown by the function becomes the state's Error = its `name` (what Retry / Catch match),
 *   Cause = the function-error JSON the Node.js Lambda runtime reports, `{"errorType", "errorMessage",
 *   "trace"}`, as AWS puts it in the Cause. An error whose name starts with `Lambda.` stands for the
 *   Lambda service failing (Lambda.ServiceException, Lambda.TooManyRequestsException, ...): its
 *   Cause stays the plain message, as the service's own error text is on AWS.
 *
 * Task states with other resources are left out: bind them yourself.
 */
import { randomUUID } from 'node:crypto';
import { classifyTaskResource, indexStates } from './definition';
import type { TaskHandler } from './executions';

/** Runs one local function, as Lambda's Invoke would. `functionName` is a name, ARN or partial ARN. */
export type InvokeFunction = (functionName: string, event: unknown) => Promise<unknown>;

const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';

export function lambdaTaskHandlers(definition: object, invoke: InvokeFunction): Record<string, TaskHandler> {
  const handlers: Record<string, TaskHandler> = {};
  for (const [stateName, state] of indexStates(definition)) {
    if (state.Type !== 'Task' || !state.Resource) continue;
    if (state.Resource === LAMBDA_INVOKE) {
      handlers[stateName] = async (input) => {
        const { FunctionName, Payload } = (input ?? {}) as { FunctionName?: unknown; Payload?: unknown };
        if (typeof FunctionName !== 'string') {
          throw taskError(
            'States.Runtime',
            `Task state '${stateName}': Parameters give no FunctionName string`,
          );
        }
        const payload = await invokeAsLambda(invoke, FunctionName, Payload ?? {});
        return invokeResponse(payload);
      };
    } else if (state.Resource.startsWith(`${LAMBDA_INVOKE}.`)) {
      throw new Error(
        `Task state '${stateName}': ${state.Resource} (callback / sync patterns) is not supported locally`,
      );
    } else {
      const resource = classifyTaskResource(state.Resource);
      if (resource.kind !== 'lambda-function') continue;
      const { functionArn } = resource;
      handlers[stateName] = (input) => invokeAsLambda(invoke, functionArn, input);
    }
  }
  return handlers;
}

async function invokeAsLambda(
  invoke: InvokeFunction,
  functionName: string,
  event: unknown,
): Promise<unknown> {
  try {
    return await invoke(functionName, event);
  } catch (thrown) {
    const error = thrown instanceof Error ? thrown : new Error(String(thrown));
    const errorType = error.name || 'Error';
    if (errorType.startsWith('Lambda.')) throw error;
    const cause = JSON.stringify({
      errorType,
      errorMessage: error.message,
      trace: error.stack?.split('\n') ?? [],
    });
    throw taskError(errorType, cause);
  }
}

/** Lambda's Invoke response as the lambda:invoke integration returns it (headers trimmed to the useful ones). */
function invokeResponse(payload: unknown) {
  const requestId = randomUUID();
  return {
    ExecutedVersion: '$LATEST',
    Payload: payload ?? null,
    SdkHttpMetadata: {
      HttpHeaders: {
        'Content-Type': 'application/json',
        'X-Amz-Executed-Version': '$LATEST',
        'x-amzn-RequestId': requestId,
      },
      HttpStatusCode: 200,
    },
    SdkResponseMetadata: { RequestId: requestId },
    StatusCode: 200,
  };
}

function taskError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}
