/**
 * `npm run redrive`: sends the S3 events that ImageProcStartExecution dead-lettered (after its async
 * retries, kept in .local-cloud/dead-letters/) through start-execution again, against the running
 * local cloud (`npm start`, found through .local-cloud/running.json). A photo marked FAILED ("Processing
 * could not be started: ...") or left PROCESSING by those events is started again; redriven events
 * leave the file. On AWS the dead letters are in an SQS queue: see the README ("Redriving failed starts").
 */
import './node-notice';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_CONFIG } from '../lib/config';
import { redriveDeadLetters } from './dead-letters';
import { DEFAULT_STATE_DIR } from './ports';
import { redriveOnAws } from './redrive-aws';
import { readRunningCloud } from './running-cloud';

const USAGE = `Usage: npm run redrive [-- --state-dir <dir>]
       npm run redrive -- --aws [--stack <name>]

Re-delivers the start-execution dead letters of the running local cloud (npm start), or with --aws
those of the deployed stack (default ImageRecognition; the AWS CLI and its credentials), and removes
those that now succeed. Exit status 0 when every dead letter was redriven.`;

const { values: flags } = parseArgs({
  options: {
    'state-dir': { type: 'string' },
    aws: { type: 'boolean' },
    stack: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (flags.help) {
  console.log(USAGE);
  process.exit(0);
}
if (flags.aws) {
  const onAws = await redriveOnAws({
    stack: flags.stack ?? DEFAULT_CONFIG.stackName,
    log: (line) => console.log(line),
  });
  console.log(`${onAws.redriven} dead letter(s) redriven, ${onAws.failed} still failing.`);
  process.exit(onAws.failed > 0 ? 1 : 0);
}
const stateDir = resolve(flags['state-dir'] ?? DEFAULT_STATE_DIR);
const running = readRunningCloud(stateDir);
if (!running) {
  console.error(`No local cloud is running for ${stateDir}: start it with \`npm start\`, then redrive.`);
  process.exit(1);
}

const result = await redriveDeadLetters({
  deadLetterDir: join(stateDir, 'dead-letters'),
  env: running.env,
  tableName: running.outputs.ImageMetadataTableName,
  // Through the live alias, as start-execution itself starts executions.
  stateMachineArn: running.outputs.ImageProcLiveAliasArn ?? running.outputs.ImageProcStateMachineArn,
  log: (line) => console.log(line),
});
console.log(`${result.redriven} dead letter(s) redriven, ${result.failed.length} still failing.`);
process.exit(result.failed.length > 0 ? 1 : 0);
