/**
 * The web app's config.json for the local cloud (lambda/shared/web-config.ts): local sign-in, the API
 * on the gateway's origin, and the graph of the ImageProc definition this template runs.
 */
import type { LocalConfig } from '../lambda/shared/web-config';
import { definitionFromTemplate, IMAGE_PROC_ARN_OUTPUT, workflowGraph } from '../lib/workflow-graph';
import type { CfnTemplate } from './template';

export function localWebConfig(
  template: CfnTemplate,
  settings: { apiUrl: string; user: string },
): LocalConfig {
  const value = template.Outputs?.[IMAGE_PROC_ARN_OUTPUT]?.Value as { Ref?: unknown } | undefined;
  const machine = typeof value?.Ref === 'string' ? template.Resources[value.Ref] : undefined;
  if (machine?.Type !== 'AWS::StepFunctions::StateMachine') {
    throw new Error(
      `The template's output ${IMAGE_PROC_ARN_OUTPUT} must be a Ref to the ImageProc state machine (lib/image-recognition-stack.ts); the web app draws its graph.`,
    );
  }
  const definition = definitionFromTemplate(machine.Properties?.DefinitionString);
  return { mode: 'local', ...settings, workflow: workflowGraph(definition) };
}
