// A stand-in recognizer worker for the pool's tests: it speaks recognizer-worker.ts' messages without
// loading models. The image's text says what to do: `sleep:<ms>`, `fail`, `crash`, or anything else.
import { parentPort, threadId } from 'node:worker_threads';

parentPort.postMessage({ id: 0, ok: true, loadMs: 1 });
parentPort.on('message', async ({ id, image }) => {
  const text = Buffer.from(image).toString();
  const started = performance.timeOrigin + performance.now();
  if (text === 'crash') process.exit(3);
  if (text === 'fail') {
    parentPort.postMessage({
      id,
      ok: false,
      error: { name: 'ImageDecodeError', message: 'Image pixels do not decode: bad' },
    });
    return;
  }
  const sleep = /^sleep:(\d+)$/.exec(text);
  if (sleep) await new Promise((resolve) => setTimeout(resolve, Number(sleep[1])));
  const recognition = { detections: [], classes: [], decodeMs: 0, inferenceMs: 0 };
  parentPort.postMessage({
    id,
    ok: true,
    recognition: {
      ...recognition,
      text,
      threadId,
      started,
      ended: performance.timeOrigin + performance.now(),
    },
  });
});
