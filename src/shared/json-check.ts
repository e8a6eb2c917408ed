/**
 * Tiny checks for hand-written JSON (manifests, the catalog): each names the
 * first bad field in a `ConfigError` instead of failing later, far away.
 */
import { ConfigError } from './errors.ts';

export type Json = Record<string, unknown>;

/** Returns `object[key]` when `check` accepts it; otherwise throws naming `key` and what is allowed. */
export function field<T>(source: string, object: Json, key: string, check: (value: unknown) => value is T, allowed: string): T {
  const value = object[key];
  if (!check(value)) throw new ConfigError(source, key, allowed);
  return value;
}

/** Like `field`, but an absent key is fine and gives `undefined`. */
export function optionalField<T>(source: string, object: Json, key: string, check: (value: unknown) => value is T, allowed: string): T | undefined {
  return object[key] === undefined ? undefined : field(source, object, key, check, allowed);
}

/** Throws for the first key not in `allowed`, so a misspelt key fails loudly instead of being ignored. */
export function onlyKeys(source: string, object: Json, allowed: readonly string[]): void {
  const unknown = Object.keys(object).find((key) => !allowed.includes(key));
  if (unknown !== undefined) throw new ConfigError(source, unknown, `only ${allowed.join(', ')}`);
}

// Type guards for `field`: each accepts exactly the values its name says.
export const isString = (value: unknown): value is string => typeof value === 'string' && value.length > 0;
export const isPositive = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value) && value > 0;
export const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
export const isPrecision = (value: unknown): value is 'fp32' | 'fp16' => value === 'fp32' || value === 'fp16';

/**
 * Parses JSON written by Python's `json` module, which writes `Infinity`,
 * `-Infinity` and `NaN` (diffusers' DPM configs hold `lambda_min_clipped: -Infinity`).
 */
export function parsePythonJson(text: string, source: string): unknown {
  const standard = text.replace(/([:[,]\s*)(-?)Infinity\b/g, '$1$21e999').replace(/([:[,]\s*)NaN\b/g, '$1null');
  try {
    return JSON.parse(standard);
  } catch (error) {
    throw new ConfigError(source, '(file)', `valid JSON (${(error as Error).message})`);
  }
}
