/**
 * `npm run redrive -- --aws [--stack <name>]`: the deployed stack's redrive, with the AWS CLI and its
 * usual credentials. ImageProcStartExecution's OnFailure destination is an SQS queue whose messages
 * are Lambda's invocation records ({ requestContext, requestPayload, responsePayload, ... }), not the
 * events themselves, so SQS's own redrive (start-message-move-task) cannot replay them: each message's
 * requestPayload (the original S3 event) is invoked on the function again, synchronously, and the
 * message is deleted once the invoke succeeds. A message that fails again stays in the queue.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The original event of a Lambda asynchronous-invocation record, as the OnFailure queue holds it. */
export function eventFromDestinationRecord(body: string): unknown {
  let record: unknown;
  try {
    record = JSON.parse(body);
  } catch {
    throw new Error('The message is not JSON: not a Lambda invocation record');
  }
  const payload = (record as { requestPayload?: unknown } | null)?.requestPayload;
  if (payload === undefined)
    throw new Error('The message has no requestPayload: not a Lambda invocation record');
  return payload;
}

/** The AWS CLI: JSON out, or null for an empty answer (receive-message on an empty queue). */
export type AwsCli = (args: string[]) => unknown;

const awsCli: AwsCli = (args) => {
  const out = execFileSync('aws', [...args, '--output', 'json'], { encoding: 'utf8' });
  return out.trim() ? JSON.parse(out) : null;
};

export async function redriveOnAws(options: {
  stack: string;
  aws?: AwsCli;
  log?: (line: string) => void;
}): Promise<{ redriven: number; failed: number }> {
  const aws = options.aws ?? awsCli;
  const print = options.log ?? (() => {});
  const outputs = (
    aws(['cloudformation', 'describe-stacks', '--stack-name', options.stack]) as {
      Stacks: { Outputs?: { OutputKey: string; OutputValue: string }[] }[];
    }
  ).Stacks[0].Outputs;
  const output = (key: string) => {
    const value = outputs?.find((o) => o.OutputKey === key)?.OutputValue;
    if (!value) throw new Error(`The stack ${options.stack} has no output ${key}: deploy this version first`);
    return value;
  };
  const queueUrl = output('StartExecutionDeadLetterQueueUrl');
  const functionName = output('StartExecutionFunctionName');
  const dir = mkdtempSync(join(tmpdir(), 'redrive-'));
  const seen = new Set<string>();
  let redriven = 0;
  let failed = 0;
  try {
    for (;;) {
      // Failed messages stay hidden for the run (15 min), so the loop ends when the queue looks empty.
      const answer = aws([
        'sqs',
        'receive-message',
        '--queue-url',
        queueUrl,
        '--max-number-of-messages',
        '10',
        '--visibility-timeout',
        '900',
        '--wait-time-seconds',
        '1',
      ]) as { Messages?: { MessageId: string; ReceiptHandle: string; Body: string }[] } | null;
      const messages = (answer?.Messages ?? []).filter((m) => !seen.has(m.MessageId));
      if (messages.length === 0) break;
      for (const message of messages) {
        seen.add(message.MessageId);
        const payloadFile = join(dir, 'event.json');
        const responseFile = join(dir, 'response.json');
        try {
          writeFileSync(payloadFile, JSON.stringify(eventFromDestinationRecord(message.Body)));
          const result = aws([
            'lambda',
            'invoke',
            '--function-name',
            functionName,
            '--payload',
            `fileb://${payloadFile}`,
            responseFile,
          ]) as { FunctionError?: string } | null;
          if (result?.FunctionError) throw new Error(readFileSync(responseFile, 'utf8'));
          aws(['sqs', 'delete-message', '--queue-url', queueUrl, '--receipt-handle', message.ReceiptHandle]);
          redriven += 1;
          print(`Redriven: message ${message.MessageId}`);
        } catch (error) {
          failed += 1;
          print(`Still failing, kept: message ${message.MessageId}: ${(error as Error).message}`);
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { redriven, failed };
}
