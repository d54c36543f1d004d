/**
 * The local cloud's DynamoDB: dynalite by default, on loopback, with what the pipeline needs from
 * DynamoDB (a table whose template sets a TTL, UpdateItem ADD with a condition for a counter, the
 * 400 KB item limit); DynamoDB Local only when asked for.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeTableCommand,
  DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloudOptionsFrom } from '../../local/cli-options';
import { type LocalDynamo, startLocalDynamo, tablesFrom } from '../../local/dynamodb';
import { localCredentials } from '../../local/ports';
import { type CfnTemplate, LocalNames } from '../../local/template';

const TEMPLATE = {
  Resources: {
    Photos: {
      Type: 'AWS::DynamoDB::Table',
      Properties: {
        KeySchema: [
          { AttributeName: 'owner', KeyType: 'HASH' },
          { AttributeName: 'id', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'owner', AttributeType: 'S' },
          { AttributeName: 'id', AttributeType: 'S' },
          { AttributeName: 'uploadedAt', AttributeType: 'S' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'byUploadedAt',
            KeySchema: [
              { AttributeName: 'owner', KeyType: 'HASH' },
              { AttributeName: 'uploadedAt', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        // What a per-user daily quota counter's table may carry: neither engine needs it to work.
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        DeletionProtectionEnabled: true,
      },
    },
  },
} as unknown as CfnTemplate;

const TABLE = 'Test-Photos';
let directory: string;
let dynamo: LocalDynamo;
let client: DynamoDBClient;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'dynamo-test-'));
  dynamo = await startLocalDynamo({
    host: '127.0.0.1',
    port: 0,
    directory,
    tables: tablesFrom(TEMPLATE, new LocalNames('Test', TEMPLATE)),
  });
  client = new DynamoDBClient({ endpoint: dynamo.url, region: 'us-east-1', credentials: localCredentials });
});

afterAll(async () => {
  client?.destroy();
  await dynamo?.close();
  if (directory) rmSync(directory, { recursive: true, force: true });
});

describe('the local DynamoDB', () => {
  it('is dynalite on 127.0.0.1 unless DynamoDB Local is asked for', () => {
    expect(dynamo.engine).toBe('dynalite');
    expect(new URL(dynamo.url).hostname).toBe('127.0.0.1');
    expect(cloudOptionsFrom({}).dynamoEngine).toBe('dynalite');
    expect(cloudOptionsFrom({ dynalite: true }).dynamoEngine).toBe('dynalite'); // old flag, now the default
    expect(cloudOptionsFrom({ 'dynamodb-local': true }).dynamoEngine).toBe('DynamoDB Local');
    expect(() => cloudOptionsFrom({ 'dynamodb-local': true, dynalite: true })).toThrow(/contradict/);
  });

  it('refuses to listen on anything but loopback', async () => {
    for (const host of ['0.0.0.0', '::', '192.0.2.1']) {
      await expect(startLocalDynamo({ host, port: 0, directory, tables: [] })).rejects.toThrow(
        /loopback only/,
      );
    }
  });

  it("creates the template's table with its keys and indexes, whatever TTL and other settings it has", async () => {
    const [input] = tablesFrom(TEMPLATE, new LocalNames('Test', TEMPLATE));
    expect(input).not.toHaveProperty('TimeToLiveSpecification');
    const { Table } = await client.send(new DescribeTableCommand({ TableName: TABLE }));
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.KeySchema?.map((k) => k.AttributeName)).toEqual(['owner', 'id']);
    expect(Table?.GlobalSecondaryIndexes?.map((i) => i.IndexName)).toEqual(['byUploadedAt']);
  });

  it('keeps a counter with UpdateItem ADD and a ConditionExpression, as a daily quota does', async () => {
    const count = () =>
      client.send(
        new UpdateItemCommand({
          TableName: TABLE,
          Key: { owner: { S: 'quota-user' }, id: { S: 'quota#2025-01-01' } },
          UpdateExpression: 'ADD #count :one SET #expiresAt = if_not_exists(#expiresAt, :expiresAt)',
          ConditionExpression: 'attribute_not_exists(#count) OR #count < :limit',
          ExpressionAttributeNames: { '#count': 'count', '#expiresAt': 'expiresAt' },
          ExpressionAttributeValues: {
            ':one': { N: '1' },
            ':limit': { N: '3' },
            ':expiresAt': { N: '1735776000' },
          },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) seen.push((await count()).Attributes?.count?.N ?? '');
    expect(seen).toEqual(['1', '2', '3']);
    await expect(count()).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
  });

  it("enforces DynamoDB's 400 KB item limit on PutItem and UpdateItem", async () => {
    const key = { owner: { S: 'big' }, id: { S: 'item' } };
    // Names and values count: 400 KB of value alone is over the limit with its keys.
    await expect(
      client.send(
        new PutItemCommand({ TableName: TABLE, Item: { ...key, blob: { S: 'x'.repeat(400 * 1024) } } }),
      ),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringMatching(/Item size has exceeded the maximum allowed size/),
    });
    await client.send(
      new PutItemCommand({ TableName: TABLE, Item: { ...key, blob: { S: 'x'.repeat(399 * 1024) } } }),
    );
    await expect(
      client.send(
        new UpdateItemCommand({
          TableName: TABLE,
          Key: key,
          UpdateExpression: 'SET more = :more',
          ExpressionAttributeValues: { ':more': { S: 'y'.repeat(2 * 1024) } },
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException' });
  });
});
