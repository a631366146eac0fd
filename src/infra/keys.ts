import { OptionError } from './errors.js';
import { LANES, type Lane } from './types.js';

/**
 * Builds every Redis key of one queue, or of one shard of a sharded queue. All keys of a
 * shard share one hash tag, so a shard lives in one Redis Cluster slot and every script can
 * touch its keys together: `{name}` for shard 0 (the whole queue when it has one shard, so
 * that layout is unchanged), `{name~i}` for shard i. Queue-wide keys (layout stamp, API
 * guards) live in shard 0.
 *
 * @example
 * new QueueKeys('emails').waiting('short')    // 'tl:{emails}:wait:short'
 * new QueueKeys('emails', 'tl', 3).delayed    // 'tl:{emails~3}:delayed'
 */
export class QueueKeys {
  readonly name: string;
  /** Which shard of the queue these keys are (0 for an unsharded queue). */
  readonly shard: number;
  /** Prefix of per-task keys, handed to scripts that derive `t:<id>` and `d:<id>`. */
  readonly prefix: string;

  constructor(name: string, namespace = 'tl', shard = 0) {
    QueueKeys.check(name);
    this.name = name;
    this.shard = shard;
    this.prefix = shard === 0 ? `${namespace}:{${name}}:` : `${namespace}:{${name}~${shard}}:`;
  }

  /**
   * Throws unless `name` can be a queue name. A name ending in `~` and digits is refused: it
   * would share its hash tag, and so its keys, with a shard of another queue.
   */
  static check(name: unknown): asserts name is string {
    if (typeof name !== 'string' || name.length === 0 || name.length > 128 || /[{}\s]/.test(name) || /~\d+$/.test(name)) {
      throw new OptionError('name', `Expected \`name\` to be 1 to 128 characters without braces or spaces, not ending in \`~\` and digits (shards use that), got ${JSON.stringify(name)}`);
    }
  }

  waiting(lane: Lane): string {
    return `${this.prefix}wait:${lane}`;
  }

  get delayed(): string {
    return `${this.prefix}delayed`;
  }

  get active(): string {
    return `${this.prefix}active`;
  }

  get completed(): string {
    return `${this.prefix}completed`;
  }

  get dead(): string {
    return `${this.prefix}dead`;
  }

  /** Counter that orders tasks FIFO within a priority. */
  get seq(): string {
    return `${this.prefix}seq`;
  }

  /**
   * Hash of type → tasks ever enqueued (duplicates not counted). Kept in Redis because
   * producers are any process (apps, CLI, HTTP); metrics read it at scrape time.
   */
  get enqueuedCounts(): string {
    return `${this.prefix}count:enqueued`;
  }

  /**
   * Marker of a paused lane (value: server ms when it was paused). Its existence is the
   * pause: the claim script checks it with one EXISTS, and it lives in Redis so every
   * supervisor sees it and it survives restarts.
   */
  paused(lane: Lane): string {
    return `${this.prefix}paused:${lane}`;
  }

  /**
   * String holding the version of the key layout the queue is stored in (see layout.ts),
   * written by the first TaskQueue that opens the queue.
   */
  get layout(): string {
    return `${this.prefix}layout`;
  }

  /**
   * The queue-wide keys of stored tasks and pauses: a queue with none of them holds no work,
   * and one with some but no {@link layout} stamp was stored before layouts were versioned.
   */
  get stored(): readonly string[] {
    return [...LANES.map((lane) => this.waiting(lane)), this.delayed, this.active, this.completed, this.dead, this.seq, this.enqueuedCounts, ...LANES.map((lane) => this.paused(lane))];
  }

  /**
   * A key never written, named by every script that reads or writes task keys it cannot declare
   * (`t:<id>`, `d:<id>`…: found as it goes). While Redis Cluster migrates the shard's slot, a
   * script naming a key the node does not hold is refused with TRYAGAIN before it runs, and the
   * client sends it again until the slot has moved; without it the script would run, and fail
   * on the first task key already moved, after some of its writes.
   */
  get slotGuard(): string {
    return `${this.prefix}guard`;
  }

  /** Pub/sub channel on which scripts announce new work to idle consumers. */
  get wakeChannel(): string {
    return `${this.prefix}wake`;
  }

  /**
   * Keys of the guard of one external API: `scope` is `http` for the built-in handler, or
   * the name a handlers module gives its own guard. Every worker of the queue shares them.
   *
   * @example
   * new QueueKeys('emails').api('http').pause // 'tl:{emails}:api:http:pause'
   */
  api(scope: string): ApiGuardKeys {
    if (!/^[\w.-]{1,64}$/.test(scope)) {
      throw new OptionError('scope', `Expected an API guard's name to be 1 to 64 letters, digits, '_', '.' or '-', got ${JSON.stringify(scope)}`);
    }
    const base = `${this.prefix}api:${scope}:`;
    return {
      calls: `${base}calls`,
      inflight: `${base}inflight`,
      breaker: `${base}breaker`,
      window: `${base}window`,
      reporters: `${base}reporters`,
      callers: `${base}callers`,
      pause: `${base}pause`,
    };
  }

  task(id: string): string {
    return `${this.prefix}t:${id}`;
  }

  /**
   * A payload over 64 bytes, kept beside its record (whose field `pk` says so) so the record
   * hash stays a compact listpack; it expires and is deleted with the record. Lua builds the
   * same name (includes/records.lua payloadKey).
   *
   * @example
   * new QueueKeys('emails').payload('order-1') // 'tl:{emails}:p:order-1'
   */
  payload(id: string): string {
    return `${this.prefix}p:${id}`;
  }

  /**
   * A result over 64 bytes, kept beside its record like {@link payload} (field `rk`).
   *
   * @example
   * new QueueKeys('emails').result('order-1') // 'tl:{emails}:r:order-1'
   */
  result(id: string): string {
    return `${this.prefix}r:${id}`;
  }

  /**
   * What one claim call leased (`fence:length:id` per lease), kept for about the lease
   * length, so that a claim ioredis resends after a lost reply answers the same leases.
   *
   * @example
   * new QueueKeys('emails').claimMemo('k3J9x') // 'tl:{emails}:c:k3J9x'
   */
  claimMemo(claimId: string): string {
    return `${this.prefix}c:${claimId}`;
  }

  /** Small marker that remembers a finished id for the dedup window. */
  dedup(id: string): string {
    return `${this.prefix}d:${id}`;
  }
}

/** The Redis keys of one API guard (see {@link QueueKeys.api}). */
export interface ApiGuardKeys {
  /** Sorted set: permit id → call time; the sliding window of the rate limit. */
  readonly calls: string;
  /** Sorted set: permit id → lease expiry; calls in flight. */
  readonly inflight: string;
  /** Hash: the circuit breaker's state, cooldown, probe and operator override. */
  readonly breaker: string;
  /** Hash: outcome counts per bucket of the breaker's rolling window. */
  readonly window: string;
  /** Sorted set: reporter (host) → last failure in the window. */
  readonly reporters: string;
  /** Sorted set: reporter (host) → last call in the window. */
  readonly callers: string;
  /** String whose TTL is the pause every worker keeps after a 429. */
  readonly pause: string;
}
