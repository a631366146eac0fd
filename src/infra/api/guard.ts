import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { EventEmitter } from 'eventemitter3';
import type { RedisClient } from '../connection.js';
import { GuardWaitError, OptionError, toError } from '../errors.js';
import { QueueKeys, type ApiGuardKeys } from '../keys.js';
import { defineScripts } from '../scripts.js';
import type { ApiRate } from './rate.js';

/** How a guarded call went: the breaker counts `fail`, a 429 is `throttled`, an abort says nothing. */
export type CallOutcome = 'ok' | 'fail' | 'throttled' | 'neutral';

/** Why no permit was granted (or `probe`: the one trial call of a half-open breaker). */
export type WaitReason = 'paused' | 'open' | 'probing' | 'rate' | 'inflight';

/** The circuit breaker's tuning. */
export interface BreakerOptions {
  /** Rolling window the failure ratio is measured over, in 20 buckets. Default 2 s. */
  windowMs?: number;
  /**
   * Calls before the breaker may open: the ratio is measured over the newest buckets of the
   * window that together hold at least this many calls, so a sudden outage opens it after
   * about this many failures, however busy the window was before. Default 10.
   */
  minCalls?: number;
  /** Failure ratio that opens it, above 0 and at most 1. Default 0.8: an API failing one call in five is not down. */
  threshold?: number;
  /** First cooldown before a probe. Default 2 s; each failed probe doubles it. */
  cooldownMs?: number;
  /** Cap of the doubled cooldown. Default 30 s. */
  maxCooldownMs?: number;
  /** A probe that has not reported after this failed; the probe request times out at it. Keep it above the API's normal latency. Default 5 s. */
  probeTimeoutMs?: number;
}

/** Options of {@link ApiGuard}. */
export interface ApiGuardOptions {
  /** Any ioredis client on the queue's Redis. */
  redis: RedisClient;
  /** The queue the guard belongs to: every worker of the queue shares it. */
  queue: string;
  /** Which API: `http` for the built-in handler, or a name of a handlers module's. Default `http`. */
  scope?: string;
  /** At most `limit` calls in any window of `periodMs`, across every worker. Default none. */
  rate?: ApiRate | null;
  /** Calls in flight at once across every worker; 0 for no cap. Default 0. */
  maxInFlight?: number;
  /** The shared circuit breaker; `false` turns it off. Default on. */
  breaker?: BreakerOptions | false;
  /** A permit a worker never gives back (it crashed) frees itself after this. Default 60 s. */
  permitLeaseMs?: number;
  /** Who reports failures: one host's local fault cannot open the breaker for all. Default TASKLANE_HOST_ID, else the host name. */
  reporter?: string;
  /**
   * Smooths the rate limit: at most this many calls in any twentieth of the period, so a
   * period's calls are not sent in one burst (which the network's and the API's queues
   * would spread into the API's next window). 0 for none. Default 0.
   */
  burst?: number;
  /** Permits asked for in one script call. Default 100. */
  maxBatch?: number;
}

/** A granted call. Give it back with {@link ApiGuard.settle}. */
export interface Permit {
  readonly id: string;
  /** The breaker's one trial call after a cooldown: it should time out at `probeTimeoutMs`. */
  readonly probe: boolean;
  /** How long the caller waited for it, ms. */
  readonly waitedMs: number;
  /** When it was granted, on the server's clock (ms): the time the rate limit counts. */
  readonly grantedAt: number;
}

/** The guard's state in Redis, on the server's clock. */
export interface GuardState {
  scope: string;
  breaker: { state: 'closed' | 'open'; until: number | null; cooldownMs: number; forced: 'open' | 'closed' | null; probing: boolean };
  rate: (ApiRate & { callsInPeriod: number }) | null;
  inFlight: { count: number; max: number };
  pausedUntil: number | null;
  window: { ok: number; fail: number; ms: number };
  serverTime: number;
}

