/**
 * `npm start`: runs the app's synthesized template on this machine until Ctrl-C.
 */
import './node-notice';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { CLOUD_FLAGS, CLOUD_FLAGS_HELP, cloudOptionsFrom } from './cli-options';
import { startLocalCloud } from './cloud';
import { assertPortsFree, DEFAULT_STATE_DIR } from './ports';
import { removeRunningCloud, writeRunningCloud } from './running-cloud';
import { buildWebApp } from './web-build';

const { values: flags } = parseArgs({ options: CLOUD_FLAGS, allowPositionals: false });
if (flags.help) {
  console.log(
    `Usage: npm start [-- options]\n\nRuns the whole app locally from the synthesized template.\n\n${CLOUD_FLAGS_HELP}`,
  );
  process.exit(0);
}

const started = Date.now();
let cloud: Awaited<ReturnType<typeof startLocalCloud>>;
try {
  const options = cloudOptionsFrom(flags);
  await assertPortsFree(options); // before the web build, so a taken port is reported at once
  const webRoot = await buildWebApp(join(resolve(options.stateDir ?? DEFAULT_STATE_DIR), 'web'));
  cloud = await startLocalCloud({
    ...options,
    webRoot: webRoot ?? undefined,
    log: (line) => console.log(`  ${line}`),
  });
} catch (error) {
  console.error(`Could not start the local cloud: ${(error as Error).message}`);
  process.exit(1);
}

// `npm run pipeline` and friends find this running cloud through it.
writeRunningCloud(cloud.stateDir, {
  pid: process.pid,
  env: cloud.clientEnvironment(),
  outputs: cloud.outputs,
});

console.log(`
Local cloud running (started in ${((Date.now() - started) / 1000).toFixed(1)} s), state in ${cloud.stateDir}
${cloud.endpoints.web ? `\n  Web app              ${cloud.endpoints.web}   <- open this\n  Photo API            ${cloud.endpoints.web}/api\n` : ''}
  PhotoRepo bucket     ${cloud.outputs.PhotoRepoBucketName}
  ImageMetadata table  ${cloud.outputs.ImageMetadataTableName}
  ImageProc            ${cloud.outputs.ImageProcStateMachineArn}

  S3                   ${cloud.endpoints.s3}
  DynamoDB             ${cloud.endpoints.dynamodb} (${cloud.dynamoEngine})
  Step Functions       ${cloud.endpoints.stepfunctions}
  Rekognition          ${cloud.endpoints.rekognition} (ImageNet classifier + COCO detector, ${cloud.rekognition.workers} worker threads)

Process photos:   npm run pipeline -- <file or folder>...
Stop:             Ctrl-C
`);

cloud.rekognition
  .warmUp()
  .then((ms) => console.log(`  Rekognition stand-in: models loaded in ${Math.round(ms)} ms`))
  .catch((error) =>
    console.error(`  Rekognition stand-in: the models failed to load: ${(error as Error).message}`),
  );

// Every service and the function workers' callers share this process's event loop, so its delay
// says whether the cloud itself keeps up. `kill -USR2 <pid>` (what `npm run bench` does) prints the
// delay since the previous SIGUSR2 (or since start) as one line, then starts measuring afresh.
const LOOP_DELAY_RESOLUTION_MS = 10;
const loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
loopDelay.enable();
let loopDelaySince = Date.now();
process.on('SIGUSR2', () => {
  // The histogram holds the time between the sampling timer's runs: the resolution plus the delay.
  const ms = (ns: number) => Math.max(0, Math.round((ns / 1e6 - LOOP_DELAY_RESOLUTION_MS) * 100) / 100);
  const report = {
    p50Ms: ms(loopDelay.percentile(50)),
    p99Ms: ms(loopDelay.percentile(99)),
    maxMs: ms(loopDelay.max),
    overMs: Date.now() - loopDelaySince,
  };
  console.log(`event-loop-delay ${JSON.stringify(report)}`);
  loopDelay.reset();
  loopDelaySince = Date.now();
});

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the local cloud...`);
  removeRunningCloud(cloud.stateDir);
  await cloud.close();
  console.log('Stopped.');
  process.exit(0);
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
