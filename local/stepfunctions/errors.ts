/**
 * Errors of the Step Functions API, sent as the AWS JSON 1.0 protocol sends them: HTTP 400, body
 * `{"__type": name, "message": ...}` and header `x-amzn-ErrorType`, so the SDK throws the modelled
 * exception class (`ExecutionAlreadyExists`, `ExecutionDoesNotExist`, ...).
 */
export class SfnApiError extends Error {
  constructor(
    public readonly type: string,
    message: string,
    public readonly statusCode = 400,
  ) {
    super(message);
    this.name = type;
  }
}

export const apiErrors = {
  unknownOperation: (target: string) =>
    new SfnApiError(
      'UnknownOperationException',
      `Operation '${target}' is not supported by the local Step Functions`,
    ),
  serialization: (detail: string) =>
    new SfnApiError('SerializationException', `Request body is not valid JSON: ${detail}`),
  validation: (message: string) => new SfnApiError('ValidationException', message),
  invalidArn: (arn: string) => new SfnApiError('InvalidArn', `Invalid Arn: '${arn}'`),
  invalidArnContext: (resourceType: string) =>
    new SfnApiError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${resourceType}'`),
  invalidName: (name: string) => new SfnApiError('InvalidName', `Invalid Name: '${name}'`),
  invalidExecutionInput: (detail: string) =>
    new SfnApiError('InvalidExecutionInput', `Invalid State Machine Execution Input: '${detail}'`),
  invalidToken: (token: string) => new SfnApiError('InvalidToken', `Invalid Token: '${token}'`),
  stateMachineDoesNotExist: (arn: string) =>
    new SfnApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`),
  stateMachineTypeNotSupported: () =>
    new SfnApiError(
      'StateMachineTypeNotSupported',
      'This operation is not supported by this type of state machine',
    ),
  executionDoesNotExist: (arn: string) =>
    new SfnApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`),
  resourceNotFound: (message: string) => new SfnApiError('ResourceNotFound', message),
  executionAlreadyExists: (arn: string) =>
    new SfnApiError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`),
};
