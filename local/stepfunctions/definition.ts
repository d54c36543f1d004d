/**
 * Reading an Amazon States Language definition: every state by name (Parallel branches and Map
 * processors included), what a Task's Resource is, and the one adjustment made before the definition
 * reaches aws-local-stepfunctions.
 */

import { isFunctionArn } from '../arn';

/** The fields of a state this package reads; the definition itself is passed on untouched. */
export interface AslState {
  readonly Type: string;
  readonly Resource?: string;
  readonly TimeoutSeconds?: number;
  readonly TimeoutSecondsPath?: string;
  readonly Error?: string;
  readonly ErrorPath?: string;
  readonly Cause?: string;
  readonly CausePath?: string;
  readonly Branches?: readonly AslStates[];
  readonly ItemProcessor?: AslStates;
  readonly Iterator?: AslStates;
}

export interface AslStates {
  readonly StartAt: string;
  readonly States: Readonly<Record<string, AslState>>;
}

/**
 * Every state by name. State names are unique across a whole state machine (AWS rejects a
 * definition that repeats one, nested or not), which is what lets Task handlers be keyed by name.
 */
export function indexStates(definition: object): ReadonlyMap<string, AslState> {
  const index = new Map<string, AslState>();
  const visit = (states: AslStates) => {
    for (const [name, state] of Object.entries(states.States ?? {})) {
      if (index.has(name))
        throw new Error(`State name '${name}' is used twice; AWS requires unique state names`);
      index.set(name, state);
      for (const branch of state.Branches ?? []) visit(branch);
      const processor = state.ItemProcessor ?? state.Iterator;
      if (processor) visit(processor);
    }
  };
  visit(definition as AslStates);
  return index;
}

/**
 * The definition with `patch` applied to every state, the nested ones (Parallel branches, Map
 * processors) first, so a patch sees its state's patched children.
 */
export function mapStates(definition: object, patch: (state: AslState) => AslState): AslStates {
  const patchStates = (states: AslStates): AslStates => ({
    ...states,
    States: Object.fromEntries(
      Object.entries(states.States ?? {}).map(([name, state]) => [name, patch(withPatchedChildren(state))]),
    ),
  });
  const withPatchedChildren = (state: AslState): AslState => {
    let patched: AslState = state;
    if (state.Branches) patched = { ...patched, Branches: state.Branches.map(patchStates) };
    if (state.ItemProcessor) patched = { ...patched, ItemProcessor: patchStates(state.ItemProcessor) };
    if (state.Iterator) patched = { ...patched, Iterator: patchStates(state.Iterator) };
    return patched;
  };
  return patchStates(definition as AslStates);
}

/** How a Task state's Resource shows in the execution history. */
export type TaskResource =
  /** A function ARN as Resource: LambdaFunctionScheduled / Started / Succeeded / Failed events. */
  | { readonly kind: 'lambda-function'; readonly functionArn: string }
  /** `arn:aws:states:::<service>:<action>`: TaskScheduled / Started / Succeeded / Failed events. */
  | { readonly kind: 'service'; readonly resourceType: string; readonly resource: string };

export function classifyTaskResource(resource: string): TaskResource {
  if (isFunctionArn(resource)) {
    return { kind: 'lambda-function', functionArn: resource };
  }
  const integration = /^arn:[\w-]+:states:::(.+)$/.exec(resource);
  if (integration) {
    // 'lambda:invoke' → (lambda, invoke); 'aws-sdk:dynamodb:putItem' → (aws-sdk:dynamodb, putItem).
    const parts = integration[1].split(':');
    return { kind: 'service', resourceType: parts.slice(0, -1).join(':'), resource: parts[parts.length - 1] };
  }
  return { kind: 'service', resourceType: resource.split(':')[2] ?? 'unknown', resource };
}

/** setTimeout's ceiling (2^31 - 1 ms), in whole seconds. */
const MAX_TIMER_SECONDS = 2_147_483;

/**
 * The definition as aws-local-stepfunctions should run it. The library times a Task out after 60 s
 * when it has no TimeoutSeconds; AWS has no such default (the States Language default is 99999999 s),
 * so a slow local Task (two cores shared by every function) would fail with States.Timeout here and
 * succeed on AWS. Such Tasks get the longest timeout a Node timer can hold.
 *
 * The top-level TimeoutSeconds (the execution's own limit; the library ends the execution TIMED_OUT
 * past it) is kept, capped at that same longest timer: a longer one would fire at once.
 */
export function forLocalRun(definition: object): object {
  const patched = mapStates(definition, (state) =>
    state.Type === 'Task' && state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined
      ? { ...state, TimeoutSeconds: MAX_TIMER_SECONDS }
      : state,
  ) as AslStates & { TimeoutSeconds?: number };
  if (typeof patched.TimeoutSeconds === 'number' && patched.TimeoutSeconds > MAX_TIMER_SECONDS) {
    return { ...patched, TimeoutSeconds: MAX_TIMER_SECONDS };
  }
  return patched;
}
