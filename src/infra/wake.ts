import calculateSlot from 'cluster-key-slot';
import type { Cluster } from 'ioredis';
import type { RedisClient } from './connection.js';
import type { Lane } from './types.js';

/** A wake-up message from one shard's channel (see WakeSignal). */
export type ShardWake = (shard: number, message: string) => void;

/**
 * Tells idle consumers that work may have arrived, without polling Redis.
 *
 * Scripts PUBLISH a lane name (or `delayed`) on the wake channel of their shard; one
 * subscriber per TaskQueue listens on every shard's channel and fans the message out
 * to every waiter in this process. On a Redis Cluster the channels are shard channels
 * (SPUBLISH / SSUBSCRIBE, through ioredis `shardedSubscribers`): a message stays on the
 * nodes of its slot instead of being broadcast to the whole cluster. A counter per lane
 * closes the lost-wake-up race: a consumer reads `generation(lane)` before it claims,
 * and `wait` returns at once if a message arrived in between.
 *
 * `resume:<lane>` (queue.resume) bumps both that lane's work counter and its resume
 * counter. Consumers of a paused lane wait on the resume counter alone (`waitResume`):
 * new tasks do not wake them, since they could not claim them.
 *
 * Messages published while the subscriber is disconnected are lost, so a
 * reconnect wakes everyone, and waits are bounded by a timeout (1 s by
 * default), which keeps an idle consumer at about one claim per second.
 */
export class WakeSignal {
  readonly #channels: ReadonlyMap<string, number>;
  readonly #sharded: boolean;
  readonly #onShard: ShardWake | undefined;
  readonly #makeSubscriber: () => RedisClient;
  /** The command client whose slot refreshes the subscriber follows (a cluster). */
  readonly #follow: RedisClient | undefined;
  #unfollow: (() => void) | undefined;
  #subscriber: RedisClient | undefined;
  #ready: Promise<void> | undefined;
  readonly #generation: Record<Lane, number> = { short: 0, long: 0 };
  readonly #resumes: Record<Lane, number> = { short: 0, long: 0 };
  readonly #waiters = new Set<{ lane: Lane; resume: boolean; wake: () => void }>();

  /**
   * @param channels the wake channel of each shard, shard 0 first
   * @param sharded subscribe with SSUBSCRIBE (a Cluster client made by `makeSubscriber` with `shardedSubscribers`)
   * @param onShard told of every message with the shard it came from, and of a reconnect as (-1, '')
   * @param follow the command client: on a cluster, the subscriber refreshes its slot map when this one does
   */
  constructor(channels: readonly string[], makeSubscriber: () => RedisClient, { sharded = false, onShard, follow }: { sharded?: boolean; onShard?: ShardWake; follow?: RedisClient } = {}) {
    this.#follow = follow;
    this.#channels = new Map(channels.map((channel, shard) => [channel, shard]));
    this.#sharded = sharded;
    this.#onShard = onShard;
    this.#makeSubscriber = makeSubscriber;
  }

