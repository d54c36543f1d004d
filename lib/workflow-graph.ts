/**
 * The graph the web app draws (WorkflowGraph, lambda/shared/workflow.ts), made from a state machine's
 * Amazon States Language definition. Pure: the stack runs it on ImageProc's definition for the
 * deployed app's config.json, the local cloud on the definition it runs, the tests on the synthesized
 * template, so the picture always shows the states and edges of the definition that runs.
 */
import {
  ASL_STATE_TYPES,
  type GraphEdge,
  type GraphEdgeKind,
  type GraphState,
  type StateType,
  type WorkflowGraph,
} from '../lambda/shared/workflow';

/**
 * The stack output naming the ImageProc state machine: how the local cloud finds, among the template's
 * state machines, the one whose graph the web app draws (lib/image-recognition-stack.ts writes it).
 * Here rather than in the stack's module so that readers of a template need not load the CDK app.
 */
export const IMAGE_PROC_ARN_OUTPUT = 'ImageProcStateMachineArn';

/** The fields of an ASL state the graph reads; everything else (Parameters, Retry, …) is left out. */
interface AslStateShape {
  readonly Type?: unknown;
  readonly Next?: unknown;
  readonly Default?: unknown;
  readonly Choices?: unknown;
  readonly Catch?: unknown;
  readonly Branches?: unknown;
  readonly ItemProcessor?: unknown;
  readonly Iterator?: unknown;
}

interface AslScope {
  readonly StartAt?: unknown;
  readonly States?: unknown;
}

/**
 * The states (Parallel branches flattened, each branch state naming its Parallel) and every Next,
 * Choice, Default and Catch edge, in the definition's order. Throws when the definition is not one
 * (no StartAt or States, an unknown Type, an edge to a state that does not exist in its scope).
 */
export function workflowGraph(definition: unknown): WorkflowGraph {
  const states: GraphState[] = [];
  const edges: GraphEdge[] = [];
  const startAt = readScope(definition, 'the definition', states, edges);
  return { startAt, states, edges };
}

function readScope(
  scope: unknown,
  where: string,
  states: GraphState[],
  edges: GraphEdge[],
  parent?: { name: string; branch: number },
): string {
  const { StartAt, States } = (scope ?? {}) as AslScope;
  if (typeof StartAt !== 'string' || !States || typeof States !== 'object') {
    throw new Error(`${where} is not a state machine definition: it needs StartAt and States.`);
  }
  const entries = Object.entries(States as Record<string, AslStateShape>);
  const names = new Set(entries.map(([name]) => name));
  const target = (from: string, to: unknown, field: string): string => {
    if (typeof to !== 'string' || !names.has(to)) {
      throw new Error(
        `State ${from} in ${where}: its ${field} names ${JSON.stringify(to)}, which is no state there.`,
      );
    }
    return to;
  };
  target('StartAt', StartAt, 'StartAt');
  for (const [name, state] of entries) {
    const type = state.Type as StateType;
    if (!(ASL_STATE_TYPES as readonly string[]).includes(type)) {
      throw new Error(
        `State ${name} in ${where} has Type ${JSON.stringify(state.Type)}, which is no ASL state type.`,
      );
    }
    states.push(parent ? { name, type, parent: parent.name, branch: parent.branch } : { name, type });
    const edge = (to: string, kind: GraphEdgeKind) => edges.push({ from: name, to, kind });
    if (state.Next !== undefined) edge(target(name, state.Next, 'Next'), 'next');
    if (Array.isArray(state.Choices)) {
      for (const choice of state.Choices as { Next?: unknown }[]) {
        edge(target(name, choice?.Next, 'Choice rule Next'), 'choice');
      }
    }
    if (state.Default !== undefined) edge(target(name, state.Default, 'Default'), 'default');
    if (Array.isArray(state.Catch)) {
      for (const handler of state.Catch as { Next?: unknown }[]) {
        edge(target(name, handler?.Next, 'Catch Next'), 'catch');
      }
    }
    if (Array.isArray(state.Branches)) {
      state.Branches.forEach((branch, index) => {
        readScope(branch, `branch ${index + 1} of ${name}`, states, edges, { name, branch: index });
      });
    }
    // A Map's item processor is drawn like its one branch.
    const items = state.ItemProcessor ?? state.Iterator;
    if (items !== undefined)
      readScope(items, `the item processor of ${name}`, states, edges, { name, branch: 0 });
  }
  return StartAt;
}

/** Stands in for a CloudFormation intrinsic (an ARN, a Ref) inside the definition's JSON. */
const UNRESOLVED = '<unresolved>';

/**
 * The definition from a template's DefinitionString: a plain string, or the `Fn::Join` CDK makes when
 * the JSON holds ARNs known only at deploy time. Those pieces are always inside JSON strings (Resource,
 * FunctionName), so a placeholder in their place keeps the JSON well formed; the graph needs none of them.
 */
export function definitionFromTemplate(definitionString: unknown): unknown {
  if (typeof definitionString === 'string') return JSON.parse(definitionString);
  const join = (definitionString as { 'Fn::Join'?: unknown } | null)?.['Fn::Join'];
  if (!Array.isArray(join) || join[0] !== '' || !Array.isArray(join[1])) {
    throw new Error(
      `A DefinitionString must be a string or an Fn::Join with an empty separator, got ${JSON.stringify(definitionString)?.slice(0, 200)}.`,
    );
  }
  return JSON.parse(join[1].map((part: unknown) => (typeof part === 'string' ? part : UNRESOLVED)).join(''));
}
