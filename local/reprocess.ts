/**
 * `npm run reprocess -- [--dry-run] [--all] [--json]`: runs every photo under Incoming/ through
 * ImageProc again with the reprocess workflow (a Step Functions Distributed Map, lib/reprocess.ts),
 * skipping those already made with the current pipeline version unless --all. The dry run counts and
 * prices what a run would redo. Against the running local cloud (`npm start`), else a private one for
 * the run; with --aws, against the deployed stack (its outputs, the AWS CLI's credentials).
 */
import './node-notice';
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_CONFIG } from '../lib/config';
import { connectCloud } from './cli/connect-cloud';
import { CLOUD_FLAGS, CLOUD_FLAGS_HELP, cloudOptionsFrom, configFromCdkJson } from './cli-options';
import { pipelineClients } from './pipeline-run';
import {
  dryRun,
  type ReprocessClients,
  type RunProgress,
  reprocessTarget,
  runReprocess,
} from './reprocess-run';

const USAGE = `Usage: npm run reprocess -- [--dry-run] [--all] [--json] [--timeout <seconds>]
       npm run reprocess -- --aws [--stack <name>] [--dry-run] [--all] [--json]

Runs every photo under Incoming/ through ImageProc again (the reprocess workflow, a Step Functions
Distributed Map), skipping photos already made with the current pipeline version.
  --dry-run   count the photos a run would redo (and those it would skip, and why) and price the run
  --all       redo every photo, up to date or not
  --json      the last line of stdout is one JSON object (the dry run's counts and estimatedCostUsd,
              or the run's processed, rejected, failed and skipped)
  --timeout   seconds to wait for the run (default 3600)
  --aws       the deployed stack (default ${DEFAULT_CONFIG.stackName}; outputs through the AWS CLI)

Exit status: 0 every photo done (or the dry run); 1 the run failed (more failures than tolerated, or
stopped); 3 the run succeeded with failed photos within the tolerated share; 2 a usage error.

${CLOUD_FLAGS_HELP}`;