/** Events of {@link ApiGuard}. */
export interface ApiGuardEvents {
  /** No permit now; the guard sleeps until `until` (server ms) unless woken. */
  'guard:waiting': (info: { reason: WaitReason; until: number; now: number; waiters: number }) => void;
  /** A permit was granted after `waitedMs`. */
  'permit:granted': (info: { waitedMs: number; probe: boolean }) => void;
  /** A permit was given back with how its call went. */
  'permit:settled': (info: { outcome: CallOutcome; probe: boolean }) => void;
  /** A Redis call of the guard failed; the callers it served got the error. */
  'guard:error': (error: Error) => void;
}

/** Options of {@link ApiGuard.acquire}. */
export interface AcquireOptions {
  /**
   * Longest wait worth holding the caller (ms from the call): when Redis names a later time,
   * acquire rejects with a GuardWaitError carrying the wait, and the caller gives its task
   * back to Redis instead. Default: wait as long as it takes.
   */
  maxWaitMs?: number;
}

interface Waiter {
  readonly since: number;
  /** Local ms past which this caller would rather be told to come back later. */
  readonly limitAt: number;
  readonly signal: AbortSignal | undefined;
  resolve(permit: Permit): void;
  reject(error: Error): void;
}

/** How soon a caller waiting on the in-flight cap or on another worker's probe asks again. */
const RECHECK_MS = 100;

const DEFAULT_BREAKER: Required<BreakerOptions> = {
  windowMs: 2000, minCalls: 10, threshold: 0.8, cooldownMs: 2000, maxCooldownMs: 30_000, probeTimeoutMs: 5000,
};

/** The breaker's defaults (README: "Protecting the external API"). */
export const BREAKER_DEFAULTS: Readonly<Required<BreakerOptions>> = Object.freeze({ ...DEFAULT_BREAKER });

/**
 * One external API's guard, shared through Redis by every worker of a queue: a 429 pauses
 * every caller until its `Retry-After`, a circuit breaker stops calls while the API fails
 * and lets exactly one probe through after a cooldown, a sliding-window rate limit holds
 * any window of the period to the limit, and a cap bounds the calls in flight. Callers in
 * this process queue in order; one script call asks for permits for a batch of them, and
 * when none is free they sleep until the time Redis names.
 *
 * @example
 * const guard = new ApiGuard({ redis, queue: 'emails', rate: parseApiRate('100/s') });
 * const permit = await guard.acquire(signal);
 * try { res = await callTheApi(); await guard.settle(permit, res.status === 429 ? 'throttled' : 'ok'); }
 * catch (err) { await guard.settle(permit, 'fail'); throw err; }
 */
export class ApiGuard extends EventEmitter<ApiGuardEvents> {
  readonly scope: string;
  readonly #keys: ApiGuardKeys;
  readonly #run: ReturnType<typeof defineScripts>;
  readonly #rate: ApiRate | null;
  readonly #maxInFlight: number;
  readonly #breaker: Required<BreakerOptions> | null;
  readonly #permitLeaseMs: number;
  readonly #reporter: string;
  readonly #maxBatch: number;
  readonly #burst: number;
  readonly #waiters: Waiter[] = [];
  #pumping = false;
  #wake: (() => void) | null = null;
  #closed = false;

  constructor(options: ApiGuardOptions) {
    super();
    this.scope = options.scope ?? 'http';
    this.#keys = new QueueKeys(options.queue).api(this.scope);
    this.#run = defineScripts(options.redis);
    this.#rate = options.rate ?? null;
    this.#maxInFlight = wholeNumber(options.maxInFlight ?? 0, 'maxInFlight', 0);
    this.#breaker = options.breaker === false ? null : checkBreaker({ ...DEFAULT_BREAKER, ...options.breaker });
    this.#permitLeaseMs = wholeNumber(options.permitLeaseMs ?? 60_000, 'permitLeaseMs', 1);
    this.#reporter = options.reporter ?? (process.env.TASKLANE_HOST_ID || hostname());
    this.#maxBatch = wholeNumber(options.maxBatch ?? 100, 'maxBatch', 1);
    this.#burst = wholeNumber(options.burst ?? 0, 'burst', 0);
  }

  /** Probe timeout for the caller's request, or null with the breaker off. */
  get probeTimeoutMs(): number | null {
    return this.#breaker?.probeTimeoutMs ?? null;
  }

