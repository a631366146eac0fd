import { EventEmitter } from 'eventemitter3';
import { backoffDelay } from './backoff.js';
import { Claims } from './claims.js';
import { checkEvictionPolicy, isCluster, resolveRedis, type RedisClient } from './connection.js';
import { readDeadLetterPage, readDeadLetters, readDeadSummaries, type DeadLetterPage, type DeadLetterSummary } from './dead-letters.js';
import { decodeTask, errorInfo, readRecord } from './decode.js';
import { ClosedError, IdInUseError, LayoutError, ShardCountError, UnexpectedReplyError, ValidationError, toError } from './errors.js';
import type { QueueKeys } from './keys.js';
import { checkLayout } from './layout.js';
import { listShards } from './list-shards.js';
import { planList, readPage, type ListOptions, type TaskPage } from './list-tasks.js';
import { parkDelay, queueSettings, retryDelay, type QueueSettings, type TaskQueueOptions } from './queue-options.js';
import { expectArray, replayId, ShardStore } from './shard-store.js';
import { groupByShard, shardKeys } from './shards.js';
import { purgeAllDead, reap, releaseOwner, requeueExpired, retryAllDead } from './sweeps.js';
import { mergeTls } from './tls.js';
import { defineReplicatedScripts, defineScripts, type RunScript, type ScriptName } from './scripts.js';
import { LANES, type ClaimBatch, type ClaimOptions, type EnqueueResult, type FailOptions, type FailOutcome, type IdRefusal, type Lane, type Lease, type QueueStats, type ReleaseOptions, type TaskInfo, type TaskInput, type ThrottleOptions } from './types.js';
import { checkId, checkInt, checkLane, normalizeInput, normalizeInputs, serializePayload, type NormalizedTask } from './validate.js';
import { WakeSignal } from './wake.js';

export { DURABILITIES, MAX_SHARDS, type Durability, type TaskQueueOptions } from './queue-options.js';

const HOUR = 3_600_000;
/**
 * Scripts whose writes a failover may lose harmlessly, or that write nothing: durability
 * 'replicated' sends them without WAIT. Reads and reaping (stats and reap delete records past
 * their retention, which the next call deletes again) go on while a master has no replica. A
 * claim or heartbeat lost in a failover costs a lease (the task is claimed again, fenced), but
 * one refused for want of a replica would leave leases nobody holds to lapse into stalls.
 */
const UNREPLICATED_SCRIPTS: ReadonlySet<ScriptName> = new Set(['refusal', 'listTasks', 'layout', 'stats', 'reap', 'claim', 'heartbeat']);

/** Events of a TaskQueue. */
export interface TaskQueueEvents {
  /**
   * A condition that risks losing tasks, such as an eviction policy other than `noeviction`,
   * or a corrupt task a claim could not dead-letter.
   */
  'queue:warning': (message: string) => void;
}

/** Tasks per script call in enqueueMany, so one call never blocks Redis for long. */
const ENQUEUE_CHUNK = 500;

/**
 * A priority task queue on Redis with two lanes, leases with fencing tokens,
 * dedup, durable retries and dead letters. Every state change is one Lua script.
 *
 * @example
 * const queue = new TaskQueue({ name: 'emails' });
 * await queue.enqueue({ id: 'welcome:42', payload: { to: 'a@example.com' }, priority: 10 });
 * const [lease] = await queue.claim('short', { max: 1, leaseMs: 30_000, owner: 'worker-1' });
 * if (lease) await queue.complete(lease, { sent: true });
 */
export class TaskQueue extends EventEmitter<TaskQueueEvents> {
  readonly name: string;
  /**
   * The keys of shard 0: those of the whole queue when it has one shard. A sharded queue keeps
   * its queue-wide keys (layout stamp, API guards) here; its tasks are in {@link shardKeys}.
   */
  readonly keys: QueueKeys;
  /** The keys of every shard, shard 0 first (one entry for an unsharded queue). */
  readonly shardKeys: readonly QueueKeys[];
  readonly redis: RedisClient;
  readonly #owned: boolean;
  /** Runs scripts on shards once the layout is checked; every operation goes through it or awaits checkLayout. */
  readonly #store: ShardStore;
  readonly #runLayout: RunScript;
  readonly #claims: Claims;
  readonly #wake: WakeSignal;
  readonly #opts: QueueSettings;
  #layout: Promise<void> | undefined;
  #listening: Promise<void> | undefined;
  #closed = false;

