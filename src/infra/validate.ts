import { randomUUID } from 'node:crypto';
import { ValidationError } from './errors.js';
import { stringifyFinite } from './finite.js';
import { LANES, type Lane, type TaskInput } from './types.js';

export const DEFAULT_PRIORITY = 1000;
export const MAX_PRIORITY = 2_147_483_647;
export const DEFAULT_MAX_ATTEMPTS = 5;
export const MAX_ATTEMPTS_LIMIT = 1000;
export const MAX_ID_LENGTH = 256;
export const MAX_TYPE_LENGTH = 128;
/** One year: a longer delay is almost certainly a unit mistake (seconds vs ms). */
export const MAX_DELAY_MS = 365 * 24 * 3600 * 1000;
export const MAX_TIMEOUT_MS = 24 * 3600 * 1000;

const KNOWN_FIELDS = new Set(['id', 'type', 'payload', 'lane', 'priority', 'delayMs', 'maxAttempts', 'timeoutMs']);

/** A task input after validation, in the form the enqueue script takes. */
export interface NormalizedTask {
  id: string;
  type: string;
  lane: Lane;
  priority: number;
  /** The payload as JSON text. */
  payload: string;
  delayMs: number;
  maxAttempts: number;
  /** 0 when unset. */
  timeoutMs: number;
}

/**
 * Checks one input and fills in defaults, or throws a ValidationError naming the field.
 * `path` prefixes field names, e.g. `inputs[3]` for the fourth input of a batch.
 *
 * @example
 * normalizeInput({ priority: 5 }, '', 1 << 20).priority // 5
 */
export function normalizeInput(input: unknown, path: string, maxPayloadBytes: number): NormalizedTask {
  const at = (field: string) => (path ? `${path}.${field}` : field);
  const fields = plainFields(input, path);
  const field = (name: keyof TaskInput) => ownField(fields, name, at(name));
  const id = field('id');
  const type = field('type');
  const lane = field('lane');
  const priority = field('priority');
  const payload = field('payload');
  const delayMs = field('delayMs');
  const maxAttempts = field('maxAttempts');
  const timeoutMs = field('timeoutMs');
  return {
    id: id === undefined ? randomUUID() : checkId(id, at('id')),
    type: type === undefined ? 'http' : checkType(type, at('type')),
    lane: lane === undefined ? 'short' : checkLane(lane, at('lane')),
    priority: priority === undefined ? DEFAULT_PRIORITY : checkInt(priority, at('priority'), 0, MAX_PRIORITY),
    payload: serializePayload(payload, at('payload'), maxPayloadBytes),
    delayMs: delayMs === undefined ? 0 : checkInt(delayMs, at('delayMs'), 0, MAX_DELAY_MS),
    maxAttempts: maxAttempts === undefined ? DEFAULT_MAX_ATTEMPTS : checkInt(maxAttempts, at('maxAttempts'), 1, MAX_ATTEMPTS_LIMIT),
    timeoutMs: timeoutMs === undefined ? 0 : checkInt(timeoutMs, at('timeoutMs'), 1, MAX_TIMEOUT_MS),
  };
}

/**
 * Checks a batch: an array whose every element passes `normalizeInput`, named `inputs[i]`.
 *
 * @example
 * normalizeInputs([{ id: 'a' }, { id: 'b' }], 1 << 20).length // 2
 */
export function normalizeInputs(inputs: unknown, maxPayloadBytes: number): NormalizedTask[] {
  let length: number | undefined;
  try {
    if (Array.isArray(inputs)) length = inputs.length;
  } catch (err) {
    // A revoked Proxy throws from Array.isArray; a Proxy's `get` trap may throw on `length`.
    throw new ValidationError('inputs', `Expected \`inputs\` to be an array of task inputs, but inspecting it threw: ${errorText(err)}`);
  }
  if (length === undefined) {
    throw new ValidationError('inputs', `Expected \`inputs\` to be an array of task inputs, got ${describe(inputs)}`);
  }
  // An index loop rather than `map`: `map` skips holes (leaving them for the enqueue to trip
  // over) and may be overridden by an Array subclass or a Proxy.
  const tasks: NormalizedTask[] = [];
  for (let i = 0; i < length; i += 1) {
    const path = `inputs[${i}]`;
    tasks.push(normalizeInput(ownField(inputs as unknown[], String(i), path), path, maxPayloadBytes));
  }
  return tasks;
}

/**
 * The input itself when it is a plain object (`{}`, `Object.create(null)`, or one from another
 * realm) whose own keys are all known fields. A Date, Map, Promise or class instance would
 * otherwise pass as a task of defaults: none of its own keys is unknown.
 */
function plainFields(input: unknown, path: string): object {
  const name = path || 'input';
  const label = path ? `\`${path}\`` : 'the task input';
  let keys: (string | symbol)[] | undefined;
  try {
    if (isPlainObject(input)) keys = Reflect.ownKeys(input);
  } catch (err) {
    // Proxy traps (getPrototypeOf, ownKeys) run user code and may throw anything.
    throw new ValidationError(name, `Expected ${label} to be a plain object, but inspecting it threw: ${errorText(err)}`);
  }
  if (keys === undefined) throw new ValidationError(name, `Expected ${label} to be a plain object, got ${describe(input)}`);
  // Own keys only: a `__proto__` key parsed from JSON is an own key and is rejected here.
  for (const key of keys) {
    if (typeof key !== 'string' || !KNOWN_FIELDS.has(key)) {
      const field = fieldPath(path, key);
      throw new ValidationError(field, `Unknown field \`${field}\`; allowed fields: ${[...KNOWN_FIELDS].join(', ')}`);
    }
  }
  return input as object;
}