let flags: ReturnType<typeof parse>['values'];
try {
  flags = parse().values;
} catch (error) {
  console.error(`${(error as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
if (flags.help) {
  console.log(USAGE);
  process.exit(0);
}
const timeoutSeconds = Number(flags.timeout ?? 3600);
if (!(timeoutSeconds > 0)) {
  console.error(`--timeout must be a number of seconds above 0, got "${flags.timeout}"`);
  process.exit(2);
}
const progressOut = process.stderr.isTTY ? process.stderr : null;
const config = configFromCdkJson();

let closeCloud = async () => {};
let clients: ReprocessClients & { destroy(): void };
let target: ReturnType<typeof reprocessTarget>;
if (flags.aws) {
  const stack = flags.stack ?? config.stackName;
  const described = JSON.parse(
    execFileSync('aws', ['cloudformation', 'describe-stacks', '--stack-name', stack, '--output', 'json'], {
      encoding: 'utf8',
    }),
  ) as { Stacks: { Outputs?: { OutputKey: string; OutputValue: string }[] }[] };
  const outputs = Object.fromEntries(
    (described.Stacks[0].Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]),
  );
  target = reprocessTarget(outputs, `The stack ${stack}`);
  // The SDK's own credential chain and region, as the AWS CLI found them.
  const s3 = new S3Client({});
  const dynamoClient = new DynamoDBClient({});
  const sfn = new SFNClient({});
  clients = {
    s3,
    dynamo: DynamoDBDocumentClient.from(dynamoClient),
    sfn,
    destroy() {
      s3.destroy();
      dynamoClient.destroy();
      sfn.destroy();
    },
  };
} else {
  const running = await connectCloud(cloudOptionsFrom(flags), progressOut);
  closeCloud = running.close;
  target = reprocessTarget(running.outputs, `The local cloud in ${running.stateDir}`);
  clients = pipelineClients(running.env);
}

let exitCode = 0;
try {
  const all = flags.all === true;
  if (flags['dry-run']) {
    const plan = await dryRun(clients, target, { all, config });
    const reasons = Object.entries(plan.skippedBy)
      .map(([reason, count]) => `${count} ${reason}`)
      .join(', ');
    const result = {
      dryRun: true,
      all,
      pipelineVersion: target.pipelineVersion,
      photos: plan.photos,
      skipped: plan.skipped,
      skippedBy: plan.skippedBy,
      estimatedCostUsd: round(plan.estimate.totalUsd),
      estimatedRekognitionUsd: round(plan.estimate.rekognitionUsd),
      perPhotoUsd: round(plan.estimate.perPhotoUsd),
      pricesAsOf: plan.estimate.pricesAsOf,
      region: plan.estimate.region,
    };
    if (flags.json) console.log(JSON.stringify(result));
    else {
      console.log(
        `${plan.photos} photo(s) would be processed again (pipeline version ${target.pipelineVersion}${all ? ', --all' : ''}); ` +
          `${plan.skipped} skipped${reasons ? ` (${reasons})` : ''}.`,
      );
      console.log(
        `Estimated cost: $${result.estimatedCostUsd.toFixed(4)} (of which Rekognition $${result.estimatedRekognitionUsd.toFixed(4)}; ` +
          `$${result.perPhotoUsd.toFixed(6)} a photo; ${result.region} prices as of ${result.pricesAsOf}).`,
      );
    }
  } else {
    const summary = await runReprocess(clients, target, {
      all,
      timeoutMs: timeoutSeconds * 1000,
      onProgress: (progress) => progressOut?.write(`\r${bar(progress)} `),
    });
    progressOut?.write('\n');
    const result = {
      status: summary.status,
      processed: summary.processed,
      rejected: summary.rejected,
      failed: summary.failed,
      stopped: summary.stopped,
      skipped: summary.skipped,
      skippedBy: summary.skippedBy,
      error: summary.error,
      cause: summary.cause,
      executionArn: summary.executionArn,
      mapRunArn: summary.mapRunArn,
      durationMs: summary.durationMs,
    };
    if (summary.status !== 'SUCCEEDED') {
      exitCode = 1;
      console.error(
        summary.error === 'States.ExceedToleratedFailureThreshold'
          ? `The reprocess run failed: ${summary.failed} photo(s) failed, more than the ${config.reprocess.toleratedFailurePercentage}% the workflow tolerates (reprocess.toleratedFailurePercentage); their records say why (FAILED, with the reason).`
          : `The reprocess run ended ${summary.status}${summary.error ? ` (${summary.error}: ${summary.cause ?? ''})` : ''}.`,
      );
    } else if (summary.failed > 0) {
      exitCode = 3;
    }
    if (flags.json) console.log(JSON.stringify(result));
    else {
      console.log(
        `Reprocess ${summary.status.toLowerCase()} in ${(summary.durationMs / 1000).toFixed(1)} s: ${summary.processed} processed, ` +
          `${summary.rejected} rejected, ${summary.failed} failed, ${summary.skipped} skipped` +
          (summary.stopped > 0
            ? `, ${summary.stopped} stopped before the end (run again to finish them).`
            : '.'),
      );
    }
  }
} finally {
  clients.destroy();
  await closeCloud();
}
process.exit(exitCode);

function parse() {
  return parseArgs({
    options: {
      ...CLOUD_FLAGS,
      'dry-run': { type: 'boolean' },
      all: { type: 'boolean' },
      json: { type: 'boolean' },
      timeout: { type: 'string' },
      aws: { type: 'boolean' },
      stack: { type: 'string' },
    },
  });
}

function bar({ total, done, running, failed }: RunProgress, width = 30): string {
  const filled = Math.round((done / Math.max(total, 1)) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} done, ${running} running, ${failed} failed`;
}

function round(usd: number): number {
  return Math.round(usd * 1e6) / 1e6;
}