  constructor(options: TaskQueueOptions = {}) {
    super();
    this.#opts = queueSettings(options);
    this.name = options.name ?? 'default';
    this.shardKeys = shardKeys(this.name, options.namespace ?? 'tl', this.#opts.shards);
    this.keys = this.shardKeys[0]!;
    const tls = mergeTls(options.redis, options.tls);
    const { client, owned } = resolveRedis(options.redis, tls ? { tls } : {});
    this.redis = client;
    this.#owned = owned;
    const run = this.#opts.durability === 'replicated' ? defineReplicatedScripts(client, this.#opts.replicationTimeoutMs, UNREPLICATED_SCRIPTS) : defineScripts(client);
    this.#runLayout = run;
    const cluster = isCluster(client);
    this.#store = new ShardStore({
      redis: client,
      shardKeys: this.shardKeys,
      settings: this.#opts,
      shardChannels: cluster,
      run: async (name, keys, argv) => {
        await this.checkLayout();
        return run(name, keys, argv);
      },
    });
    this.#claims = new Claims(this.#store, (corrupt) => this.#deadLetterCorrupt(corrupt));
    const router = this.#claims.router;
    // On a cluster, one subscriber per node serving a shard's slot (ioredis shardedSubscribers).
    const makeSubscriber = () => (isCluster(client) ? client.duplicate([], { shardedSubscribers: true }) : client.duplicate());
    this.#wake = new WakeSignal(this.shardKeys.map((keys) => keys.wakeChannel), makeSubscriber, { sharded: cluster, follow: client, onShard: router && ((shard, message) => router.wake(shard, message)) });
    void checkEvictionPolicy(client).then((warning) => {
      if (warning) this.#warn(warning);
    });
  }

  /** How many shards the queue is split into (TaskQueueOptions.shards). */
  get shards(): number {
    return this.shardKeys.length;
  }

  /**
   * The keys of the shard that holds task `id` (for one shard: {@link keys}).
   *
   * @example
   * queue.keysFor('order-1').task('order-1') // 'tl:{emails~7}:t:order-1' in a queue of 12 shards
   */
  keysFor(id: string): QueueKeys {
    return this.#store.keysFor(id);
  }

  /**
   * Checks, once, that the queue is stored in the key layout this version reads, and stamps
   * that layout on a new queue (or on one stored before layouts were versioned, which it reads
   * as is). Every operation on the queue's keys awaits it first, so calling it is optional:
   * start-up code does, to fail at once. Rejects with LayoutError (TASKLANE_ERR_LAYOUT) for a
   * queue of another layout, and so does every operation after; another failure (Redis
   * unreachable) is not remembered, and the next operation checks again. The stamp also holds
   * the shard count, fixed by the first stamp: a queue opened with another `shards` is refused
   * with ShardCountError (TASKLANE_ERR_SHARD_COUNT), and so is one stored before layouts were
   * versioned (one shard) opened with more.
   *
   * @example
   * await queue.checkLayout(); // LayoutError: queue `emails` is stored in key layout 3 …
   */
  checkLayout(): Promise<void> {
    this.#layout ??= checkLayout(this.#runLayout, this.keys, this.shardKeys.length).then(
      () => undefined,
      (err: unknown) => {
        if (!(err instanceof LayoutError) && !(err instanceof ShardCountError)) this.#layout = undefined;
        throw err;
      },
    );
    return this.#layout;
  }

  /** A `queue:warning` event, or a process warning when nobody listens for one. */
  #warn(warning: string): void {
    if (this.listenerCount('queue:warning') > 0) this.emit('queue:warning', warning);
    else process.emitWarning(warning, 'TasklaneWarning');
  }

  /** Adds one task. `duplicate: true` means the id was already known and nothing changed. */
  async enqueue(input: TaskInput): Promise<EnqueueResult> {
    const task = normalizeInput(input, '', this.#opts.maxPayloadBytes);
    const [result] = await this.#enqueueNormalized([task]);
    return result!;
  }

  /** Adds many tasks in one round trip. Any invalid input rejects the whole batch before anything is stored. */
  async enqueueMany(inputs: readonly TaskInput[]): Promise<EnqueueResult[]> {
    return this.#enqueueNormalized(normalizeInputs(inputs, this.#opts.maxPayloadBytes));
  }

  async #enqueueNormalized(tasks: NormalizedTask[]): Promise<EnqueueResult[]> {
    this.#assertOpen();
    const duplicate = new Array<boolean>(tasks.length);
    const calls: Promise<void>[] = [];
    // Each shard's tasks in their input order, so a repeated id is one shard's business.
    for (const [shard, group] of groupByShard(tasks, (t) => t.id, this.shardKeys.length)) {
      const k = this.shardKeys[shard]!;
      for (let start = 0; start < group.length; start += ENQUEUE_CHUNK) {
        const chunk = group.slice(start, start + ENQUEUE_CHUNK);
        const argv: (string | number)[] = [k.prefix, this.#store.channel(k), chunk.length];
        for (const [, t] of chunk) argv.push(t.id, t.type, t.lane, t.priority, t.payload, t.delayMs, t.maxAttempts, t.timeoutMs);
        // A token per script call, kept on the records it creates: a resent call (its reply was
        // lost) recognises its own tasks and answers `duplicate: false` for them again.
        argv.push(replayId());
        // Chunks of a shard are sent back to back on one connection: one round trip, executed in order.
        calls.push(this.#store.resend('enqueue', [k.waiting('short'), k.waiting('long'), k.delayed, k.seq, k.enqueuedCounts, k.slotGuard], argv).then((reply) => {
          expectArray('enqueue', reply).forEach((flag, i) => {
            duplicate[chunk[i]![0]] = Number(flag) === 1;
          });
        }));
      }
    }
    await Promise.all(calls);
    return tasks.map((t, i) => ({ id: t.id, duplicate: duplicate[i] === true }));
  }

  /** The task record, or null when unknown or expired (see `refusal` for why enqueue may still refuse the id). */
  async get(id: string): Promise<TaskInfo | null> {
    this.#assertOpen();
    checkId(id);
    await this.checkLayout();
    return decodeTask(id, await readRecord(this.redis, this.keysFor(id), id));
  }

  /**
   * Why `enqueue` would call `id` a duplicate although `get` finds no record: the record was
   * purged or expired, and the dedup marker refuses the id until `refusedUntil` (server ms;
   * null for a marker without an expiry). Null when the id has a record, or is free.
   *
   * @example
   * await queue.refusal('a') // { id: 'a', state: 'refused', refusedUntil: 1767225600000 }
   */
  async refusal(id: string): Promise<IdRefusal | null> {
    this.#assertOpen();
    checkId(id);
    const k = this.keysFor(id);
    const [exists, until] = expectArray('refusal', await this.#store.run('refusal', [k.task(id), k.dedup(id)], [])).map(Number) as [number, number];
    if (exists === 1 || until === 0) return null;
    return { id, state: 'refused', refusedUntil: until < 0 ? null : until };
  }

  /**
   * Clears the dedup marker of a finished id whose record is gone, so the id may be enqueued
   * again at once. True when a marker was cleared, false when there was none. Throws
   * IdInUseError (TASKLANE_ERR_ID_IN_USE) while the record exists: nothing stored is touched.
   *
   * @example
   * await queue.purgeDead('a'); await queue.forget('a'); await queue.enqueue({ id: 'a' });
   */
  async forget(id: string): Promise<boolean> {
    this.#assertOpen();
    checkId(id);
    const k = this.keysFor(id);
    const reply = Number(await this.#store.run('forget', [k.task(id), k.dedup(id)], []));
    if (reply === -1) throw new IdInUseError(id);
    return reply === 1;
  }

  /**
   * Pauses claims on `lane`, or on both lanes when none is given. Waiting tasks stay, enqueue
   * still works, leases already out run to their end. Returns the lanes that were running.
   *
   * @example
   * await queue.pause('long') // ['long']
   */
  async pause(lane?: Lane): Promise<Lane[]> {
    return this.#setPaused('pause', lane);
  }

  /**
   * Lets claims on `lane` (or both lanes) go on, and wakes their idle consumers at once.
   * Returns the lanes that were paused.
   *
   * @example
   * await queue.resume() // ['short', 'long'] when both were paused
   */
  async resume(lane?: Lane): Promise<Lane[]> {
    return this.#setPaused('resume', lane);
  }

  /**
   * Which lanes are paused (in a sharded queue: in any shard, as a pause that failed part way
   * leaves it; pausing or resuming again sets every shard).
   *
   * @example
   * await queue.paused() // { short: false, long: true }
   */
  async paused(): Promise<Record<Lane, boolean>> {
    this.#assertOpen();
    await this.checkLayout();
    const [short, long] = await Promise.all(LANES.map(async (lane) => (await this.#store.each((k) => this.redis.exists(k.paused(lane)))).some((n) => n === 1)));
    return { short: short!, long: long! };
  }

  /** Every shard has its own pause marker, which its claims check: a pause sets them all. */
  async #setPaused(script: 'pause' | 'resume', lane: Lane | undefined): Promise<Lane[]> {
    this.#assertOpen();
    const lanes = lane === undefined ? LANES : [checkLane(lane)];
    const changed = await Promise.all(lanes.map(async (l) => {
      const perShard = await this.#store.each((k) => this.#store.run(script, [k.paused(l)], script === 'resume' ? [this.#store.channel(k), l] : []));
      return perShard.some((reply) => Number(reply) === 1);
    }));
    return lanes.filter((_, i) => changed[i]);
  }

  /** Counts of every state, summed over the shards. */
  async stats(): Promise<QueueStats> {
    this.#assertOpen();
    const o = this.#opts;
    // Sent back to back on each shard's connection: one round trip.
    const [perShard, paused] = await Promise.all([
      this.#store.each(async (k) => expectArray('stats', await this.#store.run('stats', [k.waiting('short'), k.waiting('long'), k.delayed, k.active, k.completed, k.dead, k.slotGuard],
        [o.completedRetentionMs, o.deadRetentionMs, k.prefix, this.#store.completedMaxPerShard()])).map(Number)),
      this.paused(),
    ]);
    const [short, long, delayed, active, completed, dead] = perShard.reduce((sum, counts) => sum.map((n, i) => n + counts[i]!), [0, 0, 0, 0, 0, 0]) as [number, number, number, number, number, number];
    return { waiting: { short, long }, delayed, active, completed, dead, paused };
  }

  /**
   * Tasks ever enqueued per type (duplicates not counted), summed over the shards.
   *
   * @example
   * await queue.enqueuedCounts() // { http: 1200, resize: 40 }
   */
  async enqueuedCounts(): Promise<Record<string, number>> {
    this.#assertOpen();
    await this.checkLayout();
    // No prototype: a type may be named `__proto__`.
    const totals: Record<string, number> = Object.create(null) as Record<string, number>;
    for (const counts of await this.#store.each((k) => this.redis.hgetall(k.enqueuedCounts))) {
      for (const [type, count] of Object.entries(counts)) totals[type] = (totals[type] ?? 0) + Number(count);
    }
    return totals;
  }

  /**
   * Waiting tasks of `lane` per priority range (`min` and `max` inclusive), in the order of
   * `bands`. The ZCOUNTs go out back to back on one connection: one round trip.
   *
   * @example
   * await queue.waitingByPriority('short', [{ min: 0, max: 9 }, { min: 10, max: 99 }]) // [2, 0]
   */
  async waitingByPriority(lane: Lane, bands: ReadonlyArray<{ readonly min: number; readonly max: number }>): Promise<number[]> {
    this.#assertOpen();
    checkLane(lane);
    await this.checkLayout();
    const perShard = await this.#store.each((k) => Promise.all(bands.map(({ min, max }) => this.redis.zcount(k.waiting(lane), min, max))));
    return bands.map((_, i) => perShard.reduce((sum, counts) => sum + Number(counts[i]), 0));
  }

  /**
   * One page of the tasks in a state, read-only: waiting in claim order (one lane, or both
   * merged), delayed by due time, active by lease expiry, completed and dead most recent
   * first. Rows leave out payload and result (load those with `get`). Pass `nextCursor` back
   * as `cursor` for the next page; it is null at the end. A page may be short, even empty,
   * with a cursor: filters look at a bounded number of index entries per call. A sharded
   * queue merges its shards' pages in that order; FIFO ties of one priority are ordered within
   * each shard, and across shards by their sequence numbers, which each shard counts alone.
   *
   * @example
   * let page = await queue.list({ state: 'waiting', lane: 'short', limit: 50 });
   * while (page.nextCursor) page = await queue.list({ state: 'waiting', lane: 'short', limit: 50, cursor: page.nextCursor });
   */
  async list(options: ListOptions): Promise<TaskPage> {
    this.#assertOpen();
    if (this.shardKeys.length > 1) return listShards(this.shardKeys, options, (_, { keys, argv }) => this.#store.run('listTasks', keys, argv));
    const { keys, argv } = planList(this.keys, options);
    return readPage(await this.#store.run('listTasks', keys, argv), options);
  }

  /** Withdraws a waiting or delayed task. True only when it was waiting or delayed. */
  async cancel(id: string): Promise<boolean> {
    this.#assertOpen();
    checkId(id);
    const k = this.keysFor(id);
    const reply = await this.#store.run('cancel', [k.waiting('short'), k.waiting('long'), k.delayed, k.slotGuard], [k.prefix, id, this.#opts.completedRetentionMs, this.#opts.dedupWindowMs]);
    return Number(reply) === 1;
  }

  /** Dead letters, most recent first, read 100 records per round trip. */
  async deadLetters({ limit = 100, offset = 0 }: { limit?: number; offset?: number } = {}): Promise<TaskInfo[]> {
    this.#assertOpen();
    checkInt(limit, 'limit', 1, 10_000);
    checkInt(offset, 'offset', 0, Number.MAX_SAFE_INTEGER);
    await this.checkLayout();
    return readDeadLetters(this.redis, this.shardKeys, { limit, offset });
  }

  /**
   * A page of dead letters like `deadLetters`, cut short once the records read pass
   * `maxBytes` (payloads and results are up to `maxPayloadBytes` each), with the offset of
   * the next page (null when none is left). What an HTTP page uses.
   *
   * @example
   * const { tasks, nextOffset } = await queue.deadLetterPage({ limit: 1000, maxBytes: 16 * 2 ** 20 });
   */
  async deadLetterPage({ limit = 100, offset = 0, maxBytes }: { limit?: number; offset?: number; maxBytes: number }): Promise<DeadLetterPage> {
    this.#assertOpen();
    checkInt(limit, 'limit', 1, 10_000);
    checkInt(offset, 'offset', 0, Number.MAX_SAFE_INTEGER);
    checkInt(maxBytes, 'maxBytes', 1, Number.MAX_SAFE_INTEGER);
    await this.checkLayout();
    return readDeadLetterPage(this.redis, this.shardKeys, { limit, offset, maxBytes });
  }

  /**
   * The latest dead letters without payload or result (id, type, lane, priority, attempts,
   * error, finishedAt), for a view polled often.
   *
   * @example
   * const latest = await queue.deadSummaries(50);
   */
  async deadSummaries(limit = 50): Promise<DeadLetterSummary[]> {
    this.#assertOpen();
    checkInt(limit, 'limit', 1, 1000);
    await this.checkLayout();
    return readDeadSummaries(this.redis, this.shardKeys, limit);
  }

  /** Replays a dead letter: back to waiting with attempts reset. */
  async retryDead(id: string): Promise<boolean> {
    this.#assertOpen();
    checkId(id);
    const k = this.keysFor(id);
    return Number(await this.#store.run('retryDead', [k.dead, k.waiting('short'), k.waiting('long'), k.seq, k.slotGuard], [k.prefix, this.#store.channel(k), id])) === 1;
  }

  /** Deletes a dead letter. Its id stays refused for the dedup window, counted from the purge. */
  async purgeDead(id: string): Promise<boolean> {
    this.#assertOpen();
    checkId(id);
    const k = this.keysFor(id);
    return Number(await this.#store.run('purgeDead', [k.dead, k.slotGuard], [k.prefix, id, this.#opts.dedupWindowMs])) === 1;
  }

  /**
   * Replays every dead letter (back to waiting, attempts reset), in chunks of one script
   * call each. Returns how many were replayed. Tasks that die while it runs wait for the next call.
   *
   * @example
   * const replayed = await queue.retryAllDead();
   */
  async retryAllDead(): Promise<number> {
    this.#assertOpen();
    return retryAllDead(this.#store);
  }

  /**
   * Deletes every dead letter, in chunks of one script call each. Returns how many were
   * deleted. Their ids stay refused for the dedup window.
   *
   * @example
   * const purged = await queue.purgeAllDead();
   */
  async purgeAllDead(): Promise<number> {
    this.#assertOpen();
    return purgeAllDead(this.#store);
  }

  /** Leases up to `max` tasks of a lane. */
  async claim(lane: Lane, options: ClaimOptions): Promise<Lease[]> {
    return (await this.claimBatch(lane, options)).leases;
  }

  /**
   * Like `claim`, and also says when the next delayed task is due, so an idle consumer can
   * sleep until then. A sharded queue claims from the shard with the most urgent task it
   * knows of (see ClaimRouter), trying others in turn while a shard has none for it.
   */
  async claimBatch(lane: Lane, { max, leaseMs, owner }: ClaimOptions): Promise<ClaimBatch> {
    this.#assertOpen();
    checkLane(lane);
    checkInt(max, 'max', 0, 10_000);
    checkInt(leaseMs, 'leaseMs', 1, 24 * HOUR);
    if (typeof owner !== 'string' || owner.length === 0) throw new ValidationError('owner', `Expected \`owner\` to be a non-empty string`);
    return this.#claims.claim(lane, { max, leaseMs, owner });
  }

  /**
   * The valid leases of a claim are the caller's whatever becomes of the corrupt ones: a
   * dead-lettering that fails (Redis gone for a moment) must not turn into a rejected claim,
   * which would strand the whole batch until its leases lapse. A corrupt lease not
   * dead-lettered here lapses itself and is requeued, and found corrupt again by the next claim.
   */
  async #deadLetterCorrupt(corrupt: Lease[]): Promise<void> {
    const failed = await Promise.allSettled(corrupt.map((lease) => this.fail(lease, new ValidationError('payload', 'stored payload is not valid JSON'), { retryable: false })));
    const notRecorded = corrupt.filter((_, i) => failed[i]!.status === 'rejected').map((l) => l.id);
    if (notRecorded.length > 0) this.#warn(`could not dead-letter corrupt task(s) ${notRecorded.join(', ')}; their leases will lapse and they will be found again`);
  }

  /** Extends a lease (by its original length unless `leaseMs` is given). False: the lease is lost. */
  async heartbeat(lease: Lease, leaseMs = lease.leaseMs): Promise<boolean> {
    this.#assertOpen();
    checkInt(leaseMs, 'leaseMs', 1, 24 * HOUR);
    const k = this.keysFor(lease.id);
    const reply = Number(await this.#store.resend('heartbeat', [k.active, k.slotGuard], [k.prefix, lease.id, lease.fence, leaseMs]));
    if (reply > 0) lease.expiresAt = reply;
    return reply > 0;
  }

  /** Records a result. False: the fence is stale (the lease was lost) and nothing was written. */
  async complete(lease: Lease, result?: unknown): Promise<boolean> {
    const [ok] = await this.completeMany([{ lease, result }]);
    return ok!;
  }

  /** Records many results in one script call. Each entry succeeds or is stale on its own. */
  async completeMany(entries: ReadonlyArray<{ lease: Lease; result?: unknown }>): Promise<boolean[]> {
    this.#assertOpen();
    if (entries.length === 0) return [];
    const o = this.#opts;
    // Serialized up front, so a result too large rejects the whole call before anything is written.
    const results = entries.map(({ result }) => serializePayload(result, 'result', o.maxPayloadBytes));
    const ok = new Array<boolean>(entries.length);
    await Promise.all([...groupByShard(entries, (entry) => entry.lease.id, this.shardKeys.length)].map(async ([shard, group]) => {
      const k = this.shardKeys[shard]!;
      const argv: (string | number)[] = [k.prefix, o.completedRetentionMs, o.dedupWindowMs, group.length, this.#store.completedMaxPerShard()];
      for (const [i, { lease }] of group) argv.push(lease.id, lease.fence, results[i]!);
      const reply = expectArray('complete', await this.#store.resend('complete', [k.active, k.completed, k.slotGuard], argv));
      group.forEach(([i], r) => {
        ok[i] = Number(reply[r]) === 1;
      });
    }));
    return ok;
  }

  /**
   * Records a failed attempt: a durable delayed retry while attempts remain and the error
   * is retryable, otherwise a dead letter keeping the error.
   */
  async fail(lease: Lease, error: unknown, { retryable = true, retryInMs }: FailOptions = {}): Promise<FailOutcome> {
    this.#assertOpen();
    const delay = retryInMs === undefined ? backoffDelay(lease.attempt, this.#opts.backoff) : retryDelay(retryInMs);
    const k = this.keysFor(lease.id);
    const o = this.#opts;
    const reply = Number(await this.#store.resend('fail', [k.active, k.delayed, k.dead, k.slotGuard],
      [k.prefix, this.#store.channel(k), lease.id, lease.fence, JSON.stringify(errorInfo(toError(error))), retryable ? 1 : 0, delay, o.deadRetentionMs, o.dedupWindowMs]));
    if (reply === 0) return 'stale';
    if (reply === 1) return 'retrying';
    if (reply === 2) return 'dead';
    throw new UnexpectedReplyError('fail', reply);
  }

  /**
   * The delay `fail` schedules for this attempt's retry when given no `retryInMs`: the
   * queue's exponential backoff with jitter (a fresh draw on every call). An actor draws it
   * once and passes it as `retryInMs`, so the retry it logs is the retry it scheduled.
   */
  backoffFor(lease: Lease): number {
    return backoffDelay(lease.attempt, this.#opts.backoff);
  }

  /**
   * Gives a task back unfinished, without counting the attempt. False: the lease was already lost.
   * With `delayMs` the task is parked: delayed like a retry (claimable again after the delay, at
   * its priority), but its attempts are left as they were.
   *
   * @example
   * await queue.release(lease, { delayMs: 30_000 }); // no worker handles lease.type yet
   */
  async release(lease: Lease, { delayMs = 0 }: ReleaseOptions = {}): Promise<boolean> {
    this.#assertOpen();
    const k = this.keysFor(lease.id);
    return Number(await this.#store.resend('release', [k.active, k.waiting('short'), k.waiting('long'), k.delayed, k.slotGuard], [k.prefix, this.#store.channel(k), lease.id, lease.fence, parkDelay(delayMs), 0, 0])) === 1;
  }

  /**
   * Gives a task back after the external API answered 429, delayed and its attempt uncounted
   * like {@link release}, and adds `throttles` to the task's count of 429s. When the count
   * would pass `maxThrottles` nothing is written and the answer is `capped`: the caller
   * dead-letters the task (fail with a ThrottledError). `stale`: the lease was already lost.
   *
   * @example
   * if (await queue.throttle(lease, { delayMs: 2000, maxThrottles: 50 }) === 'capped') await queue.fail(lease, new ThrottledError(51, 50));
   */
  async throttle(lease: Lease, { delayMs, throttles = 1, maxThrottles = 0 }: ThrottleOptions): Promise<'delayed' | 'capped' | 'stale'> {
    this.#assertOpen();
    checkInt(throttles, 'throttles', 1, 1_000_000);
    checkInt(maxThrottles, 'maxThrottles', 0, 1_000_000);
    const k = this.keysFor(lease.id);
    const reply = Number(await this.#store.resend('release', [k.active, k.waiting('short'), k.waiting('long'), k.delayed, k.slotGuard],
      [k.prefix, this.#store.channel(k), lease.id, lease.fence, Math.max(1, parkDelay(delayMs)), throttles, maxThrottles]));
    if (reply === 0) return 'stale';
    if (reply === 1) return 'delayed';
    if (reply === 2) return 'capped';
    throw new UnexpectedReplyError('release', reply);
  }

  /**
   * Puts every task leased by `owner` (a worker known to be dead) back to waiting without
   * waiting for its leases to expire, walking the active set in chunks of one script call
   * each. Returns how many moved (requeued, or dead-lettered past maxStalls).
   *
   * @example
   * await queue.releaseOwner('host-a:worker-3') // 12
   */
  async releaseOwner(owner: string): Promise<number> {
    this.#assertOpen();
    if (typeof owner !== 'string' || owner.length === 0) throw new ValidationError('owner', 'Expected `owner` to be a non-empty string');
    return releaseOwner(this.#store, owner);
  }

  /** Puts tasks whose lease has lapsed back to waiting (or dead after too many stalls), up to `limit` per shard. Returns how many moved. */
  async requeueExpired(limit = 1000): Promise<number> {
    this.#assertOpen();
    checkInt(limit, 'limit', 1, 100_000);
    return requeueExpired(this.#store, limit);
  }

  /**
   * Deletes completed records past their retention (time or count) and trims dead-letter
   * index entries past theirs, in bounded script calls until none is left. Completions and
   * dead letters do this as they go; this covers the time when they stop (the runtime's
   * reaper calls it periodically). Returns how many index entries of each were removed.
   * `maxCalls` caps the script calls (500 entries each) per shard of this one reap, so a periodic caller
   * with a large backlog (a lowered `max`, a long outage) takes it in slices.
   *
   * @example
   * await queue.reap() // { completed: 1200, dead: 0 }
   */
  async reap({ maxCalls = Number.POSITIVE_INFINITY }: { maxCalls?: number } = {}): Promise<{ completed: number; dead: number }> {
    this.#assertOpen();
    return reap(this.#store, maxCalls);
  }

  /** Counter of wake-ups for a lane; read it before claiming and pass it to `waitForWork`. */
  wakeGeneration(lane: Lane): number {
    return this.#wake.generation(lane);
  }

  /**
   * Waits, without polling Redis, until new work may be in `lane` (a wake-up after `since`),
   * or `timeoutMs` passes (default 1 s), or `signal` aborts. Resolves true when woken.
   */
  async waitForWork(lane: Lane, { since = this.wakeGeneration(lane), timeoutMs = 1000, signal }: { since?: number; timeoutMs?: number; signal?: AbortSignal } = {}): Promise<boolean> {
    this.#assertOpen();
    await this.listenForWork();
    return this.#wake.wait(lane, since, timeoutMs, signal);
  }

  /** Counter of resumes of a lane; read it before claiming and pass it to `waitForResume`. */
  resumeGeneration(lane: Lane): number {
    return this.#wake.resumes(lane);
  }

  /**
   * Waits, without polling Redis, until `lane` is resumed (after `since`), `timeoutMs`
   * passes (default 1 s), or `signal` aborts. New tasks do not end it: a consumer of a
   * paused lane could not take them. Resolves true when woken by a resume.
   */
  async waitForResume(lane: Lane, { since = this.resumeGeneration(lane), timeoutMs = 1000, signal }: { since?: number; timeoutMs?: number; signal?: AbortSignal } = {}): Promise<boolean> {
    this.#assertOpen();
    await this.listenForWork();
    return this.#wake.waitResume(lane, since, timeoutMs, signal);
  }

  /** Subscribes to wake-ups now rather than on the first wait. */
  listenForWork(): Promise<void> {
    // Once wake-ups arrive, a sharded queue's claims may skip shards seen empty until one says otherwise.
    this.#listening ??= this.#wake.start().then(() => this.#claims.router?.listening());
    return this.#listening;
  }

  /** Stops the wake-up subscriber and, if this queue created its Redis client, closes it. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#wake.close();
    if (this.#owned) await this.redis.quit().catch(() => this.redis.disconnect());
  }

  #assertOpen(): void {
    if (this.#closed) throw new ClosedError();
  }
}
