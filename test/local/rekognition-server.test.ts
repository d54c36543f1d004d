import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  DetectFacesCommand,
  DetectLabelsCommand,
  type DetectLabelsCommandInput,
  RekognitionClient,
  type RekognitionClientConfig,
} from '@aws-sdk/client-rekognition';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RekognitionServer, startRekognitionServer } from '../../local/rekognition/server';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The shared, read-only test images: `<repo>/../shared/fixtures`. */
const FIXTURES = path.resolve(REPO_ROOT, '..', 'shared', 'fixtures');
const fixture = (relativePath: string) => readFile(path.join(FIXTURES, relativePath));

const FRUITS = ['Apple', 'Banana', 'Orange', 'Fruit'];

/** A stand-in for the local cloud's S3: bucket → key → bytes. */
const objects = new Map<string, Buffer>();
const reads: string[] = [];
async function readS3Object(bucket: string, key: string, version?: string): Promise<Buffer> {
  reads.push(`${bucket}/${key}${version ? `?versionId=${version}` : ''}`);
  const data = objects.get(`${bucket}/${key}`);
  if (!data)
    throw Object.assign(new Error(`The specified key does not exist: ${key}`), { name: 'NoSuchKey' });
  return data;
}

let server: RekognitionServer;
let client: RekognitionClient;

function clientFor(
  target: RekognitionServer,
  config: Partial<RekognitionClientConfig> = {},
): RekognitionClient {
  return new RekognitionClient({
    endpoint: target.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
    ...config,
  });
}

async function errorOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail, it succeeded');
}

const detect = (input: DetectLabelsCommandInput) => client.send(new DetectLabelsCommand(input));

beforeAll(async () => {
  server = await startRekognitionServer({ readS3Object });
  client = clientFor(server);
  const loadMs = await server.warmUp();
  console.log(`[rekognition] model load (import, WASM init, weights, warm-up): ${loadMs.toFixed(0)} ms`);
});

afterAll(async () => {
  client?.destroy();
  await server?.close();
});

describe('DetectLabels on real photos', () => {
  it('finds the cat in cat.jpg, with a bounding box', async () => {
    // Act
    const response = await detect({ Image: { Bytes: await fixture('photos/cat.jpg') } });

    // Assess
    const cat = response.Labels?.find((l) => l.Name === 'Cat');
    expect(cat?.Confidence).toBeGreaterThanOrEqual(50);
    expect(cat?.Parents?.map((p) => p.Name)).toEqual(expect.arrayContaining(['Animal', 'Pet', 'Mammal']));
    const box = cat?.Instances?.[0]?.BoundingBox;
    expect(box?.Width).toBeGreaterThan(0.3);
    for (const v of [box?.Left, box?.Top, box?.Width, box?.Height]) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
    }
    expect(response.LabelModelVersion).toBe('3.0');
  });

  it('finds a person in astronaut.png', async () => {
    // Act
    const response = await detect({ Image: { Bytes: await fixture('photos/astronaut.png') } });

    // Assess
    expect(response.Labels?.map((l) => l.Name)).toContain('Person');
  });

  it('finds fruit in fruits.jpg', async () => {
    // Act
    const response = await detect({ Image: { Bytes: await fixture('photos/fruits.jpg') } });

    // Assess
    const names = response.Labels?.map((l) => l.Name) ?? [];
    expect(names.filter((n) => FRUITS.includes(n ?? '')).length).toBeGreaterThan(0);
  });

  it('returns labels sorted by confidence, none under the default MinConfidence of 55', async () => {
    // Act
    const response = await detect({ Image: { Bytes: await fixture('photos/fruits.jpg') } });

    // Assess
    const confidences = response.Labels?.map((l) => l.Confidence ?? 0) ?? [];
    expect(confidences.length).toBeGreaterThan(0);
    expect(confidences).toEqual([...confidences].sort((a, b) => b - a));
    expect(Math.min(...confidences)).toBeGreaterThanOrEqual(55);
  });

  it('honours MaxLabels', async () => {
    // Act
    const response = await detect({ Image: { Bytes: await fixture('photos/cat.jpg') }, MaxLabels: 2 });

    // Assess
    expect(response.Labels?.map((l) => l.Name)).toEqual(['Cat', 'Pet']);
  });

  it('honours MinConfidence', async () => {
    // Prepare
    const image = await fixture('photos/fruits.jpg');
    const all = (await detect({ Image: { Bytes: image }, MinConfidence: 0 })).Labels ?? [];
    const confidences = all.map((l) => l.Confidence ?? 0);
    const threshold = (Math.max(...confidences) + Math.min(...confidences)) / 2;

    // Act
    const response = await detect({ Image: { Bytes: image }, MinConfidence: threshold });

    // Assess
    const kept = response.Labels ?? [];
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(all.length);
    for (const label of kept) expect(label.Confidence).toBeGreaterThanOrEqual(threshold);
  });

  it('names what the detector cannot: the espresso in coffee.png, with its parents', async () => {
    // Act
    const response = await detect({
      Image: { Bytes: await fixture('photos/coffee.png') },
      MinConfidence: 70,
    });

    // Assess
    const espresso = response.Labels?.find((l) => l.Name === 'Espresso');
    expect(espresso?.Parents?.map((p) => p.Name)).toEqual(['Coffee', 'Beverage', 'Food']);
    expect(espresso?.Categories).toEqual([{ Name: 'Food and Beverage' }]);
    expect(espresso?.Instances).toEqual([]);
  });

  it('answers requests in flight at once, each with its own photo', async () => {
    // Act
    const [cat, coffee, again] = await Promise.all(
      ['photos/cat.jpg', 'photos/coffee.png', 'photos/cat.jpg'].map(async (name) =>
        detect({ Image: { Bytes: await fixture(name) } }),
      ),
    );

    // Assess
    expect(cat.Labels?.[0].Name).toBe('Cat');
    expect(coffee.Labels?.map((l) => l.Name)).toContain('Espresso');
    expect(again.Labels).toEqual(cat.Labels);
  });
});

