/**
 * The API guards of one process: `http`'s from the runtime's flags, and those a handlers
 * module declares for its own types (its `guards` export). Handlers get them lazily: the
 * guards need the queue's Redis client, which exists only once the handlers are loaded.
 */
import type { RedisClient } from '../infra/connection.js';
import type { HandlerMap } from '../actors/types.js';
import { OptionError } from '../infra/errors.js';
import { ApiGuard, BREAKER_DEFAULTS, type BreakerOptions } from '../infra/api/guard.js';
import { emptyGuardCounts, observeWait, type GuardCounts } from '../infra/api/guard-counts.js';
import { guardHandler, type GuardUse } from '../infra/api/guarded.js';
import { parseApiRate, type ApiRate } from '../infra/api/rate.js';

/** The guard of the built-in `http` handler, from the runtime's options (JSON: it crosses to the workers). */
export interface ApiGuardConfig {
  rate: ApiRate | null;
  maxInFlight: number;
  breaker: boolean;
  threshold: number;
  cooldownMs: number;
  maxThrottles: number;
}

/**
 * One entry of a handlers module's `guards` export: the same limits for its own API.
 *
 * @example
 * export const guards = { images: { rate: '10/s', maxInFlight: 5, breaker: { threshold: 0.3 }, types: ['resize'] } };
 */
export interface GuardSpec {
  /** `N/s` or `N/m`. Default: no rate limit. */
  rate?: string;
  /** Default 0: no cap. */
  maxInFlight?: number;
  /** The breaker's tuning, or false to turn it off. Default on, with the defaults. */
  breaker?: BreakerOptions | false;
  /** 429s per task before it is dead-lettered; 0 for no cap. Default the runtime's `apiMaxThrottles`. */
  maxThrottles?: number;
  /** The task types whose handler calls this API. */
  types: string[];
}

/** A wait up to this is spent in-process; a longer one gives the task back to Redis. */
export const MAX_IN_PROCESS_WAIT_MS = 2000;
/** The queue-wide pause after a 429 that names no Retry-After. */
export const DEFAULT_429_PAUSE_MS = 1000;

type Made = { readonly guard: ApiGuard; readonly maxThrottles: number };

/**
 * Builds, attaches and closes the guards of one process.
 *
 * @example
 * const guards = new RuntimeGuards(config, specs, taskTimeoutMs);
 * const handlers = guards.wrap(loaded);        // before Redis is up
 * guards.attach(queue.redis, 'emails');        // once it is
 */
export class RuntimeGuards {
  readonly #config: ApiGuardConfig;
  readonly #specs: Readonly<Record<string, GuardSpec>>;
  readonly #taskTimeoutMs: number;
  readonly #made = new Map<string, Made>();
  readonly #counts = emptyGuardCounts();
  #redis: { client: RedisClient; queue: string } | null = null;

  constructor(config: ApiGuardConfig, specs: Readonly<Record<string, GuardSpec>>, taskTimeoutMs: number) {
    this.#config = config;
    this.#specs = specs;
    this.#taskTimeoutMs = taskTimeoutMs;
  }

  /** Whether the `http` handler is guarded: the breaker is on, or a rate or cap is set. */
  get httpGuarded(): boolean {
    const c = this.#config;
    return c.breaker || c.rate !== null || c.maxInFlight > 0;
  }

  /** Gives the guards their Redis connection; handlers called before this run unguarded. */
  attach(client: RedisClient, queue: string): void {
    this.#redis = { client, queue };
  }

