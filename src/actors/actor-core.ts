import { setTimeout as delay } from 'node:timers/promises';
import { EventEmitter } from 'eventemitter3';
import PQueue from 'p-queue';
import { OptionError, UnknownTaskTypeError, ValidationError, toError } from '../infra/errors.js';
import type { Lane, Lease } from '../infra/types.js';
import { describe } from '../infra/validate.js';
import { Attempt, type Settlement } from './attempt.js';
import { ActorStoppedError } from './errors.js';
import type { ActorEvents, Notify } from './events.js';
import { armLaneGuard } from './lane-guards.js';
import { resolveActorOptions, type ActorOptions, type ResolvedActorOptions } from './options.js';
import { OutcomeReporter } from './reporter.js';
import type { Logger } from './types.js';

/**
 * Life of an actor: `idle` (constructed) → `running` (start) → `draining` (stop) → `stopped`.
 * A stopped actor cannot be started again.
 *
 * @example
 * if (actor.state === 'running') await actor.stop();
 */
export type ActorState = 'idle' | 'running' | 'draining' | 'stopped';

/** Claim-loop backoff after a store error: 100 ms, doubling, capped at 5 s. */
const LOOP_BACKOFF_BASE_MS = 100;
const LOOP_BACKOFF_MAX_MS = 5000;
const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;
const CLAIM_LOOPS = 2;

/**
 * Pulls tasks from one lane and runs them through their handlers, at most
 * `concurrency` at once, reporting each outcome to the store.
 *
 * Two claim loops take as many tasks as there are free slots, half of them each at
 * most. When the lane is drained they sleep on `store.waitForWork` (no polling) until
 * a wake-up, the next delayed task's due time, or `idleWaitMs`; when all slots are
 * busy they sleep until one frees up and then claim at once. Store errors never stop it: it reports
 * them as `actor:error` and backs off.
 *
 * @example
 * const actor = createActor({ lane: 'short', store: queue, owner: 'worker-1', handlers: { http: fetchTask } });
 * actor.on('task:dead', (lease, err) => console.error(lease.id, err));
 * actor.start();
 * // later
 * await actor.stop({ drainTimeoutMs: 10_000 });
 */
export class Actor extends EventEmitter<ActorEvents> {
  readonly lane: Lane;
  readonly #opts: ResolvedActorOptions;
  readonly #log: Logger;
  readonly #queue: PQueue;
  readonly #reporter: OutcomeReporter;
  /** Claimed and not yet settled: queued in p-queue or running. */
  readonly #attempts = new Set<Attempt>();
  /** Outcome reports still talking to the store; stop() waits for them. */
  readonly #reports = new Set<Promise<void>>();
  /** Aborted by stop() to cut short the loop's waits. */
  readonly #halt = new AbortController();
  #state: ActorState = 'idle';
  #loop: Promise<void> = Promise.resolve();
  #stopping: Promise<void> | undefined;
  /** Claim loops waiting for a free slot. */
  #slotWaiters: Array<() => void> = [];
  /** The second claim loop, waiting for the first to find the lane busy again. */
  #busyWaiters: Array<() => void> = [];
  /** Bumped whenever the first loop claims a full batch, so the second cannot miss it while its own claim is out. */
  #busyGeneration = 0;
  /** Slots promised to claims still on the wire. */
  #reserved = 0;
  #onAllSettled: Array<() => void> = [];
  #lastClaimEmpty = false;
  #idle = false;