describe('DetectLabels from S3', () => {
  it('reads the image through the injected S3 reader', async () => {
    // Prepare
    objects.set('photo-repo/Incoming/cat.jpg', await fixture('photos/cat.jpg'));

    // Act
    const response = await detect({
      Image: { S3Object: { Bucket: 'photo-repo', Name: 'Incoming/cat.jpg', Version: 'v1' } },
    });

    // Assess
    expect(reads).toContain('photo-repo/Incoming/cat.jpg?versionId=v1');
    expect(response.Labels?.map((l) => l.Name)).toContain('Cat');
  });

  it('fails with InvalidS3ObjectException when the object is missing', async () => {
    // Act
    const error = await errorOf(
      detect({ Image: { S3Object: { Bucket: 'photo-repo', Name: 'Incoming/nope.jpg' } } }),
    );

    // Assess
    expect(error.name).toBe('InvalidS3ObjectException');
    expect(error.message).toContain('Incoming/nope.jpg');
  });

  it('fails with ImageTooLargeException when the object is over 15 MB', async () => {
    // Prepare
    objects.set('photo-repo/Incoming/huge.jpg', Buffer.alloc(15 * 1024 * 1024 + 1));

    // Act
    const error = await errorOf(
      detect({ Image: { S3Object: { Bucket: 'photo-repo', Name: 'Incoming/huge.jpg' } } }),
    );

    // Assess
    expect(error.name).toBe('ImageTooLargeException');
  });

  it('fails with InvalidS3ObjectException when the server has no S3 reader', async () => {
    // Prepare
    const bare = await startRekognitionServer();
    const bareClient = clientFor(bare);

    // Act
    const error = await errorOf(
      bareClient.send(new DetectLabelsCommand({ Image: { S3Object: { Bucket: 'b', Name: 'k.jpg' } } })),
    );

    // Assess
    expect(error.name).toBe('InvalidS3ObjectException');
    bareClient.destroy();
    await bare.close();
  });
});

describe('DetectLabels refusals, as the SDK sees them', () => {
  it('fails with InvalidImageFormatException for a TIFF', async () => {
    // Act
    const error = await errorOf(detect({ Image: { Bytes: await fixture('unsupported/arbitro.tiff') } }));

    // Assess
    expect(error.name).toBe('InvalidImageFormatException');
    expect(error.message).toBe('Request has invalid image format');
  });

  it('fails with InvalidImageFormatException for a HEIF', async () => {
    // Act
    const error = await errorOf(detect({ Image: { Bytes: await fixture('unsupported/sample.heif') } }));

    // Assess
    expect(error.name).toBe('InvalidImageFormatException');
  });

  it('fails for a 32x32 PNG (under 80 px) with the InvalidParameterException AWS answers', async () => {
    // AWS does not call this an image format error: a too-small image gets the generic
    // "Request has invalid parameters" (reported by users of the real service, e.g. boto/botocore#1366).
    // Act
    const error = await errorOf(detect({ Image: { Bytes: await fixture('photos/pngsuite-basn2c08.png') } }));

    // Assess
    expect(error.name).toBe('InvalidParameterException');
  });

  it('fails with InvalidImageFormatException when a PNG header is fine but its pixels do not decode', async () => {
    // Prepare
    const valid = await sharp({
      create: {
        width: 120,
        height: 120,
        channels: 3,
        background: '#000',
        noise: { type: 'gaussian', mean: 128, sigma: 40 },
      },
    })
      .png()
      .toBuffer();
    const truncated = valid.subarray(0, Math.floor(valid.length / 2));

    // Act
    const error = await errorOf(detect({ Image: { Bytes: truncated } }));

    // Assess
    expect(error.name).toBe('InvalidImageFormatException');
  });

  it('fails with ValidationException when inline bytes exceed 5 MB', async () => {
    // Act
    const error = await errorOf(detect({ Image: { Bytes: Buffer.alloc(5 * 1024 * 1024 + 1, 0xff) } }));

    // Assess
    expect(error.name).toBe('ValidationException');
  });

  it('fails with ValidationException when MinConfidence is over 100', async () => {
    // Act
    const error = await errorOf(
      detect({ Image: { Bytes: await fixture('photos/cat.jpg') }, MinConfidence: 101 }),
    );

    // Assess
    expect(error.name).toBe('ValidationException');
  });

  it('fails with InvalidParameterException when Image has both Bytes and S3Object', async () => {
    // Act
    const error = await errorOf(
      detect({ Image: { Bytes: await fixture('photos/cat.jpg'), S3Object: { Bucket: 'b', Name: 'k' } } }),
    );

    // Assess
    expect(error.name).toBe('InvalidParameterException');
  });

  it('fails with UnknownOperationException for an operation it does not serve', async () => {
    // Act
    const error = await errorOf(
      client.send(new DetectFacesCommand({ Image: { Bytes: await fixture('photos/cat.jpg') } })),
    );

    // Assess
    expect(error.name).toBe('UnknownOperationException');
  });
});

