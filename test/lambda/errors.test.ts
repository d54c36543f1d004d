/** lambda/shared/errors.ts: the names Step Functions matches on, and the helpers every core shares. */
import { describe, expect, it } from 'vitest';
import {
  CorruptImage,
  conditionalWrite,
  InvalidInput,
  ServiceUnreachable,
  stepErrorMessage,
} from '../../lambda/shared/errors';

const named = (name: string) => Object.assign(new Error('refused'), { name });

describe('the step errors', () => {
  it('carry the literal name Step Functions retries and catches on, and are Errors', () => {
    expect(new InvalidInput('m').name).toBe('InvalidInput');
    expect(new ServiceUnreachable('m').name).toBe('ServiceUnreachable');
    const error = new CorruptImage('bad pixels', { cause: 'x' });
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(CorruptImage);
    expect(error).not.toBeInstanceOf(InvalidInput);
    expect([error.message, error.cause]).toEqual(['bad pixels', 'x']);
  });
});

describe('conditionalWrite', () => {
  it('is true when the write went through', async () => {
    await expect(conditionalWrite(Promise.resolve({}))).resolves.toBe(true);
  });

  it('is false when DynamoDB refused it because its condition did not hold', async () => {
    await expect(conditionalWrite(Promise.reject(named('ConditionalCheckFailedException')))).resolves.toBe(
      false,
    );
  });

  it('fails with any other error', async () => {
    const error = named('ProvisionedThroughputExceededException');
    await expect(conditionalWrite(Promise.reject(error))).rejects.toBe(error);
  });
});

describe('stepErrorMessage', () => {
  it.each([
    [JSON.stringify({ errorType: 'CorruptImage', errorMessage: ' bad pixels ', trace: [] }), 'bad pixels'],
    ['  plain text ', 'plain text'],
    ['{not json', '{not json'],
    ['{"other":"shape"}', '{"other":"shape"}'],
    [undefined, ''],
  ])('reads %j as %j', (cause, expected) => {
    expect(stepErrorMessage(cause)).toBe(expected);
  });
});
