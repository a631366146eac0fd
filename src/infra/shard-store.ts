import { randomBytes } from 'node:crypto';
import type { RedisClient } from './connection.js';
import { UnexpectedReplyError } from './errors.js';
import type { QueueKeys } from './keys.js';
import type { QueueSettings } from './queue-options.js';
import type { RunScript, ScriptName } from './scripts.js';
import { keysOfTask } from './shards.js';

/** Entries per script call in the sweeps (retryAllDead, purgeAllDead, releaseOwner, reap), so one call never blocks Redis for long. */
export const CHUNK = 500;
/** Times a hot script call that ioredis aborted is sent again (see resend). */
const ABORT_RESENDS = 5;

type Arg = string | number;

/**
 * What the parts of a TaskQueue share: its client, its settings, the keys of each shard, and
 * the way a script runs on a shard (after the layout check; with WAIT under replicated
 * durability). Every script touches the keys of one shard, so it runs in one slot.
 */
export class ShardStore {
  readonly redis: RedisClient;
  readonly shardKeys: readonly QueueKeys[];
  readonly settings: QueueSettings;
  readonly #run: RunScript;
  /** Each shard's wake channel as its scripts take it (`!` in front: a shard channel, see includes/wake.lua). */
  readonly #channels: readonly string[];

  constructor({ redis, shardKeys, settings, run, shardChannels }: { redis: RedisClient; shardKeys: readonly QueueKeys[]; settings: QueueSettings; run: RunScript; shardChannels: boolean }) {
    this.redis = redis;
    this.shardKeys = shardKeys;
    this.settings = settings;
    this.#run = run;
    this.#channels = shardKeys.map((keys) => (shardChannels ? `!${keys.wakeChannel}` : keys.wakeChannel));
  }

  /** The keys of the shard that holds task `id`. */
  keysFor(id: string): QueueKeys {
    return keysOfTask(this.shardKeys, id);
  }

  /** The wake channel argument of the scripts of the shard of `keys`. */
  channel(keys: QueueKeys): string {
    return this.#channels[keys.shard]!;
  }

  run(name: ScriptName, keys: readonly Arg[], argv: readonly Arg[]): Promise<unknown> {
    return this.#run(name, keys, argv);
  }

  /**
   * Runs a hot script, sending it again when ioredis aborted it: with auto-pipelining, a
   * connection that closes after part of a pipeline was answered rejects the rest instead of
   * resending them, although Redis may have run them. The same arguments (claim id, enqueue
   * token, fence) make a second run answer as the first, so the leases of a claim whose
   * reply was lost are recovered, not orphaned until they lapse.
   */
  async resend(name: ScriptName, keys: readonly Arg[], argv: readonly Arg[]): Promise<unknown> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.#run(name, keys, argv);
      } catch (error) {
        if (attempt >= ABORT_RESENDS || !(error instanceof Error) || error.name !== 'AbortError') throw error;
      }
    }
  }

  /** Runs `call` on every shard at once; its answers in shard order. */
  each<T>(call: (keys: QueueKeys) => Promise<T>): Promise<T[]> {
    return Promise.all(this.shardKeys.map(call));
  }

  /** Runs `call` on every shard at once and adds up what it returns. */
  async sum(call: (keys: QueueKeys) => Promise<number>): Promise<number> {
    return (await this.each(call)).reduce((total, n) => total + n, 0);
  }

  /**
   * Each shard keeps its share of `completedRetention.max`: ids spread evenly over the shards,
   * so the queue keeps about `max` completed records in all.
   */
  completedMaxPerShard(): number {
    return Math.ceil(this.settings.completedMax / this.shardKeys.length);
  }

  /** KEYS of the scripts that move lost leases back (requeueExpired, releaseOwner). */
  leaseKeys(k: QueueKeys): string[] {
    return [k.active, k.waiting('short'), k.waiting('long'), k.dead, k.slotGuard];
  }

  /** Their first ARGV. */
  stallArgs(k: QueueKeys): Arg[] {
    const o = this.settings;
    return [k.prefix, this.channel(k), o.maxStalls, o.deadRetentionMs, o.dedupWindowMs];
  }
}

/** 72 random bits (12 characters): an id for one script call, repeated only when ioredis resends that call. */
export function replayId(): string {
  return randomBytes(9).toString('base64url');
}

export function expectArray(script: string, reply: unknown): unknown[] {
  if (!Array.isArray(reply)) throw new UnexpectedReplyError(script, reply);
  return reply;
}
