/** The one API handler adapter: the core gets its dependencies and the shared logger; every answer is counted. */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { describe, expect, it, vi } from 'vitest';
import { apiRoute } from '../../lambda/shared/api-route';
import { type ApiResponse, json } from '../../lambda/shared/http';
import { logger, metrics } from '../../lambda/shared/powertools';
import { apiEvent } from './api-helpers';

describe('apiRoute', () => {
  it("hands the event to the core with the handler's dependencies and the shared logger", async () => {
    vi.spyOn(metrics, 'addMetric').mockImplementation(() => metrics);
    const core = vi.fn(async (): Promise<ApiResponse> => json(200, {}));
    const event = apiEvent({});

    await apiRoute('PhotosListed', core, { tableName: 'ImageMetadata' })(event);

    expect(core).toHaveBeenCalledWith(event, { tableName: 'ImageMetadata', log: logger });
  });

  it.each([
    [200, 'PhotosListed'],
    [204, 'PhotosListed'],
    [404, 'ApiRequestsRefused'],
    [500, 'ApiRequestsFailed'],
  ])('counts a %i answer as %s, and returns it unchanged', async (statusCode, metric) => {
    const addMetric = vi.spyOn(metrics, 'addMetric').mockImplementation(() => metrics);
    const response: ApiResponse = { statusCode };

    const answer = await apiRoute('PhotosListed', async () => response, {})(apiEvent({}));

    expect(answer).toBe(response);
    expect(addMetric).toHaveBeenCalledExactlyOnceWith(metric, MetricUnit.Count, 1);
  });
});
