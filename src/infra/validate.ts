import { randomUUID } from 'node:crypto';
import { ValidationError } from './errors.js';
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
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new ValidationError(path || 'input', `Expected ${path ? `\`${path}\`` : 'the task input'} to be an object, got ${describe(input)}`);
  }
  // Own keys only: a `__proto__` key parsed from JSON is an own key and is rejected here.
  for (const key of Reflect.ownKeys(input)) {
    if (typeof key !== 'string' || !KNOWN_FIELDS.has(key)) {
      throw new ValidationError(at(String(key)), `Unknown field \`${at(String(key))}\`; allowed fields: ${[...KNOWN_FIELDS].join(', ')}`);
    }
  }
  const task = input as TaskInput;
  return {
    id: task.id === undefined ? randomUUID() : checkId(task.id, at('id')),
    type: task.type === undefined ? 'http' : checkType(task.type, at('type')),
    lane: task.lane === undefined ? 'short' : checkLane(task.lane, at('lane')),
    priority: task.priority === undefined ? DEFAULT_PRIORITY : checkInt(task.priority, at('priority'), 0, MAX_PRIORITY),
    payload: serializePayload(task.payload, at('payload'), maxPayloadBytes),
    delayMs: task.delayMs === undefined ? 0 : checkInt(task.delayMs, at('delayMs'), 0, MAX_DELAY_MS),
    maxAttempts: task.maxAttempts === undefined ? DEFAULT_MAX_ATTEMPTS : checkInt(task.maxAttempts, at('maxAttempts'), 1, MAX_ATTEMPTS_LIMIT),
    timeoutMs: task.timeoutMs === undefined ? 0 : checkInt(task.timeoutMs, at('timeoutMs'), 1, MAX_TIMEOUT_MS),
  };
}

/** Throws unless `id` is a well-formed string of 1 to 256 characters. */
export function checkId(id: unknown, field = 'id'): string {
  // A lone surrogate would be replaced when encoded to UTF-8, so two distinct ids could share a key.
  if (typeof id !== 'string' || id.length === 0 || [...id].length > MAX_ID_LENGTH || !id.isWellFormed()) {
    throw new ValidationError(field, `Expected \`${field}\` to be a well-formed string of 1 to ${MAX_ID_LENGTH} characters, got ${describe(id)}`);
  }
  return id;
}

function checkType(type: unknown, field: string): string {
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
 * Throws a ValidationError for values JSON cannot represent (BigInt, cycles, functions).
 */
export function serializePayload(value: unknown, field: string, maxBytes: number): string {
  let json: string | undefined;
  try {
    json = value === undefined ? 'null' : JSON.stringify(value);
  } catch (err) {
    // Cycles, BigInt and stack overflows from deep nesting all land here.
    throw new ValidationError(field, `Expected \`${field}\` to serialize to JSON, but it failed: ${(err as Error).message}`);
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

/** `5 (number)`, `"x" (string)`: the shape p-queue uses in its messages. */
export function describe(value: unknown): string {
  let shown: string;
  try {
    shown = typeof value === 'string' ? JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value) : String(value);
  } catch {
    shown = Object.prototype.toString.call(value);
  }
  if (shown.length > 100) shown = `${shown.slice(0, 100)}…`;
  return `\`${shown}\` (${value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value})`;
}