  /**
   * Resolves with a permit once the guard lets this call go; callers are served in order.
   * Rejects when `signal` aborts first (nothing is held then), when Redis fails, or with a
   * GuardWaitError when the wait would pass `maxWaitMs`.
   */
  acquire(signal?: AbortSignal, { maxWaitMs }: AcquireOptions = {}): Promise<Permit> {
    if (signal?.aborted) return Promise.reject(toError(signal.reason));
    return new Promise<Permit>((resolve, reject) => {
      const since = Date.now();
      const waiter: Waiter = { since, limitAt: maxWaitMs === undefined ? Infinity : since + Math.max(0, maxWaitMs), signal, resolve, reject };
      this.#waiters.push(waiter);
      signal?.addEventListener('abort', () => {
        const at = this.#waiters.indexOf(waiter);
        if (at < 0) return;
        this.#waiters.splice(at, 1);
        reject(toError(signal.reason));
        if (this.#waiters.length === 0) this.#wake?.();
      }, { once: true });
      // After the current task: callers that arrive together are asked for in one script call.
      queueMicrotask(() => void this.#pump());
    });
  }

  /**
   * Gives a permit back with how the call went. `pauseMs` (with `throttled`) pauses every
   * worker of the queue that long: a 429's `Retry-After`.
   */
  async settle(permit: Permit, outcome: CallOutcome, pauseMs = 0): Promise<void> {
    const b = this.#breaker;
    this.emit('permit:settled', { outcome, probe: permit.probe });
    try {
      await this.#run('apiSettle', this.#settleKeys(), [
        permit.id, outcome, this.#reporter, Math.max(0, Math.round(pauseMs)),
        b ? b.windowMs : 0, b?.minCalls ?? 0, b?.threshold ?? 1, b?.cooldownMs ?? 0, b?.maxCooldownMs ?? 0,
      ]);
    } catch (err) {
      this.emit('guard:error', toError(err));
    }
    // A freed slot may let a waiter through before its timer: look again now.
    this.#wake?.();
  }

  /** Holds the breaker open or closed for every worker, or hands it back (`auto`). */
  async force(mode: 'open' | 'closed' | 'auto'): Promise<void> {
    if (mode !== 'open' && mode !== 'closed' && mode !== 'auto') {
      throw new OptionError('mode', `Expected \`mode\` to be 'open', 'closed' or 'auto', got ${JSON.stringify(mode)}`);
    }
    const k = this.#keys;
    await this.#run('apiForce', [k.breaker, k.window, k.reporters], [mode, this.#breaker?.cooldownMs ?? DEFAULT_BREAKER.cooldownMs]);
    this.#wake?.();
  }

