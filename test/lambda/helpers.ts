/** Shared test doubles for the Lambda unit tests: fixture files, an S3 that serves byte ranges, a small DynamoDB table. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, NoSuchKey, type S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, vi } from 'vitest';
import type { Log } from '../../lambda/shared/powertools';

/** The shared, read-only test images: `<repo>/../shared/fixtures`. */
export const FIXTURES = fileURLToPath(new URL('../../../shared/fixtures/', import.meta.url));

export function fixture(path: string): Buffer {
  return readFileSync(`${FIXTURES}${path}`);
}

export interface ExiftoolTruth {
  SourceFile: string;
  ImageWidth: number;
  ImageHeight: number;
  Orientation?: number;
  DateTimeOriginal?: string;
  OffsetTimeOriginal?: string;
  Make?: string;
  Model?: string;
  GPSLatitude?: number;
  GPSLongitude?: number;
  GPSAltitude?: number;
}

export function exiftoolTruth(): ExiftoolTruth[] {
  return JSON.parse(readFileSync(`${FIXTURES}exiftool-truth.json`, 'utf8')) as ExiftoolTruth[];
}

export function silentLog(): Log & {
  warn: ReturnType<typeof vi.fn>;
  info: ReturnType<typeof vi.fn>;
  error: ReturnType<typeof vi.fn>;
} {
  return { info: vi.fn(), warn: vi.fn(), error: vi.fn() } as never;
}

/** A body as the SDK returns it, reduced to the one method the handlers use. */
export function sdkBody(bytes: Uint8Array) {
  return { transformToByteArray: async () => new Uint8Array(bytes) } as never;
}

export interface RangeRead {
  readonly key: string;
  readonly range: string | undefined;
  readonly bytes: number;
}

/**
 * Makes the mocked S3 serve these objects like S3 does: a Range request gets exactly that slice with a
 * Content-Range header, a missing key NoSuchKey, a range on an empty object InvalidRange. Returns the
 * log of reads, so tests can prove how much of each object was read.
 */
export function serveObjects(s3: AwsClientStub<S3Client>, objects: Record<string, Uint8Array>): RangeRead[] {
  const reads: RangeRead[] = [];
  s3.on(GetObjectCommand).callsFake(async (input: { Key: string; Range?: string }) => {
    const object = objects[input.Key];
    if (!object) {
      throw new NoSuchKey({
        message: 'The specified key does not exist.',
        $metadata: { httpStatusCode: 404 },
      });
    }
    if (!input.Range) {
      reads.push({ key: input.Key, range: undefined, bytes: object.length });
      return { Body: sdkBody(object), ContentLength: object.length };
    }
    const [, first, last] = /^bytes=(\d+)-(\d+)$/.exec(input.Range)?.map(Number) ?? [];
    if (first === undefined || first >= object.length) {
      throw new S3ServiceException({
        name: 'InvalidRange',
        $fault: 'client',
        message: 'The requested range is not satisfiable',
        $metadata: { httpStatusCode: 416 },
      });
    }
    const end = Math.min(last, object.length - 1);
    const slice = object.subarray(first, end + 1);
    reads.push({ key: input.Key, range: input.Range, bytes: slice.length });
    return {
      Body: sdkBody(slice),
      ContentLength: slice.length,
      ContentRange: `bytes ${first}-${end}/${object.length}`,
    };
  });
  return reads;
}

type Item = Record<string, unknown>;

/**
 * An in-memory table behind a mocked DynamoDBDocumentClient. It evaluates the condition and update
 * expressions the handlers send (the subset they use: attribute_exists / attribute_not_exists,
 * =, <> and <, AND, OR, parentheses; SET a = :v, ...), so a wrong attribute name or condition fails a
 * test instead of passing silently.
 */
export class FakeTable {
  readonly items = new Map<string, Item>();

