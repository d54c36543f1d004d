/**
 * One TensorFlow.js runtime per thread for the stand-in's models: the tfjs bundled with
 * @vladmandic/human (core, converter and the WASM backend, SIMD, one thread), with file:// model
 * loading. Everything is read from disk; nothing is fetched at run time.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type * as tfjs from '@tensorflow/tfjs-core';
import type { Human } from '@vladmandic/human';
import { DETECTOR_INPUT_SIZE, detectorHumanConfig, resizeCenterNet } from './detector';

export type Tf = typeof tfjs & {
  loadGraphModel(url: string): Promise<GraphModel>;
};

/** The part of tfjs-converter's GraphModel the classifier uses. */
export interface GraphModel {
  execute(input: tfjs.Tensor): tfjs.Tensor;
  dispose(): void;
}

export interface TfRuntime {
  readonly tf: Tf;
  /** human, configured to run only the COCO object detector. */
  readonly human: Human;
  /** file:// URL of the folder holding human's own models (the detector). */
  readonly humanModels: string;
}

interface PackagePaths {
  readonly humanNodeWasm: string;
  readonly modelDir: string;
  readonly wasmDir: string;
}

function resolvePackagePaths(): PackagePaths {
  const require = createRequire(import.meta.url);
  // human's "exports" map spells its dist entries without "./", so Node only resolves the package root
  // (dist/human.node.js, which needs @tensorflow/tfjs-node). The WASM build sits next to it.
  const humanDist = path.dirname(require.resolve('@vladmandic/human'));
  return {
    humanNodeWasm: path.join(humanDist, 'human.node-wasm.js'),
    modelDir: path.join(humanDist, '..', 'models'),
    wasmDir: path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm')),
  };
}

/** Changes a model as it loads, by its model.json file name. */
type ModelTransform = (artifacts: tfjs.io.ModelArtifacts) => tfjs.io.ModelArtifacts;

/**
 * tfjs-core can load models over http(s) only; tfjs-node adds file://, but it cannot be installed
 * here. This router serves file:// model.json URLs (and their weight shards) from disk.
 */
function registerFileModelLoader(tf: Tf, transforms: Readonly<Record<string, ModelTransform>>): void {
  const router = (url: string | string[]) => {
    const modelUrl = Array.isArray(url) ? url[0] : url;
    if (typeof modelUrl !== 'string' || !modelUrl.startsWith('file://')) return null;
    const jsonPath = fileURLToPath(modelUrl);
    const handler: tfjs.io.IOHandler = {
      async load() {
        const modelJson = JSON.parse(await readFile(jsonPath, 'utf8')) as tfjs.io.ModelJSON;
        const artifacts = await tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
          const specs = manifest.flatMap((group) => group.weights);
          const shards = await Promise.all(
            manifest
              .flatMap((group) => group.paths)
              .map((p) => readFile(path.join(path.dirname(jsonPath), p))),
          );
          const all = Buffer.concat(shards);
          return [specs, all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer];
        });
        const transform = transforms[path.basename(jsonPath)];
        return transform ? transform(artifacts) : artifacts;
      },
    };
    return handler;
  };
  tf.io.registerLoadRouter(router as Parameters<typeof tf.io.registerLoadRouter>[0]);
}

type HumanConstructor = new (config: object) => Human;

let runtime: Promise<TfRuntime> | undefined;

/** This thread's runtime, created on first use (tfjs' engine and its WASM backend are per thread). */
export function tfRuntime(): Promise<TfRuntime> {
  runtime ??= (async () => {
    const paths = resolvePackagePaths();
    const { Human: HumanCtor } = createRequire(import.meta.url)(paths.humanNodeWasm) as {
      Human: HumanConstructor;
    };
    const humanModels = `${pathToFileURL(paths.modelDir).href}/`;
    const human = new HumanCtor({
      ...detectorHumanConfig(humanModels),
      backend: 'wasm',
      // tfjs appends the .wasm file name to this prefix.
      wasmPath: `${paths.wasmDir}${path.sep}`,
    });
    const tf = human.tf as Tf;
    registerFileModelLoader(tf, {
      'centernet.json': (artifacts) => resizeCenterNet(artifacts, DETECTOR_INPUT_SIZE),
    });
    await human.load();
    if (tf.getBackend() !== 'wasm') {
      throw new Error(
        `tfjs backend is '${tf.getBackend()}', expected 'wasm' (wasm files in ${paths.wasmDir})`,
      );
    }
    return { tf, human, humanModels };
  })().catch((error: unknown) => {
    runtime = undefined; // let the next caller try again
    throw error;
  });
  return runtime;
}
