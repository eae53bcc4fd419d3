/**
 * Tiny checks for the model trust boundary (noble-style): predicates that never throw, so each
 * validator can raise its own error class with the path of the value that failed, plus
 * `abytes` for API misuse by a caller (a programming error, hence a plain TypeError).
 *
 * @example
 * ```ts
 * if (!isPositiveInt(dim)) throw new InvalidManifestError(`${field}[${i}]`, 'must be a positive integer');
 * ```
 */

/** True for a Uint8Array (also from another realm, e.g. a Worker or a vm context). */
export function isBytes(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array || (ArrayBuffer.isView(value) && value.constructor.name === 'Uint8Array');
}

/** Throws a TypeError unless `value` is a Uint8Array; `label` names the argument. */
export function abytes(value: unknown, label: string): asserts value is Uint8Array {
  if (!isBytes(value)) throw new TypeError(`${label} must be a Uint8Array, got ${describe(value)}`);
}

/**
 * True for a JSON-style object: not null, not an array, and with Object.prototype or no prototype.
 * Class instances and exotic objects are refused, so a getter cannot run during validation.
 */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Own-property test that works on null-prototype objects and ignores inherited keys. */
export function hasOwn(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

/** True for an integer in [0, 2^53 - 1]. */
export function isNonNegativeInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** True for an integer in [1, 2^53 - 1]. */
export function isPositiveInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;
}

/** True for a finite number (no NaN, no ±Infinity). */
export function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** True for a string of at most `maxLength` UTF-16 units (and at least one unless `allowEmpty`). */
export function isBoundedString(value: unknown, maxLength: number, allowEmpty = false): value is string {
  return typeof value === 'string' && value.length <= maxLength && (allowEmpty || value.length > 0);
}

/** A short description of a value for error messages; never prints more than 40 characters. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value);
  if (typeof value === 'object') return ArrayBuffer.isView(value) ? value.constructor.name : 'an object';
  return String(value);
}

/** Formats a map key for a field path: `["conv1.weight"]` (always quoted, so dots stay unambiguous). */
export function keyPath(key: string): string {
  return `[${JSON.stringify(key.length > 80 ? `${key.slice(0, 77)}...` : key)}]`;
}

/** Whether this host stores typed-array elements little-endian (every browser platform today does). */
export const LITTLE_ENDIAN_HOST: boolean = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