  constructor(dynamo: AwsClientStub<DynamoDBDocumentClient>) {
    dynamo.on(PutCommand).callsFake(async (input) => {
      const item = input.Item as Item;
      this.check(
        this.get(item),
        input.ConditionExpression,
        input.ExpressionAttributeNames,
        input.ExpressionAttributeValues,
      );
      this.items.set(FakeTable.id(item), structuredClone(item));
      return {};
    });
    dynamo.on(DeleteCommand).callsFake(async (input) => {
      const key = input.Key as Item;
      this.check(
        this.get(key),
        input.ConditionExpression,
        input.ExpressionAttributeNames,
        input.ExpressionAttributeValues,
      );
      this.items.delete(FakeTable.id(key));
      return {};
    });
    dynamo.on(GetCommand).callsFake(async (input) => {
      const item = this.get(input.Key as Item);
      return { Item: item && structuredClone(item) };
    });
    dynamo.on(UpdateCommand).callsFake(async (input) => {
      const key = input.Key as Item;
      const names = input.ExpressionAttributeNames ?? {};
      const values = input.ExpressionAttributeValues ?? {};
      const existing = this.get(key);
      this.check(existing, input.ConditionExpression, names, values);
      const updated: Item = structuredClone(existing ?? key);
      const set = /^SET (.+)$/.exec(input.UpdateExpression ?? '');
      if (!set) throw new Error(`FakeTable supports only SET updates, got ${input.UpdateExpression}`);
      for (const assignment of set[1].split(/,\s*/)) {
        const [name, value] = assignment.split(/\s*=\s*/);
        updated[names[name] ?? name] = structuredClone(values[value]);
      }
      this.items.set(FakeTable.id(key), updated);
      return input.ReturnValues === 'ALL_NEW' ? { Attributes: structuredClone(updated) } : {};
    });
  }

  put(item: object): void {
    this.items.set(FakeTable.id(item as Item), structuredClone(item as Item));
  }

  get(key: Item): Item | undefined {
    return this.items.get(FakeTable.id(key));
  }

  private static id(item: Item): string {
    return `${item.owner}\u0000${item.photoId}`;
  }

  private check(
    item: Item | undefined,
    condition: string | undefined,
    names: Record<string, string> = {},
    values: Record<string, unknown> = {},
  ) {
    if (!condition) return;
    const ok = evaluate(
      condition,
      (token) => names[token] ?? token,
      (token) => values[token],
      item,
    );
    if (!ok) {
      throw new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: { httpStatusCode: 400 },
      });
    }
  }
}

function evaluate(
  expression: string,
  name: (token: string) => string,
  value: (token: string) => unknown,
  item: Item | undefined,
): boolean {
  const tokens = expression.match(/\(|\)|<>|<|=|[A-Za-z_]+\(|[#:]?[A-Za-z0-9_]+/g) ?? [];
  let pos = 0;
  const next = () => tokens[pos++];
  const operand = (token: string) => (token.startsWith(':') ? value(token) : item?.[name(token)]);
  const primary = (): boolean => {
    const token = next();
    if (token === '(') {
      const result = or();
      if (next() !== ')') throw new Error(`FakeTable: unbalanced parentheses in ${expression}`);
      return result;
    }
    if (token === 'attribute_exists(' || token === 'attribute_not_exists(') {
      const attribute = name(next());
      next(); // ')'
      const exists = item !== undefined && item[attribute] !== undefined;
      return token === 'attribute_exists(' ? exists : !exists;
    }
    const operator = next();
    const right = next();
    const left = operand(token);
    if (left === undefined) return false; // a comparison with a missing attribute is false in DynamoDB
    const equal = JSON.stringify(left) === JSON.stringify(operand(right));
    if (operator === '=') return equal;
    if (operator === '<>') return !equal;
    if (operator === '<') return (left as string | number) < (operand(right) as string | number);
    throw new Error(`FakeTable: unsupported operator ${operator} in ${expression}`);
  };
  const and = (): boolean => {
    let result = primary();
    while (tokens[pos] === 'AND') {
      pos++;
      result = primary() && result;
    }
    return result;
  };
  const or = (): boolean => {
    let result = and();
    while (tokens[pos] === 'OR') {
      pos++;
      result = and() || result;
    }
    return result;
  };
  const result = or();
  if (pos !== tokens.length) throw new Error(`FakeTable: could not parse ${expression}`);
  return result;
}

/** A Lambda context, for calling a handler.ts the way the runtime does. */
export const lambdaContext = {
  functionName: 'test',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:test',
  memoryLimitInMB: '256',
  awsRequestId: 'request-1',
  logGroupName: '/aws/lambda/test',
  logStreamName: 'stream',
  getRemainingTimeInMillis: () => 30_000,
} as Context;

/** Imports `lambda/<folder>/handler.ts` afresh, so it reads the environment stubbed for the test. */
export async function loadHandler<H>(folder: string): Promise<H> {
  vi.resetModules();
  return ((await import(`../../lambda/${folder}/handler.ts`)) as { handler: H }).handler;
}

/** Stubs a handler's environment (quiet Powertools included) around each test of the calling suite. */
export function stubHandlerEnvironment(environment: Record<string, string>): void {
  beforeEach(() => {
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');
    for (const [name, value] of Object.entries(environment)) vi.stubEnv(name, value);
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });
}
