import { ConfigurationError } from './errors';

type Env = Readonly<Record<string, string | undefined>>;

/** The value of a required environment variable; throws naming the variable when it is missing or empty. */
export function requireEnv(name: string, env: Env = process.env): string {
  const value = env[name]?.trim();
  if (!value) {
    throw new ConfigurationError(
      `Environment variable ${name} is not set; the function's deployment must set it.`,
    );
  }
  return value;
}

/** A required key prefix (ending in '/', so that it names a folder and not any key that starts so). */
export function requirePrefixEnv(name: string, env: Env = process.env): string {
  const prefix = requireEnv(name, env);
  if (!prefix.endsWith('/')) {
    throw new ConfigurationError(`Environment variable ${name} must end with '/', got "${prefix}".`);
  }
  return prefix;
}

/** A required whole-number environment variable, optionally within [min, max]. */
export function requireIntEnv(
  name: string,
  range: { min?: number; max?: number } = {},
  env: Env = process.env,
): number {
  const raw = requireEnv(name, env);
  const value = /^[+-]?\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value)) {
    throw new ConfigurationError(`Environment variable ${name} must be a whole number, got "${raw}".`);
  }
  return checkRange(name, value, range);
}

/** A required numeric environment variable (decimals allowed), optionally within [min, max]. */
export function requireNumberEnv(
  name: string,
  range: { min?: number; max?: number } = {},
  env: Env = process.env,
): number {
  const raw = requireEnv(name, env);
  const value = /^[+-]?(\d+\.?\d*|\.\d+)$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isFinite(value)) {
    throw new ConfigurationError(`Environment variable ${name} must be a number, got "${raw}".`);
  }
  return checkRange(name, value, range);
}

function checkRange(name: string, value: number, { min, max }: { min?: number; max?: number }): number {
  if ((min !== undefined && value < min) || (max !== undefined && value > max)) {
    const bounds = `${min ?? '-∞'} to ${max ?? '∞'}`;
    throw new ConfigurationError(`Environment variable ${name} must be from ${bounds}, got ${value}.`);
  }
  return value;
}
