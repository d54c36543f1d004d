import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { classifyNetworkFailure } from './errors';
import { METRICS_NAMESPACE } from './observability';

// One instance each per execution environment. POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE
// and POWERTOOLS_LOG_LEVEL (set by the CDK construct) override these defaults.
export const logger = new Logger({ serviceName: 'image-recognition' });
export const tracer = new Tracer({ serviceName: 'image-recognition' });
export const metrics = new Metrics({ serviceName: 'image-recognition', namespace: METRICS_NAMESPACE });

/**
 * Wraps a handler with the same Powertools middlewares everywhere: context in logs, a trace segment,
 * metrics flushed. The trace never records the handler's response: responses hold EXIF, GPS positions
 * and presigned URLs, and X-Ray metadata is readable by anyone who can read traces.
 */
export function withPowertools<TEvent, TResult>(
  handler: (event: TEvent, context: Context) => Promise<TResult>,
) {
  return (
    middy(handler)
      .use(injectLambdaContext(logger, { resetKeys: true }))
      .use(captureLambdaHandler(tracer, { captureResponse: false }))
      .use(logMetrics(metrics, { captureColdStartMetric: true }))
      // Last, so its onError runs first: the other middlewares log and trace the renamed error.
      .use({
        onError: (request) => {
          request.error = classifyNetworkFailure(request.error) as Error;
        },
      })
  );
}

/** What the cores need from a logger; tests pass a stub, handlers pass `logger`. */
export type Log = Pick<Logger, 'info' | 'warn' | 'error'>;