/**
 * `inputs[2].colour` for a key that reads as a name; `inputs[2]["a b"]`, `[""]` or `[Symbol(x)]`
 * otherwise, so that an empty, blank or symbol key still yields a field that names it.
 */
function fieldPath(path: string, key: string | symbol): string {
  if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key)) return path ? `${path}.${key}` : key;
  return `${path}[${typeof key === 'string' ? JSON.stringify(key) : String(key)}]`;
}

function isPlainObject(value: unknown): value is object {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || proto === Object.prototype || Object.getPrototypeOf(proto) === null;
}

/**
 * Reads an own property once. Inherited values are ignored, so a polluted `Object.prototype`
 * cannot set fields; reading once means a getter cannot pass validation with one value and
 * be stored with another. A throwing getter or Proxy trap becomes a ValidationError.
 */
function ownField(target: object, key: string, field: string): unknown {
  try {
    return Object.hasOwn(target, key) ? (target as Record<string, unknown>)[key] : undefined;
  } catch (err) {
    throw new ValidationError(field, `Expected \`${field}\` to be readable, but reading it threw: ${errorText(err)}`);
  }
}

/** Throws unless `id` is a well-formed string of 1 to 256 characters. */
export function checkId(id: unknown, field = 'id'): string {
  // A lone surrogate would be replaced when encoded to UTF-8, so two distinct ids could share a key.
  if (typeof id !== 'string' || id.length === 0 || [...id].length > MAX_ID_LENGTH || !id.isWellFormed()) {
    throw new ValidationError(field, `Expected \`${field}\` to be a well-formed string of 1 to ${MAX_ID_LENGTH} characters, got ${describe(id)}`);
  }
  return id;
}

/** Throws unless `type` is a task type: 1 to 128 well-formed characters. */
export function checkType(type: unknown, field: string): string {
  if (typeof type !== 'string' || type.length === 0 || type.length > MAX_TYPE_LENGTH || !type.isWellFormed()) {
    throw new ValidationError(field, `Expected \`${field}\` to be a string of 1 to ${MAX_TYPE_LENGTH} characters, got ${describe(type)}`);
  }
  return type;
}

/** Throws unless `lane` is `short` or `long`. */
export function checkLane(lane: unknown, field = 'lane'): Lane {
  if (typeof lane !== 'string' || !(LANES as readonly string[]).includes(lane)) {
    throw new ValidationError(field, `Expected \`${field}\` to be one of \`short\`, \`long\`, got ${describe(lane)}`);
  }
  return lane as Lane;
}

/** Throws unless `value` is an integer in [min, max]. */
export function checkInt(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ValidationError(field, `Expected \`${field}\` to be an integer from ${min} to ${max}, got ${describe(value)}`);
  }
  return value;
}

/**
 * JSON-encodes a payload or result within a size limit. `undefined` becomes `null`.
 * Throws a ValidationError for values JSON cannot represent (BigInt, cycles, functions), and
 * for a non-finite number, naming its path (`payload.a[2]`): JSON would store it as null.
 */
export function serializePayload(value: unknown, field: string, maxBytes: number): string {
  let json: string | undefined;
  try {
    json = value === undefined ? 'null' : stringifyFinite(value, field);
  } catch (err) {
    if (err instanceof ValidationError) throw err;
    // Cycles, BigInt, stack overflows from deep nesting and throwing toJSON/getters/traps all
    // land here; what was thrown need not be an Error (`throw null`).
    throw new ValidationError(field, `Expected \`${field}\` to serialize to JSON, but it failed: ${errorText(err)}`);
  }
  if (json === undefined) {
    throw new ValidationError(field, `Expected \`${field}\` to serialize to JSON, got ${describe(value)}`);
  }
  const bytes = Buffer.byteLength(json);
  if (bytes > maxBytes) {
    throw new ValidationError(field, `Expected \`${field}\` to be at most ${maxBytes} bytes as JSON, got ${bytes} bytes`);
  }
  return json;
}

/** `5 (number)`, `"x" (string)`: the shape p-queue uses in its messages. Never throws. */
export function describe(value: unknown): string {
  let shown: string;
  try {
    shown = typeof value === 'string' ? JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value) : String(value);
  } catch {
    // String() runs user code (toString, Symbol.toPrimitive, Proxy traps), and so may
    // Object.prototype.toString (a Symbol.toStringTag getter).
    try {
      shown = Object.prototype.toString.call(value);
    } catch {
      shown = '[unprintable]';
    }
  }
  if (shown.length > 100) shown = `${shown.slice(0, 100)}…`;
  return `\`${shown}\` (${kindOf(value)})`;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  try {
    if (Array.isArray(value)) return 'array';
  } catch {
    // a revoked Proxy
  }
  return typeof value;
}

/** The message of whatever was thrown, which may be any value; never throws. */
function errorText(thrown: unknown): string {
  let text: string;
  try {
    text = thrown instanceof Error ? String(thrown.message) : describe(thrown);
  } catch {
    text = '[unprintable]';
  }
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
