import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkResponseSize, LocalFunction, MAX_SYNC_RESPONSE_BYTES } from '../../local/lambda/runtime';

describe('the local Lambda runtime: 6 MB synchronous responses', () => {
  it('is the documented quota, 6 MB of JSON', () => {
    expect(MAX_SYNC_RESPONSE_BYTES).toBe(6_291_456);
  });

  it('passes a result up to the limit and errors and fails one byte past it, as Lambda does', () => {
    // JSON of a string is the string plus its two quotes.
    const fits = { ok: true as const, result: 'x'.repeat(MAX_SYNC_RESPONSE_BYTES - 2) };
    const over = { ok: true as const, result: 'x'.repeat(MAX_SYNC_RESPONSE_BYTES - 1) };

    expect(checkResponseSize(fits)).toBe(fits);
    expect(checkResponseSize(over)).toEqual({
      ok: false,
      errorType: 'Function.ResponseSizeTooLarge',
      errorMessage:
        'Response payload size (6291457 bytes) exceeded maximum allowed payload size (6291456 bytes).',
      trace: [],
    });
    const error = { ok: false as const, errorType: 'Oops', errorMessage: 'x', trace: [] };
    expect(checkResponseSize(error)).toBe(error);
  });

  it('counts UTF-8 bytes, not characters, and an undefined result as null', () => {
    expect(checkResponseSize({ ok: true, result: 'é'.repeat(5) }, 11).ok).toBe(false); // 10 bytes + 2 quotes
    expect(checkResponseSize({ ok: true, result: 'é'.repeat(5) }, 12).ok).toBe(true);
    expect(checkResponseSize({ ok: true, result: undefined }, 4).ok).toBe(true);
  });

  describe('a function returning more than 6 MB', () => {
    let dir: string;
    let fn: LocalFunction;

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'lambda-runtime-'));
      const entry = join(dir, 'handler.mjs');
      writeFileSync(entry, 'export const handler = async (event) => ({ data: "x".repeat(event.bytes) });\n');
      fn = new LocalFunction(
        {
          logicalId: 'Big',
          name: 'big',
          arn: 'arn:aws:lambda:us-east-1:000000000000:function:big',
          entry,
          handlerExport: 'handler',
          environment: { PATH: process.env.PATH ?? '' },
          timeoutSeconds: 30,
          memoryMb: 256,
          concurrency: 1,
        },
        join(dir, 'logs'),
      );
    });
    afterAll(async () => {
      await fn.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('fails the invoke with Function.ResponseSizeTooLarge; a smaller result passes', async () => {
      const big = await fn.invoke({ bytes: 7 * 1024 * 1024 });
      expect(big).toMatchObject({ ok: false, errorType: 'Function.ResponseSizeTooLarge' });
      await expect(fn.invokeOrThrow({ bytes: 7 * 1024 * 1024 })).rejects.toMatchObject({
        name: 'Function.ResponseSizeTooLarge',
      });

      const small = await fn.invoke({ bytes: 1024 });
      expect(small).toMatchObject({ ok: true, result: { data: 'x'.repeat(1024) } });
    }, 60_000);
  });
});
