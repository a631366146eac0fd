import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'eventemitter3';
import type { Redis } from 'ioredis';
import type { ConnectionOptions } from 'node:tls';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { checkEvictionPolicy, resolveRedis, type RedisInput } from './connection.js';
import { readDeadLetterPage, readDeadLetters, readDeadSummaries, type DeadLetterPage, type DeadLetterSummary } from './dead-letters.js';
import { decodeLeases, decodeTask, errorInfo, readRecord } from './decode.js';
import { ClosedError, IdInUseError, LayoutError, OptionError, UnexpectedReplyError, ValidationError, toError } from './errors.js';
import { QueueKeys } from './keys.js';
import { checkLayout } from './layout.js';
import { planList, readPage, type ListOptions, type TaskPage } from './list-tasks.js';
import { completedRetention, STORAGE_DEFAULTS, type CompletedRetention } from './retention.js';
import { mergeTls } from './tls.js';
import { defineScripts, type ScriptName } from './scripts.js';
import { LANES, type ClaimBatch, type ClaimOptions, type EnqueueResult, type FailOptions, type FailOutcome, type IdRefusal, type Lane, type Lease, type QueueStats, type ReleaseOptions, type TaskInfo, type TaskInput, type ThrottleOptions } from './types.js';
import { checkId, checkInt, checkLane, normalizeInput, normalizeInputs, serializePayload, type NormalizedTask } from './validate.js';
import { WakeSignal } from './wake.js';

const HOUR = 3_600_000;
const MAX_RETRY_DELAY_MS = 365 * 24 * HOUR;

