import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { resizeCenterNet } from '../../local/rekognition/detector';

const require = createRequire(import.meta.url);
const HUMAN_MODELS = path.join(path.dirname(require.resolve('@vladmandic/human')), '..', 'models');
const CLASSIFIER = new URL('../../local/rekognition/models/mobilenet-v2/', import.meta.url);

async function artifactsOf(jsonPath: string): Promise<tf.io.ModelArtifacts> {
  const json = JSON.parse(await readFile(jsonPath, 'utf8')) as tf.io.ModelJSON;
  return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
    const shards = await Promise.all(
      manifest.flatMap((group) => group.paths).map((p) => readFile(path.join(path.dirname(jsonPath), p))),
    );
    const all = Buffer.concat(shards);
    return [
      manifest.flatMap((group) => group.weights),
      all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
    ];
  });
}

/** Bytes per stored element: quantized weights are stored smaller; everything else here is 4 bytes. */
const STORED_BYTES: Record<string, number> = { float16: 2, uint8: 1 };

/** The int32 values of the named constant in a model's weights. */
function constant(artifacts: tf.io.ModelArtifacts, name: string): number[] {
  let offset = 0;
  for (const spec of artifacts.weightSpecs ?? []) {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    if (spec.name === name)
      return [...new Int32Array((artifacts.weightData as ArrayBuffer).slice(offset, offset + count * 4))];
    offset += count * (STORED_BYTES[spec.quantization?.dtype ?? ''] ?? 4);
  }
  throw new Error(`no constant ${name}`);
}

describe('resizeCenterNet', () => {
  it('sets the upsampling sizes, the decoder grid and the declared input for 384 px', async () => {
    // Prepare
    const original = await artifactsOf(path.join(HUMAN_MODELS, 'centernet.json'));

    // Act
    const resized = resizeCenterNet(original, 384);

    // Assess
    expect(constant(original, 'tower_0/CenternetHead/c3_upsample/up_sampling2d_2/mul')).toEqual([128, 128]);
    expect(constant(resized, 'tower_0/CenternetHead/c5_upsample/up_sampling2d/mul')).toEqual([24, 24]);
    expect(constant(resized, 'tower_0/CenternetHead/c4_upsample/up_sampling2d_1/mul')).toEqual([48, 48]);
    expect(constant(resized, 'tower_0/CenternetHead/c3_upsample/up_sampling2d_2/mul')).toEqual([96, 96]);
    expect(constant(resized, 'tower_0/BatchGather/concat')).toEqual([96 * 96, 4]);
    expect(constant(resized, 'tower_0/strided_slice_6')).toEqual([96]);
    expect(JSON.stringify(resized.signature)).toContain(
      '"dim":[{"size":"1"},{"size":"384"},{"size":"384"},{"size":"3"}]',
    );
    expect((resized.weightData as ArrayBuffer).byteLength).toBe(
      (original.weightData as ArrayBuffer).byteLength,
    );
  });

  it('fails when the graph is not the CenterNet it was written for', async () => {
    // Prepare
    const other = await artifactsOf(new URL('model.json', CLASSIFIER).pathname);

    // Act / Assess
    expect(() => resizeCenterNet(other, 384)).toThrow('found 0 of the 5 size constants');
  });

  it('fails for a size its strides cannot divide', async () => {
    // Prepare
    const original = await artifactsOf(path.join(HUMAN_MODELS, 'centernet.json'));

    // Act / Assess
    expect(() => resizeCenterNet(original, 390)).toThrow('multiple of 16');
  });
});
