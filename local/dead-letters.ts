/**
 * The local cloud's dead letters (`<state dir>/dead-letters/<function logical id>.jsonl`, one
 * `{ event, error }` a line, written when an asynchronous invoke fails after its retries) and their
 * redrive: each dead-lettered S3 event goes through start-execution again, with the running cloud's
 * table and state machine. A redriven event leaves its file; one that fails again stays.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { S3Event } from 'aws-lambda';
import { errorReason } from '../lambda/shared/errors';
import type { Log } from '../lambda/shared/powertools';
import { readRecords, startAll } from '../lambda/start-execution/start-execution';

export interface DeadLetter {
  /** The file it is in and the line, as written (to remove exactly it once redriven). */
  readonly file: string;
  readonly line: string;
  readonly event: S3Event;
  readonly error: { errorType?: string; errorMessage?: string };
}

/** Files of the start-execution function's dead letters (its logical id ends with a hash). */
const START_EXECUTION_FILE = /StartExecution[0-9A-F]*\.jsonl$/;

/** The dead-lettered S3 events of start-execution; lines that are not one are left alone. */
export function readDeadLetters(deadLetterDir: string): DeadLetter[] {
  if (!existsSync(deadLetterDir)) return [];
  return readdirSync(deadLetterDir)
    .filter((name) => START_EXECUTION_FILE.test(name))
    .sort()
    .flatMap((name) => {
      const file = join(deadLetterDir, name);
      return parseDeadLetterLines(readFileSync(file, 'utf8')).map((entry) => ({ file, ...entry }));
    });
}

export function parseDeadLetterLines(text: string): Omit<DeadLetter, 'file'>[] {
  const letters: Omit<DeadLetter, 'file'>[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const parsed = JSON.parse(line) as { event?: S3Event; error?: DeadLetter['error'] };
      if (Array.isArray(parsed.event?.Records)) {
        letters.push({ line, event: parsed.event, error: parsed.error ?? {} });
      }
    } catch {
      // A torn or foreign line: not ours to redrive or to drop.
    }
  }
  return letters;
}

/** The file's text without the given lines (each removed once); lines appended meanwhile are kept. */
export function withoutLines(text: string, done: readonly string[]): string {
  const remaining = [...done];
  const kept = text.split('\n').filter((line) => {
    if (!line.trim()) return false;
    const index = remaining.indexOf(line);
    if (index < 0) return true;
    remaining.splice(index, 1);
    return false;
  });
  return kept.map((line) => `${line}\n`).join('');
}

export interface RedriveOptions {
  readonly deadLetterDir: string;
  /** The running cloud's client environment (AWS_ENDPOINT_URL_*, credentials, region). */
  readonly env: Record<string, string>;
  readonly tableName: string;
  readonly stateMachineArn: string;
  readonly log?: (line: string) => void;
}

export interface RedriveResult {
  readonly redriven: number;
  readonly failed: { readonly keys: string[]; readonly reason: string }[];
}

/** Sends every dead-lettered S3 event through start-execution again; see the module comment. */
export async function redriveDeadLetters(options: RedriveOptions): Promise<RedriveResult> {
  const print = options.log ?? (() => {});
  const { env } = options;
  const clientConfig = {
    region: env.AWS_REGION,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
  };
  const dynamo = new DynamoDBClient({ ...clientConfig, endpoint: env.AWS_ENDPOINT_URL_DYNAMODB });
  const sfn = new SFNClient({ ...clientConfig, endpoint: env.AWS_ENDPOINT_URL_SFN });
  const quiet = () => {};
  const log = { info: quiet, warn: quiet, error: quiet } as unknown as Log;
  const deps = {
    dynamo: DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } }),
    sfn,
    tableName: options.tableName,
    stateMachineArn: options.stateMachineArn,
    log,
  };
  const done = new Map<string, string[]>();
  const failed: RedriveResult['failed'] = [];
  let redriven = 0;
  try {
    for (const letter of readDeadLetters(options.deadLetterDir)) {
      const { uploads } = readRecords(letter.event.Records);
      const keys = uploads.map((upload) => upload.key);
      try {
        const outcomes = await startAll(uploads, deps);
        redriven += 1;
        done.set(letter.file, [...(done.get(letter.file) ?? []), letter.line]);
        print(
          `Redriven: ${outcomes.map((o) => `${o.owner}/${o.photoId} (${o.status})`).join(', ') || 'no upload in the event'}`,
        );
      } catch (error) {
        failed.push({ keys, reason: errorReason(error) });
        print(`Still failing, kept: ${keys.join(', ')}: ${errorReason(error)}`);
      }
    }
  } finally {
    for (const [file, lines] of done) writeFileSync(file, withoutLines(readFileSync(file, 'utf8'), lines));
    dynamo.destroy();
    sfn.destroy();
  }
  return { redriven, failed };
}