export interface TaskQueueOptions {
  /** URL, ioredis options or client. Default: REDIS_URL, else redis://127.0.0.1:6379. */
  redis?: RedisInput;
  /**
   * TLS settings over those of `redis`, e.g. `{ ca: readFileSync('ca.pem') }` for a Redis whose
   * certificate a private CA signed. A rediss:// URL alone trusts Node's default CA store.
   * Ignored when `redis` is a client.
   */
  tls?: ConnectionOptions;
  /** Queue name; all its keys share the hash tag `{name}`. Default `default`. */
  name?: string;
  /** First part of every key. Default `tl`. */
  namespace?: string;
  /** How long a finished id is refused by enqueue. Default 24 h. */
  dedupWindowMs?: number;
  /** How long completed and cancelled records are kept. Default 1 h. Same as `completedRetention.ms`. */
  completedRetentionMs?: number;
  /**
   * How long and how many completed records are kept: those older than `ms` (default 1 h) or
   * beyond the newest `max` (default 500,000, under 0.5 GB at ~930 B per completed task with a
   * 100-byte payload) are deleted, so memory stays bounded at any throughput.
   *
   * @example
   * new TaskQueue({ completedRetention: { ms: 3_600_000, max: 100_000 } })
   */
  completedRetention?: CompletedRetention;
  /** How long dead letters are kept. Default 7 days. */
  deadRetentionMs?: number;
  /** Lost leases a task may have before it is dead-lettered. Default 5. */
  maxStalls?: number;
  /** Largest payload (and result) as JSON. Default 1 MiB. */
  maxPayloadBytes?: number;
  /** Extra lease time over a task's own timeout. Default 5 s. */
  leaseMarginMs?: number;
  /** Default delays of durable retries. */
  backoff?: BackoffOptions;
}

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
/** Entries per script call in the sweeps (retryAllDead, purgeAllDead, releaseOwner, reap), for the same reason. */
const CHUNK = 500;
/** Times a hot script call that ioredis aborted is sent again (see #resend). */
const ABORT_RESENDS = 5;

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
  readonly keys: QueueKeys;
  readonly redis: Redis;
  readonly #owned: boolean;
  /** Runs a script once the layout is checked; every operation goes through it or awaits checkLayout. */
  readonly #run: (name: ScriptName, keys: readonly (string | number)[], argv: readonly (string | number)[]) => Promise<unknown>;
  readonly #runLayout: (name: 'layout', keys: readonly string[], argv: readonly string[]) => Promise<unknown>;
  readonly #wake: WakeSignal;
  readonly #opts: Required<Omit<TaskQueueOptions, 'redis' | 'tls' | 'name' | 'namespace' | 'backoff' | 'completedRetention'>> & { backoff: BackoffOptions; completedMax: number };
  #layout: Promise<void> | undefined;
  #closed = false;

  constructor(options: TaskQueueOptions = {}) {
    super();
    this.name = options.name ?? 'default';
    this.keys = new QueueKeys(this.name, options.namespace ?? 'tl');
    const retention = completedRetention(options);
    this.#opts = {
      dedupWindowMs: option(options, 'dedupWindowMs', STORAGE_DEFAULTS.dedupWindowMs, 0),
      completedRetentionMs: retention.ms,
      completedMax: retention.max,
      deadRetentionMs: option(options, 'deadRetentionMs', STORAGE_DEFAULTS.deadRetentionMs, 1),
      maxStalls: option(options, 'maxStalls', STORAGE_DEFAULTS.maxStalls, 0),
      maxPayloadBytes: option(options, 'maxPayloadBytes', 1 << 20, 1),
      leaseMarginMs: option(options, 'leaseMarginMs', 5000, 0),
      backoff: options.backoff ?? {},
    };
    const tls = mergeTls(options.redis, options.tls);
    const { client, owned } = resolveRedis(options.redis, tls ? { tls } : {});
    this.redis = client;
    this.#owned = owned;
    const run = defineScripts(client);
    this.#run = async (name, keys, argv) => {
      await this.checkLayout();
      return run(name, keys, argv);
    };
    this.#runLayout = run;
    this.#wake = new WakeSignal(this.keys.wakeChannel, () => client.duplicate());
    void checkEvictionPolicy(client).then((warning) => {
      if (warning) this.#warn(warning);
    });
  }

  /**
   * Checks, once, that the queue is stored in the key layout this version reads, and stamps
   * that layout on a new queue (or on one stored before layouts were versioned, which it reads
   * as is). Every operation on the queue's keys awaits it first, so calling it is optional:
   * start-up code does, to fail at once. Rejects with LayoutError (TASKLANE_ERR_LAYOUT) for a
   * queue of another layout, and so does every operation after; another failure (Redis
   * unreachable) is not remembered, and the next operation checks again.
   *
   * @example
   * await queue.checkLayout(); // LayoutError: queue `emails` is stored in key layout 3 …
   */
  checkLayout(): Promise<void> {
    this.#layout ??= checkLayout(this.#runLayout, this.keys).then(
      () => undefined,
      (err: unknown) => {
        if (!(err instanceof LayoutError)) this.#layout = undefined;
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
    const k = this.keys;
    const calls: Promise<unknown>[] = [];
    for (let start = 0; start < tasks.length; start += ENQUEUE_CHUNK) {
      const chunk = tasks.slice(start, start + ENQUEUE_CHUNK);
      const argv: (string | number)[] = [k.prefix, k.wakeChannel, chunk.length];
      for (const t of chunk) argv.push(t.id, t.type, t.lane, t.priority, t.payload, t.delayMs, t.maxAttempts, t.timeoutMs);
      // A token per script call, kept on the records it creates: a resent call (its reply was
      // lost) recognises its own tasks and answers `duplicate: false` for them again.
      argv.push(replayId());
      // Chunks are sent back to back on one connection: one round trip, executed in order.
      calls.push(this.#resend('enqueue', [k.waiting('short'), k.waiting('long'), k.delayed, k.seq, k.enqueuedCounts], argv));
    }
    const flags = (await Promise.all(calls)).flatMap((reply) => expectArray('enqueue', reply));
    return tasks.map((t, i) => ({ id: t.id, duplicate: Number(flags[i]) === 1 }));
  }

  /** The task record, or null when unknown or expired (see `refusal` for why enqueue may still refuse the id). */
  async get(id: string): Promise<TaskInfo | null> {
    this.#assertOpen();
    checkId(id);
    await this.checkLayout();
    return decodeTask(id, await readRecord(this.redis, this.keys, id));
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
    const [exists, until] = expectArray('refusal', await this.#run('refusal', [this.keys.task(id), this.keys.dedup(id)], [])).map(Number) as [number, number];
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
    const reply = Number(await this.#run('forget', [this.keys.task(id), this.keys.dedup(id)], []));
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
   * Which lanes are paused.
   *
   * @example
   * await queue.paused() // { short: false, long: true }
   */
  async paused(): Promise<Record<Lane, boolean>> {
    this.#assertOpen();
    await this.checkLayout();
    const [short, long] = await Promise.all(LANES.map((lane) => this.redis.exists(this.keys.paused(lane))));
    return { short: short === 1, long: long === 1 };
  }

  async #setPaused(script: 'pause' | 'resume', lane: Lane | undefined): Promise<Lane[]> {
    this.#assertOpen();
    const lanes = lane === undefined ? LANES : [checkLane(lane)];
    const k = this.keys;
    const changed = await Promise.all(lanes.map((l) => this.#run(script, [k.paused(l)], script === 'resume' ? [k.wakeChannel, l] : [])));
    return lanes.filter((_, i) => Number(changed[i]) === 1);
  }

  async stats(): Promise<QueueStats> {
    this.#assertOpen();
    const k = this.keys;
    // Sent back to back on one connection: one round trip.
    const [counts, paused] = await Promise.all([
      this.#run('stats', [k.waiting('short'), k.waiting('long'), k.delayed, k.active, k.completed, k.dead], [this.#opts.completedRetentionMs, this.#opts.deadRetentionMs, k.prefix, this.#opts.completedMax]),
      this.paused(),
    ]);
    const [short, long, delayed, active, completed, dead] = expectArray('stats', counts).map(Number) as [number, number, number, number, number, number];
    return { waiting: { short, long }, delayed, active, completed, dead, paused };
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
    const key = this.keys.waiting(lane);
    const counts = await Promise.all(bands.map(({ min, max }) => this.redis.zcount(key, min, max)));
    return counts.map(Number);
  }

  /**
   * One page of the tasks in a state, read-only: waiting in claim order (one lane, or both
   * merged), delayed by due time, active by lease expiry, completed and dead most recent
   * first. Rows leave out payload and result (load those with `get`). Pass `nextCursor` back
   * as `cursor` for the next page; it is null at the end. A page may be short, even empty,
   * with a cursor: filters look at a bounded number of index entries per call.
   *
   * @example
   * let page = await queue.list({ state: 'waiting', lane: 'short', limit: 50 });
   * while (page.nextCursor) page = await queue.list({ state: 'waiting', lane: 'short', limit: 50, cursor: page.nextCursor });
   */
  async list(options: ListOptions): Promise<TaskPage> {
    this.#assertOpen();
    const { keys, argv } = planList(this.keys, options);
    return readPage(await this.#run('listTasks', keys, argv), options);
  }

  /** Withdraws a waiting or delayed task. True only when it was waiting or delayed. */
  async cancel(id: string): Promise<boolean> {
    this.#assertOpen();
    checkId(id);
    const k = this.keys;
    const reply = await this.#run('cancel', [k.waiting('short'), k.waiting('long'), k.delayed], [k.prefix, id, this.#opts.completedRetentionMs, this.#opts.dedupWindowMs]);
    return Number(reply) === 1;
  }

  /** Dead letters, most recent first, read 100 records per round trip. */
  async deadLetters({ limit = 100, offset = 0 }: { limit?: number; offset?: number } = {}): Promise<TaskInfo[]> {
    this.#assertOpen();
    checkInt(limit, 'limit', 1, 10_000);
    checkInt(offset, 'offset', 0, Number.MAX_SAFE_INTEGER);
    await this.checkLayout();
    return readDeadLetters(this.redis, this.keys, { limit, offset });
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
    return readDeadLetterPage(this.redis, this.keys, { limit, offset, maxBytes });
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
    return readDeadSummaries(this.redis, this.keys, limit);
  }

  /** Replays a dead letter: back to waiting with attempts reset. */
  async retryDead(id: string): Promise<boolean> {
    this.#assertOpen();
    checkId(id);
    const k = this.keys;
    return Number(await this.#run('retryDead', [k.dead, k.waiting('short'), k.waiting('long'), k.seq], [k.prefix, k.wakeChannel, id])) === 1;
  }

  /** Deletes a dead letter. Its id stays refused for the dedup window, counted from the purge. */
  async purgeDead(id: string): Promise<boolean> {
    this.#assertOpen();
    checkId(id);
    return Number(await this.#run('purgeDead', [this.keys.dead], [this.keys.prefix, id, this.#opts.dedupWindowMs])) === 1;
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
    const k = this.keys;
    return this.#eachChunk('retryDeadMany', ([score, id], cutoff) =>
      this.#run('retryDeadMany', [k.dead, k.waiting('short'), k.waiting('long'), k.seq], [k.prefix, k.wakeChannel, CHUNK, score, id, cutoff]));
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
    const k = this.keys;
    return this.#eachChunk('purgeDeadMany', ([score, id], cutoff) =>
      this.#run('purgeDeadMany', [k.dead], [k.prefix, CHUNK, score, id, cutoff, this.#opts.dedupWindowMs]));
  }

  /**
   * Runs a chunked sweep (a bulk dead-letter script, releaseOwner) until it has looked at
   * every entry up to its cutoff. Entries it skips (corrupt, in another state, another
   * owner's) stay in the set, so each call resumes after the (score, id) of the last entry
   * the previous one looked at. A count of skipped entries would not do: if one of them is
   * removed meanwhile (purged, replayed, expired, completed), the count then steps over an
   * entry that was never looked at.
   */
  async #eachChunk(script: ScriptName, call: (after: readonly [string, string], cutoff: string) => Promise<unknown>): Promise<number> {
    let done = 0;
    let after: readonly [string, string] = ['', ''];
    let cutoff = '';
    for (;;) {
      const [changed, , seen, until, lastScore, lastId] = expectArray(script, await call(after, cutoff));
      done += Number(changed);
      cutoff = String(until);
      if (Number(seen) < CHUNK) return done;
      after = [String(lastScore), String(lastId)];
    }
  }

  /** Leases up to `max` tasks of a lane. */
  async claim(lane: Lane, options: ClaimOptions): Promise<Lease[]> {
    return (await this.claimBatch(lane, options)).leases;
  }

  /** Like `claim`, and also says when the next delayed task is due, so an idle consumer can sleep until then. */
  async claimBatch(lane: Lane, { max, leaseMs, owner }: ClaimOptions): Promise<ClaimBatch> {
    this.#assertOpen();
    checkLane(lane);
    checkInt(max, 'max', 0, 10_000);
    checkInt(leaseMs, 'leaseMs', 1, 24 * HOUR);
    if (typeof owner !== 'string' || owner.length === 0) throw new ValidationError('owner', `Expected \`owner\` to be a non-empty string`);
    const k = this.keys;
    const o = this.#opts;
    // The id names the call's memo: a resent claim (its reply was lost) answers the leases
    // the first run took instead of leaving them orphaned until they lapse.
    const claimId = replayId();
    const reply = expectArray('claim', await this.#resend('claim',
      [k.waiting(lane), k.waiting('short'), k.waiting('long'), k.delayed, k.active, k.dead, k.seq, k.paused(lane), k.claimMemo(claimId)],
      [k.prefix, k.wakeChannel, max, leaseMs, owner, o.leaseMarginMs, o.deadRetentionMs, o.dedupWindowMs, lane, claimId, o.maxStalls]));
    const nextDue = Number(reply[0]);
    const { leases, corrupt } = decodeLeases(reply, 3, lane, owner, leaseMs);
    for (const lease of [...leases, ...corrupt]) {
      if (lease.timeoutMs > 0) lease.leaseMs = Math.max(leaseMs, lease.timeoutMs + o.leaseMarginMs);
    }
    // The valid leases are the caller's whatever becomes of the corrupt ones: a dead-lettering
    // that fails (Redis gone for a moment) must not turn into a rejected claim, which would
    // strand the whole batch until its leases lapse. A corrupt lease not dead-lettered here
    // lapses itself and is requeued, and found corrupt again by the next claim.
    const failed = await Promise.allSettled(corrupt.map((lease) => this.fail(lease, new ValidationError('payload', 'stored payload is not valid JSON'), { retryable: false })));
    const notRecorded = corrupt.filter((_, i) => failed[i]!.status === 'rejected').map((l) => l.id);
    if (notRecorded.length > 0) this.#warn(`could not dead-letter corrupt task(s) ${notRecorded.join(', ')}; their leases will lapse and they will be found again`);
    return { leases, nextDueInMs: nextDue < 0 ? null : nextDue, corrupt: Number(reply[1]) + corrupt.length, paused: Number(reply[2]) === 1 };
  }

  /** Extends a lease (by its original length unless `leaseMs` is given). False: the lease is lost. */
  async heartbeat(lease: Lease, leaseMs = lease.leaseMs): Promise<boolean> {
    this.#assertOpen();
    checkInt(leaseMs, 'leaseMs', 1, 24 * HOUR);
    const reply = Number(await this.#resend('heartbeat', [this.keys.active], [this.keys.prefix, lease.id, lease.fence, leaseMs]));
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
    const k = this.keys;
    const argv: (string | number)[] = [k.prefix, this.#opts.completedRetentionMs, this.#opts.dedupWindowMs, entries.length, this.#opts.completedMax];
    for (const { lease, result } of entries) argv.push(lease.id, lease.fence, serializePayload(result, 'result', this.#opts.maxPayloadBytes));
    const reply = expectArray('complete', await this.#resend('complete', [k.active, k.completed], argv));
    return reply.map((flag) => Number(flag) === 1);
  }

  /**
   * Records a failed attempt: a durable delayed retry while attempts remain and the error
   * is retryable, otherwise a dead letter keeping the error.
   */
  async fail(lease: Lease, error: unknown, { retryable = true, retryInMs }: FailOptions = {}): Promise<FailOutcome> {
    this.#assertOpen();
    const delay = retryInMs === undefined ? backoffDelay(lease.attempt, this.#opts.backoff) : retryDelay(retryInMs);
    const k = this.keys;
    const o = this.#opts;
    const reply = Number(await this.#resend('fail', [k.active, k.delayed, k.dead],
      [k.prefix, k.wakeChannel, lease.id, lease.fence, JSON.stringify(errorInfo(toError(error))), retryable ? 1 : 0, delay, o.deadRetentionMs, o.dedupWindowMs]));
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
    const k = this.keys;
    return Number(await this.#resend('release', [k.active, k.waiting('short'), k.waiting('long'), k.delayed], [k.prefix, k.wakeChannel, lease.id, lease.fence, parkDelay(delayMs), 0, 0])) === 1;
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
    const k = this.keys;
    const reply = Number(await this.#resend('release', [k.active, k.waiting('short'), k.waiting('long'), k.delayed],
      [k.prefix, k.wakeChannel, lease.id, lease.fence, Math.max(1, parkDelay(delayMs)), throttles, maxThrottles]));
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
    return this.#eachChunk('releaseOwner', ([score, id], cutoff) => this.#run('releaseOwner', this.#leaseKeys(),
      [...this.#stallArgs(), owner, CHUNK, score, id, cutoff]));
  }

  /** Puts tasks whose lease has lapsed back to waiting (or dead after too many stalls). Returns how many moved. */
  async requeueExpired(limit = 1000): Promise<number> {
    this.#assertOpen();
    checkInt(limit, 'limit', 1, 100_000);
    const reply = expectArray('requeueExpired', await this.#run('requeueExpired', this.#leaseKeys(), [...this.#stallArgs(), limit]));
    return Number(reply[0]) + Number(reply[1]);
  }

  #leaseKeys(): string[] {
    const k = this.keys;
    return [k.active, k.waiting('short'), k.waiting('long'), k.dead];
  }

  #stallArgs(): (string | number)[] {
    const o = this.#opts;
    return [this.keys.prefix, this.keys.wakeChannel, o.maxStalls, o.deadRetentionMs, o.dedupWindowMs];
  }

  /**
   * Deletes completed records past their retention (time or count) and trims dead-letter
   * index entries past theirs, in bounded script calls until none is left. Completions and
   * dead letters do this as they go; this covers the time when they stop (the runtime's
   * reaper calls it periodically). Returns how many index entries of each were removed.
   * `maxCalls` caps the script calls (500 entries each) of this one reap, so a periodic caller
   * with a large backlog (a lowered `max`, a long outage) takes it in slices.
   *
   * @example
   * await queue.reap() // { completed: 1200, dead: 0 }
   */
  async reap({ maxCalls = Number.POSITIVE_INFINITY }: { maxCalls?: number } = {}): Promise<{ completed: number; dead: number }> {
    this.#assertOpen();
    const k = this.keys;
    const o = this.#opts;
    const total = { completed: 0, dead: 0 };
    for (let calls = 1; ; calls += 1) {
      const [completed, dead] = expectArray('reap', await this.#run('reap', [k.completed, k.dead],
        [k.prefix, o.completedRetentionMs, o.completedMax, o.deadRetentionMs, CHUNK])).map(Number) as [number, number];
      total.completed += completed;
      total.dead += dead;
      if ((completed < CHUNK && dead < CHUNK) || calls >= maxCalls) return total;
    }
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
    return this.#wake.waitResume(lane, since, timeoutMs, signal);
  }

  /** Subscribes to wake-ups now rather than on the first wait. */
  listenForWork(): Promise<void> {
    return this.#wake.start();
  }

  /** Stops the wake-up subscriber and, if this queue created its Redis client, closes it. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#wake.close();
    if (this.#owned) await this.redis.quit().catch(() => this.redis.disconnect());
  }

  /**
   * Runs a hot script, sending it again when ioredis aborted it: with auto-pipelining, a
   * connection that closes after part of a pipeline was answered rejects the rest instead of
   * resending them, although Redis may have run them. The same arguments (claim id, enqueue
   * token, fence) make a second run answer as the first, so the leases of a claim whose
   * reply was lost are recovered, not orphaned until they lapse.
   */
  async #resend(name: ScriptName, keys: readonly (string | number)[], argv: readonly (string | number)[]): Promise<unknown> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await this.#run(name, keys, argv);
      } catch (error) {
        if (attempt >= ABORT_RESENDS || !(error instanceof Error) || error.name !== 'AbortError') throw error;
      }
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new ClosedError();
  }
}

function option(options: TaskQueueOptions, name: keyof TaskQueueOptions, fallback: number, min: number): number {
  const value = options[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new OptionError(name, `Expected \`${name}\` to be an integer from ${min} and up, got \`${String(value)}\` (${typeof value})`);
  }
  return value;
}

/** A retry delay from a handler (often a server's Retry-After): must be a number; capped at a year. */
function retryDelay(ms: number): number {
  if (typeof ms !== 'number' || Number.isNaN(ms) || ms < 0) {
    throw new ValidationError('retryInMs', `Expected \`retryInMs\` to be a number from 0 and up, got \`${String(ms)}\` (${typeof ms})`);
  }
  return Math.min(Math.ceil(ms), MAX_RETRY_DELAY_MS);
}

function parkDelay(ms: number): number {
  if (typeof ms !== 'number' || Number.isNaN(ms) || ms < 0) {
    throw new ValidationError('delayMs', `Expected \`delayMs\` to be a number from 0 and up, got \`${String(ms)}\` (${typeof ms})`);
  }
  return Math.min(Math.ceil(ms), MAX_RETRY_DELAY_MS);
}

/** 72 random bits (12 characters): an id for one script call, repeated only when ioredis resends that call. */
function replayId(): string {
  return randomBytes(9).toString('base64url');
}

function expectArray(script: string, reply: unknown): unknown[] {
  if (!Array.isArray(reply)) throw new UnexpectedReplyError(script, reply);
  return reply;
}