  /** Connects the subscriber on first use; producers never pay for it. */
  start(): Promise<void> {
    if (this.#ready) return this.#ready;
    const subscriber = this.#makeSubscriber();
    this.#subscriber = subscriber;
    subscriber.on(this.#sharded ? 'smessage' : 'message', (channel: string, message: string) => {
      const shard = this.#channels.get(channel);
      if (shard === undefined) return;
      this.#onShard?.(shard, message);
      if (message === 'short' || message === 'long') this.#bump(message);
      else if (message === 'resume:short' || message === 'resume:long') this.#resume(message === 'resume:short' ? 'short' : 'long');
      else this.#bumpAll(); // `delayed`: the earliest due time changed; consumers re-read it via claim
    });
    // ioredis resubscribes after a reconnect; anything published meanwhile was missed.
    let connectedBefore = false;
    subscriber.on('ready', () => {
      if (connectedBefore) {
        this.#onShard?.(-1, '');
        this.#bumpAll();
        this.#resume('short');
        this.#resume('long');
      }
      connectedBefore = true;
    });
    subscriber.on('error', () => {}); // reconnects on its own; the main client reports errors
    if (this.#sharded) this.#followSlots(subscriber as Cluster);
    const channels = [...this.#channels.keys()];
    // One SSUBSCRIBE per channel: on a cluster the channels hash to different slots.
    this.#ready = (this.#sharded ? Promise.all(channels.map((channel) => subscriber.ssubscribe(channel))) : subscriber.subscribe(...channels)).then(() => undefined);
    return this.#ready;
  }

  /**
   * A slot that moves (reshard, failover) takes its shard channels' subscriptions with it: the
   * old node drops them, and ioredis subscribes again on the new one only once the subscriber's
   * slot map is refreshed, every slotsRefreshInterval. So the subscriber refreshes whenever the
   * command client did (it is told MOVED first), and a changed owner of any channel counts as
   * a reconnect: messages sent meanwhile were missed.
   */
  #followSlots(subscriber: Cluster): void {
    const owners = () => [...this.#channels.keys()].map((channel) => subscriber.slots[calculateSlot(channel)]?.[0] ?? '').join(',');
    // The first refresh (the subscriber's own start) only learns where the channels are.
    let known: string | undefined;
    subscriber.on('refresh', () => {
      const now = owners();
      const moved = known !== undefined && now !== known;
      known = now;
      if (!moved) return;
      this.#onShard?.(-1, '');
      this.#bumpAll();
    });
    const follow = this.#follow as Cluster | undefined;
    const refresh = () => subscriber.refreshSlotsCache();
    follow?.on('refresh', refresh);
    this.#unfollow = () => follow?.off('refresh', refresh);
  }

  generation(lane: Lane): number {
    return this.#generation[lane];
  }

  /**
   * Resolves when a wake-up for `lane` arrives after `since`, after `timeoutMs`, or on abort.
   * Returns true when woken, false on timeout or abort.
   */
  async wait(lane: Lane, since: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    await this.start();
    if (this.#generation[lane] !== since) return true;
    return this.#park(lane, false, timeoutMs, signal);
  }

  resumes(lane: Lane): number {
    return this.#resumes[lane];
  }

  /** Like `wait`, for a resume of `lane` after `since` only; new work does not end it. */
  async waitResume(lane: Lane, since: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    await this.start();
    if (this.#resumes[lane] !== since) return true;
    return this.#park(lane, true, timeoutMs, signal);
  }

  #park(lane: Lane, resume: boolean, timeoutMs: number, signal: AbortSignal | undefined): Promise<boolean> {
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const finish = (woken: boolean) => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        signal?.removeEventListener('abort', onAbort);
        resolve(woken);
      };
      const waiter = { lane, resume, wake: () => finish(true) };
      const onAbort = () => finish(false);
      const timer = setTimeout(() => finish(false), Math.max(0, timeoutMs));
      this.#waiters.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  async close(): Promise<void> {
    for (const waiter of [...this.#waiters]) waiter.wake();
    this.#unfollow?.();
    const subscriber = this.#subscriber;
    this.#subscriber = undefined;
    if (!subscriber) return;
    // A QUIT to a subscriber that is not connected would wait in ioredis's offline queue
    // until Redis is back, keeping a reconnecting connection alive after close().
    if (subscriber.status !== 'ready') {
      subscriber.disconnect();
      return;
    }
    await subscriber.quit().catch(() => subscriber.disconnect());
  }

  #bump(lane: Lane): void {
    this.#generation[lane] += 1;
    for (const waiter of [...this.#waiters]) if (waiter.lane === lane && !waiter.resume) waiter.wake();
  }

  #resume(lane: Lane): void {
    this.#resumes[lane] += 1;
    for (const waiter of [...this.#waiters]) if (waiter.lane === lane && waiter.resume) waiter.wake();
    this.#bump(lane);
  }

  #bumpAll(): void {
    this.#bump('short');
    this.#bump('long');
  }
}
