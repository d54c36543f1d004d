/**
 * The Step Functions slice of the template: every AWS::StepFunctions::StateMachine, its definition
 * with intrinsics resolved, its aliases, and its Lambda Tasks bound to the template's functions.
 */
import { parseQualifiedArn } from '../arn';
import { type CfnTemplate, type LocalNames, resourcesOfType } from '../template';
import { classifyTaskResource, indexStates } from './definition';
import { type InvokeFunction, lambdaTaskHandlers } from './lambda-tasks';
import type { LocalStateMachine } from './operations';

/** The template's functions, as state machines reach them. */
export interface TaskFunctions {
  /** The function an ARN invokes; throws starting with `caller` when it is none of the template's. */
  get(arn: string, caller: string): unknown;
  /** Lambda's Invoke as a Task sees it: the result, or the function's error thrown. */
  invokeOrThrow: InvokeFunction;
}

export function stateMachinesFrom(
  template: CfnTemplate,
  names: LocalNames,
  functions: TaskFunctions,
): LocalStateMachine[] {
  const aliasArns = resourcesOfType(template, 'AWS::StepFunctions::StateMachineAlias').map(([logicalId]) =>
    names.qualifiedStateMachineArn(logicalId),
  );
  const invoke: InvokeFunction = (functionName, event) => functions.invokeOrThrow(functionName, event);
  return resourcesOfType(template, 'AWS::StepFunctions::StateMachine').map(([logicalId, resource]) => {
    const props = resource.Properties as { DefinitionString: unknown; StateMachineType?: string };
    const definition = JSON.parse(names.resolve<string>(props.DefinitionString)) as object;
    const arn = names.stateMachineArn(logicalId);
    const { name } = parseQualifiedArn(arn);
    // A Task naming a function the template does not have would fail only when an execution reaches it.
    for (const [stateName, state] of indexStates(definition)) {
      if (state.Type !== 'Task' || !state.Resource) continue;
      const resource = classifyTaskResource(state.Resource);
      if (resource.kind === 'lambda-function') {
        functions.get(resource.functionArn, `Task ${stateName} of ${name} invokes`);
      }
    }
    return {
      aliasArns: aliasArns.filter((aliasArn) => aliasArn.startsWith(`${arn}:`)),
      arn,
      name,
      type: (props.StateMachineType ?? 'STANDARD') as 'STANDARD' | 'EXPRESS',
      definition,
      taskHandlers: lambdaTaskHandlers(definition, invoke),
    };
  });
}
