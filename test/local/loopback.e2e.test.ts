/**
 * Every listener the local cloud starts is on loopback: its endpoints, every TCP socket this process
 * listens on (any private port behind a service's front included), and none of them answers on the
 * machine's other addresses.
 */
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCloud, type TestCloud } from './e2e-helpers';

let test: TestCloud;

beforeAll(async () => {
  test = await startTestCloud();
});

afterAll(async () => {
  await test?.close();
});

/** This machine's addresses other than loopback (IPv6 link-local left out: it needs a scope). */
const NON_LOOPBACK = Object.values(networkInterfaces())
  .flat()
  .filter((a) => a !== undefined && !a.internal && !a.address.startsWith('fe80:'))
  .map((a) => a!.address);

/** Local addresses of the TCP sockets this process listens on, from /proc (Linux). */
function listeningSockets(): string[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (match) inodes.add(match[1]);
    } catch {
      // Closed meanwhile.
    }
  }
  const found: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').trim().split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const [localAddress, , state] = fields.slice(1, 4);
      if (state !== '0A' || !inodes.has(fields[9])) continue; // 0A: LISTEN
      found.push(decodeProcAddress(localAddress));
    }
  }
  return found;
}

/** "0100007F:1F90" → "127.0.0.1:8080"; IPv6 as 8 groups (each 32-bit word little-endian). */
function decodeProcAddress(text: string): string {
  const [hex, portHex] = text.split(':');
  const port = Number.parseInt(portHex, 16);
  const words = hex.match(/.{8}/g)!.map((w) => w.match(/../g)!.reverse().join(''));
  if (words.length === 1) {
    return `${words[0]
      .match(/../g)!
      .map((b) => Number.parseInt(b, 16))
      .join('.')}:${port}`;
  }
  const groups = words
    .join('')
    .match(/.{4}/g)!
    .map((g) => Number.parseInt(g, 16).toString(16));
  return `[${groups.join(':')}]:${port}`;
}

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('the local cloud on loopback only', () => {
  it('gives every endpoint as 127.0.0.1', () => {
    const { endpoints } = test.cloud;
    expect(Object.keys(endpoints).sort()).toEqual(['dynamodb', 'rekognition', 's3', 'stepfunctions', 'web']);
    for (const [service, url] of Object.entries(endpoints)) {
      expect(new URL(url as string).hostname, service).toBe('127.0.0.1');
    }
    expect(test.cloud.dynamoEngine).toBe('dynalite');
  });

  it.runIf(existsSync('/proc/net/tcp'))(
    'listens on 127.0.0.1 only, on every socket this process has open (private ones behind a front included)',
    () => {
      const sockets = listeningSockets();
      const ports = Object.values(test.cloud.endpoints).map((url) => new URL(url as string).port);
      for (const port of ports) expect(sockets).toContain(`127.0.0.1:${port}`);
      for (const socket of sockets) expect(socket).toMatch(/^127\.0\.0\.1:\d+$/);
    },
  );

  const addressesNote =
    NON_LOOPBACK.length > 0 ? `(${NON_LOOPBACK.join(', ')})` : '(skipped: this machine has no such address)';
  it.runIf(NON_LOOPBACK.length > 0)(
    `answers on none of this machine's non-loopback addresses ${addressesNote}`,
    async () => {
      const ports = [
        ...Object.values(test.cloud.endpoints).map((url) => Number(new URL(url as string).port)),
        ...(existsSync('/proc/net/tcp') ? listeningSockets().map((s) => Number(s.split(':').pop())) : []),
      ];
      for (const port of new Set(ports)) {
        // Loopback answers, so a refusal elsewhere is the bind address, not a dead server.
        expect(await reachable('127.0.0.1', port), `127.0.0.1:${port}`).toBe(true);
        for (const address of NON_LOOPBACK) {
          expect(await reachable(address, port), `${address} port ${port}`).toBe(false);
        }
      }
    },
  );
});
