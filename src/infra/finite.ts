/**
 * Numbers JSON cannot carry. `JSON.parse('1e309')` is Infinity and `JSON.stringify(Infinity)`
 * is `null`, so an overflowing number would be stored as null without a word; these find it
 * and name where it sits, so it can be refused instead.
 */
import { ValidationError } from './errors.js';

/**
 * `payload.a[2]` from `payload`, `a`, `2`: the field naming used by every ValidationError.
 *
 * @example
 * childPath('payload', 'a', false) // 'payload.a'
 * childPath('payload.a', '2', true) // 'payload.a[2]'
 */
export function childPath(parent: string, key: string, inArray: boolean): string {
  if (inArray) return `${parent}[${key}]`;
  if (/^[A-Za-z_$][\w$]*$/.test(key)) return parent ? `${parent}.${key}` : key;
  return `${parent}[${JSON.stringify(key)}]`;
}

/**
 * The path of the first non-finite number in a parsed JSON value (a tree of plain objects,
 * arrays and primitives), or undefined. Iterative, so a deeply nested body cannot overflow
 * the stack.
 *
 * @example
 * findNonFinite(JSON.parse('{"a":[1,2,1e309]}'), 'payload') // { path: 'payload.a[2]', value: Infinity }
 */
export function findNonFinite(value: unknown, root: string): { path: string; value: number } | undefined {
  const stack: Array<[unknown, string]> = [[value, root]];
  while (stack.length > 0) {
    const [v, path] = stack.pop()!;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) return { path, value: v };
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i -= 1) stack.push([v[i], childPath(path, String(i), true)]);
    } else if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v);
      for (let i = entries.length - 1; i >= 0; i -= 1) stack.push([entries[i]![1], childPath(path, entries[i]![0], false)]);
    }
  }
  return undefined;
}

/**
 * JSON.stringify that throws a ValidationError naming the path of a non-finite number
 * (Infinity, -Infinity, NaN), which JSON.stringify would silently write as `null`. Values are
 * checked after `toJSON`, as they would be written, and the text returned is the one checked.
 *
 * @example
 * stringifyFinite({ a: [1, Infinity] }, 'payload') // throws: `payload.a[1]` …
 */
export function stringifyFinite(value: unknown, field: string): string | undefined {
  const plain = JSON.stringify(value);
  // Every non-finite number becomes `null`: without one in the text there is nothing to find.
  if (plain === undefined || !plain.includes('null')) return plain;
  const paths = new Map<object, string>();
  return JSON.stringify(value, function (this: object, key: string, v: unknown) {
    const parent = paths.get(this);
    const path = parent === undefined ? field : childPath(parent, key, Array.isArray(this));
    if (typeof v === 'number' && !Number.isFinite(v)) throw nonFinite(path, v);
    if (v !== null && typeof v === 'object') paths.set(v, path);
    return v;
  });
}

/**
 * The ValidationError for a non-finite number at `path`.
 *
 * @example
 * throw nonFinite('payload.a[2]', Infinity);
 */
export function nonFinite(path: string, value: number): ValidationError {
  const why = Number.isNaN(value) ? 'NaN has no JSON form' : 'it overflows a double (beyond ±1.8e308), and JSON would store it as null';
  return new ValidationError(path, `Expected \`${path}\` to be a finite number, got \`${value}\`: ${why}`);
}