  constructor(options: ActorOptions) {
    super();
    this.#opts = resolveActorOptions(options);
    this.lane = this.#opts.lane;
    this.#log = this.#opts.log.child({ lane: this.lane, owner: this.#opts.owner });
    this.#queue = new PQueue({ concurrency: this.#opts.concurrency });
    this.#reporter = new OutcomeReporter(this.#opts.store, this.#log, this.#notify, this.#storeError,
      { unknownTypeGraceMs: this.#opts.unknownTypeGraceMs, knownTypes: Object.keys(this.#opts.handlers) });
  }

  /** Tasks claimed and not yet settled. */
  get inFlight(): number {
    return this.#attempts.size;
  }

  get state(): ActorState {
    return this.#state;
  }

  /** Starts claiming. Calling it again while running does nothing; after stop() it throws ActorStoppedError. */
  start(): void {
    if (this.#state === 'running') return;
    if (this.#state !== 'idle') throw new ActorStoppedError();
    this.#state = 'running';
    this.#loop = this.#startLoops();
  }

  /**
   * Stops claiming and lets in-flight tasks finish for up to `drainTimeoutMs` (default 30 s).
   * Tasks still running then are aborted (their signal fires) and their leases released
   * without counting an attempt. Resolves once every outcome is recorded; no store call
   * follows. Calling it again returns the same promise.
   */
  stop({ drainTimeoutMs = DEFAULT_DRAIN_TIMEOUT_MS }: { drainTimeoutMs?: number } = {}): Promise<void> {
    if (this.#stopping) return this.#stopping;
    if (typeof drainTimeoutMs !== 'number' || !Number.isInteger(drainTimeoutMs) || drainTimeoutMs < 0) {
      return Promise.reject(new OptionError('drainTimeoutMs', `Expected \`drainTimeoutMs\` to be an integer from 0 and up, got ${describe(drainTimeoutMs)}`));
    }
    const wasIdle = this.#state === 'idle';
    this.#state = wasIdle ? 'stopped' : 'draining';
    this.#halt.abort();
    this.#wakeSlotWaiters();
    this.#wakeBusyWaiters();
    this.#stopping = wasIdle ? Promise.resolve() : this.#drain(drainTimeoutMs);
    return this.#stopping;
  }

  async #drain(drainTimeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), drainTimeoutMs);
    });
    // The loop is waited for within the same deadline: a claim hanging on a dead
    // connection must not hold shutdown forever (its leases then lapse and are requeued).
    const drained = Promise.all([this.#loop, this.#allSettled()]).then(() => true as const);
    const inTime = await Promise.race([drained, deadline]);
    clearTimeout(timer);
    if (!inTime && this.#attempts.size > 0) {
      this.#log.warn({ inFlight: this.inFlight, drainTimeoutMs }, 'drain timed out; aborting and releasing the tasks still running');
      for (const attempt of this.#attempts) attempt.end(Attempt.stopped());
    }
    // Interrupted attempts settle at once: Attempt.run does not wait for the handler.
    await this.#allSettled();
    this.#reporter.flush();
    while (this.#reports.size > 0) await Promise.all([...this.#reports]);
    this.#state = 'stopped';
  }

  /**
   * Two claim loops share the actor's slots, each claiming at most half of them at a
   * time. With one loop, the process sat idle for a whole round trip after every batch
   * (claim → run → claim) while Redis sat idle during the processing; with two, one
   * batch is on the wire while the other runs. Only the first loop keeps the idle
   * schedule (wake-ups, idleWaitMs and delayed due times). Once the lane runs dry the
   * second sleeps until the first claims a full batch again, so a trickle of tasks
   * costs one claim per wake-up, not two, and an idle actor still costs Redis about
   * one claim per idleWaitMs.
   */
  #startLoops(): Promise<void> {
    const { concurrency } = this.#opts;
    const loops = concurrency >= 2 ? CLAIM_LOOPS : 1;
    const chunk = Math.ceil(concurrency / loops);
    return Promise.all(Array.from({ length: loops }, (_, i) => this.#claimLoop(chunk, i === 0))).then(() => undefined);
  }

  async #claimLoop(chunk: number, keepsSchedule: boolean): Promise<void> {
    const { store, lane, owner, concurrency, claimLeaseMs, idleWaitMs } = this.#opts;
    let failures = 0;
    while (this.#state === 'running') {
      try {
        const free = concurrency - this.inFlight - this.#reserved;
        if (free <= 0) {
          await new Promise<void>((resolve) => this.#slotWaiters.push(resolve));
          continue;
        }
        const max = Math.min(free, chunk);
        // Read before claiming: a wake-up that lands between this claim and the wait
        // below changes the generation, so the wait returns at once (no lost wake-up).
        const since = store.wakeGeneration(lane);
        const busySince = this.#busyGeneration;
        this.#reserved += max;
        let batch;
        try {
          batch = await store.claimBatch(lane, { max, leaseMs: claimLeaseMs, owner });
        } finally {
          this.#reserved -= max;
          // Slots this claim reserved and did not fill (all of them, if it failed) are free
          // again for the other loop; it re-checks, so a needless wake-up costs nothing.
          this.#wakeSlotWaiters();
        }
        failures = 0;
        if (this.#state !== 'running') {
          this.#giveBack(batch.leases);
          return;
        }
        for (const lease of batch.leases) this.#dispatch(lease);
        if (keepsSchedule && batch.leases.length === max) this.#wakeBusyWaiters();
        this.#lastClaimEmpty = batch.leases.length === 0;
        this.#maybeIdle();
        // A short batch means the lane is drained: claiming again would find nothing.
        if (batch.leases.length < max) {
          if (!keepsSchedule) {
            // Unless the first loop found the lane busy while this claim was on the wire.
            if (this.#busyGeneration === busySince) await new Promise<void>((resolve) => this.#busyWaiters.push(resolve));
            continue;
          }
          const timeoutMs = Math.max(0, Math.min(idleWaitMs, batch.nextDueInMs ?? idleWaitMs));
          await store.waitForWork(lane, { since, timeoutMs, signal: this.#halt.signal });
        }
      } catch (error) {
        this.#storeError(error);
        failures += 1;
        const backoffMs = Math.min(LOOP_BACKOFF_MAX_MS, LOOP_BACKOFF_BASE_MS * 2 ** (failures - 1));
        await delay(backoffMs, undefined, { signal: this.#halt.signal }).catch(() => {}); // rejects when stop() aborts it
      }
    }
  }

  #wakeSlotWaiters(): void {
    if (this.#slotWaiters.length === 0) return; // the common case, once per settled task
    for (const resolve of this.#slotWaiters.splice(0)) resolve();
  }

  #wakeBusyWaiters(): void {
    this.#busyGeneration += 1;
    if (this.#busyWaiters.length === 0) return;
    for (const resolve of this.#busyWaiters.splice(0)) resolve();
  }

  /** Leases claimed while stop() began: released untouched, or, once stopped, left to lapse. */
  #giveBack(leases: Lease[]): void {
    for (const lease of leases) {
      if (this.#state === 'draining') this.#track(this.#reporter.report(lease, Attempt.stopped(), 0));
      else this.#log.warn({ taskId: lease.id }, 'claim returned after stop; the lease will lapse and the task be requeued');
    }
  }

  #dispatch(lease: Lease): void {
    const attempt = new Attempt(lease, this.#opts.store);
    this.#attempts.add(attempt);
    this.#idle = false;
    void this.#queue.add(() => this.#execute(attempt)).then(
      ({ settlement, durationMs }) => this.#settle(attempt, settlement, durationMs),
      (error: unknown) => this.#settle(attempt, { kind: 'failed', error: toError(error) }, 0),
    );
  }

  async #execute(attempt: Attempt): Promise<{ settlement: Settlement; durationMs: number }> {
    const { lease } = attempt;
    if (attempt.interruption) return { settlement: attempt.interruption, durationMs: 0 };
    this.#notify('task:started', lease);
    const { handlers } = this.#opts;
    const handler = Object.hasOwn(handlers, lease.type) ? handlers[lease.type] : undefined;
    if (!handler) {
      return { settlement: { kind: 'failed', error: new UnknownTaskTypeError(lease.type, Object.keys(handlers)) }, durationMs: 0 };
    }
    const started = performance.now();
    const disarm = armLaneGuard(attempt, this.#opts, this.#storeError);
    try {
      const settlement = await attempt.run(handler, () => this.#log.child({ taskId: lease.id, type: lease.type, attempt: lease.attempt }));
      return { settlement, durationMs: performance.now() - started };
    } finally {
      disarm();
    }
  }

  #settle(attempt: Attempt, settlement: Settlement, durationMs: number): void {
    this.#attempts.delete(attempt);
    this.#track(this.#reporter.report(attempt.lease, settlement, durationMs));
    this.#wakeSlotWaiters();
    if (this.#attempts.size === 0) for (const resolve of this.#onAllSettled.splice(0)) resolve();
    this.#maybeIdle();
  }

  #track(report: Promise<void>): void {
    this.#reports.add(report);
    void report.finally(() => this.#reports.delete(report));
  }

  #allSettled(): Promise<void> {
    if (this.#attempts.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#onAllSettled.push(resolve));
  }

  #maybeIdle(): void {
    // A claim still on the wire may bring work: not idle yet.
    if (this.#idle || !this.#lastClaimEmpty || this.#attempts.size > 0 || this.#reserved > 0 || this.#state !== 'running') return;
    this.#idle = true;
    this.#notify('actor:idle');
  }

  readonly #notify: Notify = (event, ...args) => {
    try {
      this.emit(event, ...args);
    } catch (error) {
      this.#log.error({ err: toError(error), event }, 'an actor event listener threw');
    }
  };

  readonly #storeError = (error: unknown): void => {
    const err = toError(error);
    this.#log.warn({ err }, 'store call failed');
    // A ValidationError is about a task's data, not the store's health; it is reported on the task.
    if (!(err instanceof ValidationError)) this.#notify('actor:error', err);
  };
}