describe('throttling', () => {
  it('fails the next two calls with ProvisionedThroughputExceededException, then succeeds', async () => {
    // Prepare
    const image = await fixture('photos/cat.jpg');
    server.throttleNext(2);

    // Act
    const first = await errorOf(detect({ Image: { Bytes: image } }));
    const second = await errorOf(detect({ Image: { Bytes: image } }));
    const third = await detect({ Image: { Bytes: image } });

    // Assess
    expect(first.name).toBe('ProvisionedThroughputExceededException');
    expect(second.name).toBe('ProvisionedThroughputExceededException');
    expect(third.Labels?.map((l) => l.Name)).toContain('Cat');
  });

  it('is retried by a client with the default retry strategy, as a throttling error', async () => {
    // Prepare
    const retrying = clientFor(server, { maxAttempts: 3 });
    server.throttleNext(1);

    // Act
    const response = await retrying.send(
      new DetectLabelsCommand({ Image: { Bytes: await fixture('photos/cat.jpg') } }),
    );

    // Assess
    expect(response.$metadata.attempts).toBe(2);
    retrying.destroy();
  });

  it('can be switched on over HTTP at /_local/throttle', async () => {
    // Prepare
    const before = server.stats.throttled;

    // Act
    const control = await fetch(`${server.url}/_local/throttle`, {
      method: 'POST',
      body: JSON.stringify({ count: 1 }),
    });
    const error = await errorOf(detect({ Image: { Bytes: await fixture('photos/cat.jpg') } }));

    // Assess
    expect(control.status).toBe(200);
    expect(error.name).toBe('ProvisionedThroughputExceededException');
    expect(server.stats.throttled).toBe(before + 1);
  });
});

describe('lifecycle', () => {
  it('fails when asked to listen beyond loopback', async () => {
    // Act / Assess
    await expect(startRekognitionServer({ host: '0.0.0.0' })).rejects.toThrow('listens on loopback only');
  });

  it('reports the port it chose and stops answering once closed', async () => {
    // Prepare
    const other = await startRekognitionServer({ readS3Object });
    const otherClient = clientFor(other);
    await otherClient.send(new DetectLabelsCommand({ Image: { Bytes: await fixture('photos/cat.jpg') } }));

    // Act
    await other.close();
    await other.close(); // idempotent

    // Assess
    expect(other.port).toBeGreaterThan(0);
    expect(other.url).toBe(`http://127.0.0.1:${other.port}`);
    await expect(fetch(`${other.url}/_local/stats`)).rejects.toThrow();
    otherClient.destroy();
  });

  it('leaves nothing that keeps a process alive after close()', async () => {
    // Prepare: a fresh process that loads the model, answers one call and closes.
    const script = `
      import { readFile } from 'node:fs/promises';
      import { DetectLabelsCommand, RekognitionClient } from '@aws-sdk/client-rekognition';
      import { startRekognitionServer } from './local/rekognition/server.ts';
      const server = await startRekognitionServer();
      const client = new RekognitionClient({ endpoint: server.url, region: 'us-east-1',
        credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
      const out = await client.send(new DetectLabelsCommand({ Image: { Bytes: await readFile(process.argv[1]) } }));
      client.destroy();
      await server.close();
      console.log(JSON.stringify(out.Labels.map((l) => l.Name)));
    `;

    // Act: the process must end by itself; execFile's timeout kills it otherwise.
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '--eval', script, path.join(FIXTURES, 'photos/cat.jpg')],
      { cwd: REPO_ROOT, timeout: 45_000 },
    );

    // Assess
    expect(JSON.parse(stdout.trim().split('\n').at(-1) ?? '[]')).toContain('Cat');
  });
});