  /** The guard's state as every worker sees it. */
  async state(): Promise<GuardState> {
    const k = this.#keys;
    const windowMs = this.#breaker?.windowMs ?? 0;
    const r = (await this.#run('apiState', [k.calls, k.inflight, k.breaker, k.window, k.pause], [this.#rate?.periodMs ?? 1000, windowMs])) as unknown[];
    const num = (i: number) => Number(r[i]);
    const until = num(2);
    const forced = String(r[4]);
    return {
      scope: this.scope,
      breaker: {
        state: r[1] === 'open' ? 'open' : 'closed',
        until: r[1] === 'open' && until > 0 ? until : null,
        cooldownMs: num(3),
        forced: forced === 'open' || forced === 'closed' ? forced : null,
        probing: num(5) === 1,
      },
      rate: this.#rate ? { ...this.#rate, callsInPeriod: num(6) } : null,
      inFlight: { count: num(7), max: this.#maxInFlight },
      pausedUntil: num(8) > 0 ? num(8) : null,
      window: { ok: num(9), fail: num(10), ms: windowMs },
      serverTime: num(0),
    };
  }

  /** Rejects every waiting caller; later calls to `acquire` reject at once. */
  close(): void {
    this.#closed = true;
    for (const waiter of this.#waiters.splice(0)) waiter.reject(new OptionError('guard', 'the API guard is closed'));
    this.#wake?.();
  }

  #settleKeys(): string[] {
    const k = this.#keys;
    return [k.inflight, k.breaker, k.window, k.reporters, k.callers, k.pause];
  }

  /** One loop per process asks Redis for permits for the callers in line, in batches. */
  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#waiters.length > 0 && !this.#closed) {
        const wanted = Math.min(this.#waiters.length, this.#maxBatch);
        const rid = randomUUID();
        const k = this.#keys;
        let reply: unknown[];
        try {
          reply = (await this.#run('apiAcquire', [k.calls, k.inflight, k.breaker, k.pause], [
            rid, wanted, this.#rate?.limit ?? 0, this.#rate?.periodMs ?? 0, this.#maxInFlight, this.#permitLeaseMs,
            this.#breaker?.probeTimeoutMs ?? this.#permitLeaseMs, this.#breaker?.maxCooldownMs ?? 0, this.#burst,
          ])) as unknown[];
        } catch (err) {
          const error = toError(err);
          this.emit('guard:error', error);
          for (const waiter of this.#waiters.splice(0, wanted)) waiter.reject(error);
          continue;
        }
        const granted = Number(reply[0]);
        const reason = String(reply[2]);
        const now = Date.now();
        const grantedAt = Number(reply[3]);
        for (let i = 1; i <= granted; i += 1) {
          const permit = { id: `${rid}:${i}`, probe: reason === 'probe', grantedAt };
          const waiter = this.#waiters.shift();
          if (!waiter) {
            // Its caller gave up while the script ran: the permit goes back unused.
            void this.settle({ ...permit, waitedMs: 0 }, 'neutral');
            continue;
          }
          const waitedMs = now - waiter.since;
          this.emit('permit:granted', { waitedMs, probe: permit.probe });
          waiter.resolve({ ...permit, waitedMs });
        }
        if (granted === 0) {
          const until = Number(reply[1]);
          // For the in-flight cap and a probe under way, Redis can only name when a permit's
          // lease would lapse (a minute, say); another process giving one back, or the probe
          // answering, ends the wait far sooner and tells no one here. Look again shortly.
          const named = Math.max(1, until - Number(reply[3]));
          const delayMs = reason === 'inflight' || reason === 'probing' ? Math.min(named, RECHECK_MS) : named;
          this.#sendBack(now + delayMs, delayMs, reason);
          this.emit('guard:waiting', { reason: reason as WaitReason, until, now: grantedAt, waiters: this.#waiters.length });
          if (this.#waiters.length > 0) await this.#sleep(delayMs);
        }
      }
    } finally {
      this.#pumping = false;
    }
  }

  /** Rejects the callers that would rather come back later than wait until `at` (local ms). */
  #sendBack(at: number, delayMs: number, reason: string): void {
    for (let i = this.#waiters.length - 1; i >= 0; i -= 1) {
      const waiter = this.#waiters[i]!;
      if (waiter.limitAt >= at) continue;
      this.#waiters.splice(i, 1);
      waiter.reject(new GuardWaitError({ retryInMs: delayMs, reason, scope: this.scope }));
    }
  }

  /** Sleeps `ms`, or less when a permit is given back, the breaker is forced, or nobody waits. */
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake = done;
    });
  }
}

function wholeNumber(value: number, field: string, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new OptionError(field, `Expected \`${field}\` to be a whole number from ${min} up, got ${JSON.stringify(value)}`);
  }
  return value;
}

function checkBreaker(b: Required<BreakerOptions>): Required<BreakerOptions> {
  wholeNumber(b.windowMs, 'breaker.windowMs', 100);
  wholeNumber(b.minCalls, 'breaker.minCalls', 1);
  wholeNumber(b.cooldownMs, 'breaker.cooldownMs', 1);
  wholeNumber(b.maxCooldownMs, 'breaker.maxCooldownMs', b.cooldownMs);
  wholeNumber(b.probeTimeoutMs, 'breaker.probeTimeoutMs', 1);
  if (!(typeof b.threshold === 'number' && b.threshold > 0 && b.threshold <= 1)) {
    throw new OptionError('breaker.threshold', `Expected \`breaker.threshold\` to be a ratio above 0 and at most 1, got ${JSON.stringify(b.threshold)}`);
  }
  return b;
}
