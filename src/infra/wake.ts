import type { Redis } from 'ioredis';
import type { Lane } from './types.js';

/**
 * Tells idle consumers that work may have arrived, without polling Redis.
 *
 * Scripts PUBLISH a lane name (or `delayed`) on the queue's wake channel; one
 * subscriber connection per TaskQueue fans the message out to every waiter in
 * this process. A counter per lane closes the lost-wake-up race: a consumer
 * reads `generation(lane)` before it claims, and `wait` returns at once if a
 * message arrived in between.
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
  readonly #channel: string;
  readonly #makeSubscriber: () => Redis;
  #subscriber: Redis | undefined;
  #ready: Promise<void> | undefined;
  readonly #generation: Record<Lane, number> = { short: 0, long: 0 };
  readonly #resumes: Record<Lane, number> = { short: 0, long: 0 };
  readonly #waiters = new Set<{ lane: Lane; resume: boolean; wake: () => void }>();

  constructor(channel: string, makeSubscriber: () => Redis) {
    this.#channel = channel;
    this.#makeSubscriber = makeSubscriber;
  }

  /** Connects the subscriber on first use; producers never pay for it. */
  start(): Promise<void> {
    if (this.#ready) return this.#ready;
    const subscriber = this.#makeSubscriber();
    this.#subscriber = subscriber;
    subscriber.on('message', (_channel: string, message: string) => {
      if (message === 'short' || message === 'long') this.#bump(message);
      else if (message === 'resume:short' || message === 'resume:long') this.#resume(message === 'resume:short' ? 'short' : 'long');
      else this.#bumpAll(); // `delayed`: the earliest due time changed; consumers re-read it via claim
    });
    // ioredis resubscribes after a reconnect; anything published meanwhile was missed.
    let connectedBefore = false;
    subscriber.on('ready', () => {
      if (connectedBefore) {
        this.#bumpAll();
        this.#resume('short');
        this.#resume('long');
      }
      connectedBefore = true;
    });
    subscriber.on('error', () => {}); // reconnects on its own; the main client reports errors
    this.#ready = subscriber.subscribe(this.#channel).then(() => undefined);
    return this.#ready;
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
