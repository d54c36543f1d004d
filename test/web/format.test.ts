import { describe, expect, it } from 'vitest';
import type { WorkflowGraph } from '../../lambda/shared/workflow';
import { parseConfig } from '../../web/src/config';
import {
  formatBytes,
  formatCapturedAt,
  formatConfidence,
  formatCoordinates,
  formatDimensions,
  formatDuration,
  guessImageContentType,
  openStreetMapUrl,
} from '../../web/src/format';
import { parseRoute, photoHref } from '../../web/src/router';
import { parseS3Error } from '../../web/src/s3-error';

describe('formatting', () => {
  it('sizes in B, KB, MB', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(416 * 1024)).toBe('416 KB');
    expect(formatBytes(1.4 * 1024 * 1024)).toBe('1.4 MB');
    expect(formatBytes(null)).toBe('—');
  });

  it('durations', () => {
    expect(formatDuration(85)).toBe('85 ms');
    expect(formatDuration(1240)).toBe('1.24 s');
    expect(formatDuration(12_400)).toBe('12.4 s');
    expect(formatDuration(125_000)).toBe('2 min 5 s');
    expect(formatDuration(null)).toBe('—');
  });

  it('confidence, coordinates, dimensions', () => {
    expect(formatConfidence(97.345)).toBe('97.3%');
    expect(formatConfidence(99.99)).toBe('100%');
    expect(formatCoordinates(52.37403, -4.88969)).toBe('52.374030, -4.889690');
    expect(openStreetMapUrl(52.37403, 4.88969)).toBe(
      'https://www.openstreetmap.org/?mlat=52.374030&mlon=4.889690#map=16/52.374030/4.889690',
    );
    expect(formatDimensions(416, 300)).toBe('416 × 300 px');
    expect(formatDimensions(null, 300)).toBe('—');
  });

  it('capture time as the camera recorded it', () => {
    expect(formatCapturedAt('2008-05-30T15:56:01')).toBe('2008-05-30 15:56:01');
    expect(formatCapturedAt('2008-05-30T15:56:01+02:00')).toBe('2008-05-30 15:56:01 (UTC+02:00)');
    expect(formatCapturedAt(null)).toBe('—');
  });

  it('content types the API accepts, agreeing with the extension', () => {
    expect(guessImageContentType('a.jpg', 'image/jpeg')).toBe('image/jpeg');
    expect(guessImageContentType('A.TIFF', '')).toBe('image/tiff');
    expect(guessImageContentType('IMG_0001.HEIC', '')).toBe('image/heic');
    expect(guessImageContentType('IMG_0001.heic', 'application/octet-stream')).toBe('image/heic');
    expect(guessImageContentType('photo.png', 'image/x-png')).toBe('image/png');
    expect(guessImageContentType('dropped', 'image/webp')).toBe('image/webp');
    expect(guessImageContentType('dropped', 'image/jpg')).toBe('image/jpeg');
  });

  it('no content type for files the API refuses', () => {
    expect(guessImageContentType('notes.txt', 'text/plain')).toBeNull();
    expect(guessImageContentType('logo.svg', 'image/svg+xml')).toBeNull();
    expect(guessImageContentType('drawing', 'image/svg+xml')).toBeNull();
    expect(guessImageContentType('old.bmp', 'image/bmp')).toBeNull();
    expect(guessImageContentType('noext', '')).toBeNull();
  });
});

describe('S3 errors', () => {
  it('reads the message of an S3 error document', () => {
    const xml =
      '<?xml version="1.0" encoding="UTF-8"?><Error><Code>EntityTooLarge</Code><Message>Your proposed upload exceeds the maximum allowed size &amp; was refused</Message></Error>';
    expect(parseS3Error(xml)).toEqual({
      code: 'EntityTooLarge',
      message: 'Your proposed upload exceeds the maximum allowed size & was refused',
    });
    expect(parseS3Error('')).toEqual({ code: null, message: null });
  });
});

describe('routes', () => {
  it('parses the gallery and photo routes', () => {
    expect(parseRoute('')).toEqual({ name: 'gallery' });
    expect(parseRoute('#/')).toEqual({ name: 'gallery' });
    expect(parseRoute('#/photos/abc-123')).toEqual({ name: 'photo', photoId: 'abc-123' });
    expect(parseRoute(photoHref('a b/c'))).toEqual({ name: 'photo', photoId: 'a b/c' });
    expect(parseRoute('#/photos/%E0%A4%A')).toEqual({ name: 'gallery' });
  });
});

describe('config.json', () => {
  const base = 'https://d111.cloudfront.net/app/index.html';
  const workflow: WorkflowGraph = {
    startAt: 'A',
    states: [
      { name: 'A', type: 'Task' },
      { name: 'B', type: 'Succeed' },
    ],
    edges: [{ from: 'A', to: 'B', kind: 'next' }],
  };

  it('reads local mode and resolves a relative API URL', () => {
    expect(parseConfig({ mode: 'local', apiUrl: '/api/', user: 'local-user', workflow }, base)).toEqual({
      mode: 'local',
      apiUrl: 'https://d111.cloudfront.net/api',
      user: 'local-user',
      workflow,
    });
  });

  it('reads cognito mode', () => {
    const config = parseConfig(
      {
        mode: 'cognito',
        apiUrl: 'https://abc.execute-api.eu-west-1.amazonaws.com',
        region: 'eu-west-1',
        userPoolId: 'eu-west-1_x',
        clientId: 'client',
        cognitoDomain: 'https://p.auth.eu-west-1.amazoncognito.com/',
        redirectUri: 'https://d111.cloudfront.net/',
        workflow,
      },
      base,
    );
    expect(config).toMatchObject({
      mode: 'cognito',
      cognitoDomain: 'https://p.auth.eu-west-1.amazoncognito.com',
    });
  });

  it('lists every problem', () => {
    let message = '';
    try {
      parseConfig({ mode: 'cognito', apiUrl: '' }, base);
    } catch (error) {
      message = (error as Error).message;
    }
    for (const key of [
      'apiUrl',
      'region',
      'userPoolId',
      'clientId',
      'cognitoDomain',
      'redirectUri',
      'workflow',
    ]) {
      expect(message).toContain(`"${key}"`);
    }
    expect(() => parseConfig({ mode: 'other' }, base)).toThrow(/"mode"/);
    expect(() => parseConfig([], base)).toThrow(/object/);
  });

  it('fails when the workflow graph has an edge to a state it does not list', () => {
    const broken = { ...workflow, edges: [{ from: 'A', to: 'C', kind: 'next' }] };
    expect(() => parseConfig({ mode: 'local', apiUrl: '/api', user: 'u', workflow: broken }, base)).toThrow(
      /"workflow" must be the state machine graph/,
    );
  });
});
