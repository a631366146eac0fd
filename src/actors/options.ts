import { OptionError } from '../infra/errors.js';
import { LANES, type Lane } from '../infra/types.js';
import { describe } from '../infra/validate.js';
import type { HandlerMap, LeaseStore, Logger } from './types.js';

const HOUR = 3_600_000;

/**
 * Extra lease time a short-lane actor claims over `defaultTimeoutMs`, so that a task
 * without its own timeout cannot outlive its lease before the deadline settles it.
 * (Tasks with a timeout get `timeout + margin` from the store itself.)
 */
export const SHORT_LEASE_MARGIN_MS = 5000;

/**
 * How an actor is set up. Only `lane`, `store`, `handlers` and `owner` are required.
 *
 * @example
 * const options: ActorOptions = { lane: 'short', store: queue, handlers: { http: fetchTask }, owner: 'worker-1' };
 */
export interface ActorOptions {
  /** The lane this actor claims from. */
  lane: Lane;
  /** Where leases come from and outcomes go; a TaskQueue fits. */
  store: LeaseStore;
  /** Handlers by task `type`. */
  handlers: HandlerMap;
  /** Lease owner id, one per worker process. */
  owner: string;
  /** Tasks run at once. Default 10. */
  concurrency?: number;
  /** Lease length asked of the store. Default 30 s. A short-lane actor claims at least `defaultTimeoutMs` + 5 s. */
  leaseMs?: number;
  /** Short lane: the deadline of a task that sets none. Default 30 s. */
  defaultTimeoutMs?: number;
  /** Long lane: how often leases are renewed. Default `leaseMs / 3`; must be below `leaseMs`. */
  heartbeatEveryMs?: number;
  /** Longest wait for a wake-up before claiming again. Default 1 s. */
  idleWaitMs?: number;
  /**
   * How long a task whose type has no handler here is parked (released with a delay, its
   * attempts untouched) in the hope that a worker that handles it starts, counted from the
   * task's creation; past it the task is dead-lettered. Default 0: dead-lettered at once.
   */
  unknownTypeGraceMs?: number;
  /**
   * How long handlers past their deadline must hold every slot before the actor reports
   * itself wedged (`actor:wedged`). Default 5 s: a handler that honours its signal but
   * cleans up asynchronously (a rollback in a `finally`) lets go well within it.
   */
  wedgedAfterMs?: number;
  /** Default: a logger that drops everything. */
  log?: Logger;
}

/** ActorOptions after validation, with every default filled in. */
export interface ResolvedActorOptions {
  readonly lane: Lane;
  readonly store: LeaseStore;
  readonly handlers: HandlerMap;
  readonly owner: string;
  readonly concurrency: number;
  readonly leaseMs: number;
  /** What the claim asks for: `leaseMs`, raised on the short lane to cover the default deadline. */
  readonly claimLeaseMs: number;
  readonly defaultTimeoutMs: number;
  readonly heartbeatEveryMs: number;
  readonly idleWaitMs: number;
  readonly unknownTypeGraceMs: number;
  readonly wedgedAfterMs: number;
  readonly log: Logger;
}

const STORE_METHODS = ['claimBatch', 'heartbeat', 'completeMany', 'fail', 'release', 'wakeGeneration', 'waitForWork'] as const;
const LOGGER_METHODS = ['debug', 'info', 'warn', 'error', 'child'] as const;

/**
 * A logger that drops everything; `child` returns itself.
 *
 * @example
 * noopLogger.child({ task: 'a' }).info({}, 'never printed');
 */
export const noopLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return noopLogger;
  },
  isLevelEnabled() {
    return false;
  },
};

/**
 * Checks actor options and fills in defaults; throws an OptionError naming the first bad option.
 *
 * @example
 * resolveActorOptions({ lane: 'long', store, handlers, owner: 'w1', leaseMs: 9000 }).heartbeatEveryMs // 3000
 */
export function resolveActorOptions(options: ActorOptions): ResolvedActorOptions {
  if (options === null || typeof options !== 'object') {
    throw new OptionError('options', `Expected actor options to be an object, got ${describe(options)}`);
  }
  const { lane, store, handlers, owner, log = noopLogger } = options;
  if (!(LANES as readonly unknown[]).includes(lane)) {
    throw new OptionError('lane', `Expected \`lane\` to be one of \`short\`, \`long\`, got ${describe(lane)}`);
  }
  checkMethods('store', store, STORE_METHODS);
  checkMethods('log', log, LOGGER_METHODS);
  if (handlers === null || typeof handlers !== 'object') {
    throw new OptionError('handlers', `Expected \`handlers\` to be an object of functions by task type, got ${describe(handlers)}`);
  }
  for (const [type, handler] of Object.entries(handlers)) {
    if (typeof handler !== 'function') {
      throw new OptionError('handlers', `Expected \`handlers.${type}\` to be a function, got ${describe(handler)}`);
    }
  }
  if (typeof owner !== 'string' || owner.length === 0) {
    throw new OptionError('owner', `Expected \`owner\` to be a non-empty string, got ${describe(owner)}`);
  }
  // 10_000 is the most one claim may take (TaskQueue.claimBatch checks `max`).
  const concurrency = integer(options, 'concurrency', 10, 1, 10_000);
  const leaseMs = integer(options, 'leaseMs', 30_000, 2, 24 * HOUR);
  const defaultTimeoutMs = integer(options, 'defaultTimeoutMs', 30_000, 1, 24 * HOUR);
  // A renewal at or after expiry would always come too late.
  const heartbeatEveryMs = integer(options, 'heartbeatEveryMs', Math.max(1, Math.floor(leaseMs / 3)), 1, leaseMs - 1);
  // 0 would turn the idle wait into a polling loop.
  const idleWaitMs = integer(options, 'idleWaitMs', 1000, 1, HOUR);
  const unknownTypeGraceMs = integer(options, 'unknownTypeGraceMs', 0, 0, 365 * 24 * HOUR);
  const wedgedAfterMs = integer(options, 'wedgedAfterMs', 5000, 0, HOUR);
  const claimLeaseMs = lane === 'short' ? Math.max(leaseMs, Math.min(24 * HOUR, defaultTimeoutMs + SHORT_LEASE_MARGIN_MS)) : leaseMs;
  return { lane, store, handlers, owner, concurrency, leaseMs, claimLeaseMs, defaultTimeoutMs, heartbeatEveryMs, idleWaitMs, unknownTypeGraceMs, wedgedAfterMs, log };
}

type NumericOption = 'concurrency' | 'leaseMs' | 'defaultTimeoutMs' | 'heartbeatEveryMs' | 'idleWaitMs' | 'unknownTypeGraceMs' | 'wedgedAfterMs';

function integer(options: ActorOptions, name: NumericOption, fallback: number, min: number, max: number): number {
  const value: unknown = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new OptionError(name, `Expected \`${name}\` to be an integer from ${min} to ${max}, got ${describe(value)}`);
  }
  return value;
}

function checkMethods(name: string, value: unknown, methods: readonly string[]): void {
  const missing = value !== null && typeof value === 'object'
    ? methods.filter((m) => typeof (value as Record<string, unknown>)[m] !== 'function')
    : methods;
  if (missing.length > 0) {
    throw new OptionError(name, `Expected \`${name}\` to have the methods ${methods.map((m) => `\`${m}\``).join(', ')}; missing ${missing.map((m) => `\`${m}\``).join(', ')}`);
  }
}
