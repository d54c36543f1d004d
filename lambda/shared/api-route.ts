import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { type ApiEvent, type ApiResponse, outcomeMetric } from './http';
import { type Log, logger, metrics } from './powertools';

/**
 * The adapter every API handler is: the event goes to the route's core with its dependencies (the
 * shared logger added), and the answer is counted, under the route's own metric on success, else as
 * refused (4xx) or failed (5xx). Each handler.ts wraps it in withPowertools itself, so the wrapping
 * stays visible (and checked) handler by handler.
 */
export function apiRoute<Deps extends object>(
  /** The metric a successful answer counts towards ("PhotosListed"). */
  successMetric: string,
  core: (event: ApiEvent, deps: NoInfer<Deps> & { readonly log: Log }) => Promise<ApiResponse>,
  deps: Deps,
): (event: ApiEvent) => Promise<ApiResponse> {
  const wired = { ...deps, log: logger };
  return async (event) => {
    const response = await core(event, wired);
    metrics.addMetric(outcomeMetric(successMetric, response), MetricUnit.Count, 1);
    return response;
  };
}