  /** The guard of `scope` (`http` or a `guards` key), made on first use; null before attach. */
  use(scope: string): GuardUse | null {
    if (!this.#redis) return null;
    let made = this.#made.get(scope);
    if (!made) {
      made = this.#make(scope, this.#redis);
      this.#made.set(scope, made);
      made.guard.on('permit:granted', ({ waitedMs }) => observeWait(this.#counts, waitedMs));
      made.guard.on('permit:settled', ({ outcome }) => {
        if (outcome === 'throttled') this.#counts.throttled += 1;
      });
    }
    return { guard: made.guard, maxWaitMs: MAX_IN_PROCESS_WAIT_MS, maxThrottles: made.maxThrottles, defaultPauseMs: DEFAULT_429_PAUSE_MS, taskTimeoutMs: this.#taskTimeoutMs };
  }

  /** Every guard made so far (for their state and counts). */
  guards(): ApiGuard[] {
    return [...this.#made.values()].map((m) => m.guard);
  }

  /** The handler map with each type a `guards` entry names run under that guard. */
  wrap(handlers: HandlerMap): HandlerMap {
    const out: Record<string, HandlerMap[string]> = { ...handlers };
    for (const [scope, spec] of Object.entries(this.#specs)) {
      for (const type of spec.types) {
        const handler = handlers[type];
        if (!handler) throw new OptionError('handlers', `Expected \`guards.${scope}.types\` to name task types of the handlers module; \`${type}\` has no handler`);
        out[type] = guardHandler(handler, () => this.use(scope));
      }
    }
    return Object.freeze(out);
  }

  /** 429s and permit waits of every guard of this process, cumulative. */
  counts(): GuardCounts {
    return { ...this.#counts, waitBuckets: [...this.#counts.waitBuckets] };
  }

  /** The scopes guarded in this process: `http` when it is, and the handlers module's. */
  scopes(): string[] {
    return [...(this.httpGuarded ? ['http'] : []), ...Object.keys(this.#specs)];
  }

  /** Rejects every caller still waiting for a permit. */
  close(): void {
    for (const { guard } of this.#made.values()) guard.close();
  }

  #make(scope: string, { client, queue }: { client: RedisClient; queue: string }): Made {
    const c = this.#config;
    const spec = this.#specs[scope];
    if (!spec) {
      const breaker = c.breaker ? { threshold: c.threshold, cooldownMs: c.cooldownMs, maxCooldownMs: Math.max(c.cooldownMs, BREAKER_DEFAULTS.maxCooldownMs) } : false;
      return { guard: new ApiGuard({ redis: client, queue, scope, rate: c.rate, burst: burstOf(c.rate), maxInFlight: c.maxInFlight, breaker }), maxThrottles: c.maxThrottles };
    }
    const rate = spec.rate === undefined ? null : parseApiRate(spec.rate, `guards.${scope}.rate`);
    const guard = new ApiGuard({ redis: client, queue, scope, rate, burst: burstOf(rate), maxInFlight: spec.maxInFlight ?? 0, breaker: spec.breaker ?? {} });
    return { guard, maxThrottles: spec.maxThrottles ?? c.maxThrottles };
  }
}

/** Twice the average rate in any twentieth of the period (at least 1): the runtime's guards send no period's calls at once. */
function burstOf(rate: ApiRate | null): number {
  return rate ? Math.max(1, Math.ceil(rate.limit / 10)) : 0;
}

/**
 * Checks a handlers module's `guards` export. Throws an OptionError naming the entry.
 *
 * @example
 * checkGuardSpecs({ images: { rate: '10/s', types: ['resize'] } }, '/srv/app/handlers.js')
 */
export function checkGuardSpecs(value: unknown, path: string): Record<string, GuardSpec> {
  if (value === undefined) return {};
  const where = `the \`guards\` export of \`${path}\``;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new OptionError('handlers', `Expected ${where} to be an object mapping an API name → { rate?, maxInFlight?, breaker?, maxThrottles?, types }`);
  }
  const out: Record<string, GuardSpec> = {};
  for (const [scope, raw] of Object.entries(value as Record<string, unknown>)) {
    const spec = raw as Partial<GuardSpec> | null;
    const field = (name: string) => `guards.${scope}.${name}`;
    if (!/^[\w.-]{1,64}$/.test(scope) || scope === 'http') throw new OptionError('handlers', `Expected the API names in ${where} to be 1–64 letters, digits, '_', '.' or '-', and not \`http\` (the built-in handler's), got ${JSON.stringify(scope)}`);
    if (typeof spec !== 'object' || spec === null) throw new OptionError('handlers', `Expected \`guards.${scope}\` in ${where} to be an object`);
    if (!Array.isArray(spec.types) || spec.types.length === 0 || !spec.types.every((t) => typeof t === 'string')) {
      throw new OptionError('handlers', `Expected \`${field('types')}\` in ${where} to be a non-empty array of task types`);
    }
    if (spec.rate !== undefined) parseApiRate(String(spec.rate), field('rate'));
    for (const name of ['maxInFlight', 'maxThrottles'] as const) {
      const n = spec[name];
      if (n !== undefined && !(Number.isSafeInteger(n) && n >= 0)) throw new OptionError('handlers', `Expected \`${field(name)}\` in ${where} to be a whole number from 0 up, got ${JSON.stringify(n)}`);
    }
    if (spec.breaker !== undefined && spec.breaker !== false && (typeof spec.breaker !== 'object' || spec.breaker === null)) {
      throw new OptionError('handlers', `Expected \`${field('breaker')}\` in ${where} to be false or { windowMs?, minCalls?, threshold?, cooldownMs?, maxCooldownMs?, probeTimeoutMs? }`);
    }
    out[scope] = { ...spec, types: [...spec.types] } as GuardSpec;
  }
  return out;
}
