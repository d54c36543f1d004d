import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseDeadLetterLines, readDeadLetters, withoutLines } from '../../local/dead-letters';
import { type AwsCli, eventFromDestinationRecord, redriveOnAws } from '../../local/redrive-aws';

const s3Event = (key: string) => ({ Records: [{ s3: { bucket: { name: 'b' }, object: { key } } }] });
const line = (key: string) =>
  JSON.stringify({ event: s3Event(key), error: { errorType: 'StartExecutionFailed', errorMessage: 'x' } });

describe('local dead letters', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dead-letters-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("reads start-execution's S3 events, skipping torn lines, other events and other functions' files", () => {
    writeFileSync(
      join(dir, 'ImageProcessingImageProcStartExecutionA1B2C3D4.jsonl'),
      `${line('Incoming/a.jpg')}\n{"torn\n${JSON.stringify({ event: { detail: {} } })}\n${line('Incoming/b.jpg')}\n`,
    );
    writeFileSync(join(dir, 'PhotoReconcilerFunctionE5F6.jsonl'), `${line('Incoming/c.jpg')}\n`);

    const letters = readDeadLetters(dir);

    expect(letters.map((l) => l.event.Records[0].s3.object.key)).toEqual([
      'Incoming/a.jpg',
      'Incoming/b.jpg',
    ]);
    expect(letters[0].error.errorType).toBe('StartExecutionFailed');
    expect(letters[0].line).toBe(line('Incoming/a.jpg'));
  });

  it('reads nothing when there is no dead-letter folder', () => {
    expect(readDeadLetters(join(dir, 'missing'))).toEqual([]);
    expect(parseDeadLetterLines('\n\n')).toEqual([]);
  });

  it('removes exactly the redriven lines, once each, keeping lines appended meanwhile', () => {
    const text = ['a', 'b', 'a', 'c', ''].join('\n');
    expect(withoutLines(text, ['a', 'c'])).toBe('b\na\n');
    expect(withoutLines(text, [])).toBe('a\nb\na\nc\n');
  });
});

describe('redrive on AWS', () => {
  const record = (key: string) =>
    JSON.stringify({
      version: '1.0',
      requestContext: { condition: 'RetriesExhausted', approximateInvokeCount: 3 },
      requestPayload: s3Event(key),
      responseContext: { functionError: 'Unhandled' },
      responsePayload: { errorType: 'StartExecutionFailed' },
    });

  it("takes the original event from Lambda's invocation record", () => {
    expect(eventFromDestinationRecord(record('Incoming/a.jpg'))).toEqual(s3Event('Incoming/a.jpg'));
    expect(() => eventFromDestinationRecord('{"Records":[]}')).toThrow(/no requestPayload/);
    expect(() => eventFromDestinationRecord('nope')).toThrow(/not JSON/);
  });

  it('invokes the function with each event, deletes what succeeded and keeps what failed', async () => {
    const messages = [
      { MessageId: 'm1', ReceiptHandle: 'r1', Body: record('Incoming/a.jpg') },
      { MessageId: 'm2', ReceiptHandle: 'r2', Body: record('Incoming/b.jpg') },
    ];
    const invoked: unknown[] = [];
    const deleted: string[] = [];
    let receives = 0;
    const aws: AwsCli = (args) => {
      const [service, command] = args;
      if (command === 'describe-stacks') {
        return {
          Stacks: [
            {
              Outputs: [
                { OutputKey: 'StartExecutionDeadLetterQueueUrl', OutputValue: 'https://sqs/q' },
                { OutputKey: 'StartExecutionFunctionName', OutputValue: 'start-fn' },
              ],
            },
          ],
        };
      }
      if (command === 'receive-message') return receives++ === 0 ? { Messages: messages } : null;
      if (service === 'lambda' && command === 'invoke') {
        expect(args).toContain('start-fn');
        const payload = JSON.parse(readFileSync(args[args.indexOf('--payload') + 1].slice(8), 'utf8'));
        invoked.push(payload);
        if (payload.Records[0].s3.object.key === 'Incoming/b.jpg') {
          writeFileSync(args[args.length - 1], '{"errorType":"StartExecutionFailed"}');
          return { StatusCode: 200, FunctionError: 'Unhandled' };
        }
        return { StatusCode: 200 };
      }
      if (command === 'delete-message') {
        deleted.push(args[args.indexOf('--receipt-handle') + 1]);
        return null;
      }
      throw new Error(`unexpected ${args.join(' ')}`);
    };

    const result = await redriveOnAws({ stack: 'ImageRecognition', aws });

    expect(result).toEqual({ redriven: 1, failed: 1 });
    expect(invoked).toEqual([s3Event('Incoming/a.jpg'), s3Event('Incoming/b.jpg')]);
    expect(deleted).toEqual(['r1']);
  });
});
