import { setTimeout as delay } from 'node:timers/promises';
import { EventEmitter } from 'eventemitter3';
import PQueue from 'p-queue';
import { OptionError, UnknownTaskTypeError, ValidationError, toError } from '../infra/errors.js';
import type { Lane, Lease } from '../infra/types.js';
import { describe } from '../infra/validate.js';
import { TIMED_OUT, within } from '../infra/within.js';
import { Attempt, type Settlement } from './attempt.js';
import { ActorStoppedError } from './errors.js';
import type { ActorEvents, Notify } from './events.js';
import { armLaneGuard } from './lane-guards.js';
import { childOnce } from './log-bindings.js';
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

/**
 * What stop() could not record before its deadline: the ids of tasks whose outcome
 * never reached the store (their leases expire and the tasks are requeued; nothing is lost).
 *
 * @example
 * const { unreported } = await actor.stop({ drainTimeoutMs: 5000 });
 */
export interface DrainSummary {
  readonly unreported: readonly string[];
}

/** Claim-loop backoff after a store error: 100 ms, doubling, capped at 5 s. */
const LOOP_BACKOFF_BASE_MS = 100;
const LOOP_BACKOFF_MAX_MS = 5000;
const DEFAULT_DRAIN_TIMEOUT_MS = 30_000;
/**
 * After the drain timeout, how long stop() still waits for the final outcome reports.
 * A Redis that stops answering without closing the connection would otherwise hold
 * stop() forever; what is left unreported then lapses and is requeued.
 */
export const FINAL_REPORT_GRACE_MS = 2000;
const CLAIM_LOOPS = 2;

/**
 * Pulls tasks from one lane and runs them through their handlers, at most
 * `concurrency` at once, reporting each outcome to the store.
 *
 * Two claim loops take as many tasks as there are free slots, half of them each at
 * most. When the lane is drained they sleep on `store.waitForWork` (no polling) until
 * a wake-up, the next delayed task's due time, or `idleWaitMs` (while the lane is paused,
 * on `store.waitForResume` instead: only a resume wakes them early); when all slots are
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
  /** Outcome reports still talking to the store, with their lease; stop() waits for them, within its deadline. */
  readonly #reports = new Map<Promise<void>, Lease>();
  /**
   * Handlers past their attempt's end (deadline, lost lease, forced stop) that have not
   * settled. Each still holds its p-queue slot: freeing it would let a handler that ignores
   * its signal pile up without bound behind the actor's concurrency.
   */
  #stuck = 0;
  #wedged = false;
  /** Runs while every slot is held by a stuck handler, until `wedgedAfterMs` says it is wedged. */
  #wedgeTimer: NodeJS.Timeout | undefined;
  /** Aborted by stop() to cut short the loop's waits. */
  readonly #halt = new AbortController();
  #state: ActorState = 'idle';
  #loop: Promise<void> = Promise.resolve();
  #stopping: Promise<DrainSummary> | undefined;
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
    this.#log = childOnce(this.#opts.log, { lane: this.lane, owner: this.#opts.owner });
    this.#queue = new PQueue({ concurrency: this.#opts.concurrency });
    this.#reporter = new OutcomeReporter(this.#opts.store, this.#log, this.#notify, this.#storeError,
      { unknownTypeGraceMs: this.#opts.unknownTypeGraceMs, knownTypes: Object.keys(this.#opts.handlers) });
  }

  /** Tasks claimed and not yet settled. */
  get inFlight(): number {
    return this.#attempts.size;
  }

  /** Handlers past their attempt's end that have not settled yet; each holds a slot. */
  get stuck(): number {
    return this.#stuck;
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
   * without counting an attempt. Resolves once every outcome is recorded, or at the latest
   * `FINAL_REPORT_GRACE_MS` after the drain timeout, with the tasks left unreported (a store
   * that does not answer; their leases lapse and they are requeued). Handlers that ignore
   * their signal are not waited for. Calling it again returns the same promise.
   */
  stop({ drainTimeoutMs = DEFAULT_DRAIN_TIMEOUT_MS }: { drainTimeoutMs?: number } = {}): Promise<DrainSummary> {
    if (this.#stopping) return this.#stopping;
    if (typeof drainTimeoutMs !== 'number' || !Number.isInteger(drainTimeoutMs) || drainTimeoutMs < 0) {
      return Promise.reject(new OptionError('drainTimeoutMs', `Expected \`drainTimeoutMs\` to be an integer from 0 and up, got ${describe(drainTimeoutMs)}`));
    }
    const wasIdle = this.#state === 'idle';
    this.#state = wasIdle ? 'stopped' : 'draining';
    this.#halt.abort();
    this.#wakeSlotWaiters();
    this.#wakeBusyWaiters();
    this.#stopping = wasIdle ? Promise.resolve({ unreported: [] }) : this.#drain(drainTimeoutMs);
    return this.#stopping;
  }

  async #drain(drainTimeoutMs: number): Promise<DrainSummary> {
    const deadline = performance.now() + drainTimeoutMs + FINAL_REPORT_GRACE_MS;
    const left = () => Math.max(0, deadline - performance.now());
    // The loop is waited for within the same deadline: a claim hanging on a dead
    // connection must not hold shutdown forever (its leases then lapse and are requeued).
    const drained = Promise.all([this.#loop, this.#allSettled()]);
    const inTime = (await within(drained, drainTimeoutMs)) !== TIMED_OUT;
    if (!inTime && this.#attempts.size > 0) {
      this.#log.warn({ inFlight: this.inFlight, drainTimeoutMs }, 'drain timed out; aborting and releasing the tasks still running');
      for (const attempt of this.#attempts) attempt.end(Attempt.stopped());
    }
    // Interrupted attempts settle at once: Attempt.run does not wait for the handler.
    await within(this.#allSettled(), left());
    this.#reporter.flush();
    // Reports ride on the store; one that does not answer (Redis paused, a proxy that
    // swallows bytes) must not hold shutdown past the grace.
    while (this.#reports.size > 0 && left() > 0) await within(Promise.all([...this.#reports.keys()]), left());
    const unreported = [...this.#reports.values(), ...[...this.#attempts].map((a) => a.lease)].map((lease) => lease.id);
    if (unreported.length > 0) {
      this.#log.warn({ unreported: unreported.length, taskIds: unreported.slice(0, 20), drainTimeoutMs, graceMs: FINAL_REPORT_GRACE_MS },
        'stop deadline passed with outcomes unreported; those leases expire and the tasks are requeued');
    }
    this.#state = 'stopped';
    return { unreported };
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
        const free = concurrency - this.inFlight - this.#reserved - this.#stuck;
        if (free <= 0) {
          await new Promise<void>((resolve) => this.#slotWaiters.push(resolve));
          continue;
        }
        const max = Math.min(free, chunk);
        // Read before claiming: a wake-up that lands between this claim and the wait
        // below changes the generation, so the wait returns at once (no lost wake-up).
        const since = store.wakeGeneration(lane);
        const resumeSince = store.resumeGeneration?.(lane);
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
          // A paused lane: new tasks must not wake this loop (it could not claim them, and each
          // enqueue would cost a claim); a resume does, at once. The timeout stays, so due
          // delayed tasks are still promoted and a pause marker deleted by hand is noticed.
          if (batch.paused && store.waitForResume) await store.waitForResume(lane, { since: resumeSince, timeoutMs, signal: this.#halt.signal });
          else await store.waitForWork(lane, { since, timeoutMs, signal: this.#halt.signal });
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
      if (this.#state === 'draining') this.#track(lease, this.#reporter.report(lease, Attempt.stopped(), 0));
      else this.#log.warn({ taskId: lease.id }, 'claim returned after stop; the lease will lapse and the task be requeued');
    }
  }

  #dispatch(lease: Lease): void {
    const attempt = new Attempt(lease, this.#opts.store);
    this.#attempts.add(attempt);
    this.#idle = false;
    void this.#queue.add(async () => {
      let outcome: { settlement: Settlement; durationMs: number };
      try {
        outcome = await this.#execute(attempt);
      } catch (error) {
        outcome = { settlement: { kind: 'failed', error: toError(error) }, durationMs: 0 };
      }
      if (attempt.interruption && attempt.handlerRunning) {
        // A handler that honours its signal settles within a few microtasks. One turn of the
        // event loop lets its own catch/finally run before the outcome is reported, and only
        // a handler that really ignores its signal is counted as stuck.
        await Promise.race([attempt.handlerSettled, new Promise<void>((resolve) => setImmediate(resolve))]);
      }
      // Counted before the attempt leaves #attempts, so a claim loop woken by #settle
      // never sees the slot as free.
      const stuck = attempt.handlerRunning;
      if (stuck) this.#enterStuck();
      this.#settle(attempt, outcome.settlement, outcome.durationMs);
      // The outcome is reported at the deadline, but the slot stays taken until the handler
      // lets go: returning here would free p-queue's slot under a handler still running.
      if (stuck) {
        await attempt.handlerSettled;
        this.#leaveStuck();
      }
    });
  }

  #enterStuck(): void {
    this.#stuck += 1;
    if (this.#stuck < this.#opts.concurrency || this.#wedged || this.#wedgeTimer) return;
    // Reported only if every slot is still held after a grace: a burst of timeouts whose
    // handlers let go a little late must not get a worker process replaced.
    this.#wedgeTimer = setTimeout(() => {
      this.#wedgeTimer = undefined;
      const { concurrency } = this.#opts;
      // While draining, handlers aborted by stop() that ignore it are expected; the process is on its way out.
      if (this.#stuck >= concurrency && !this.#wedged && this.#state === 'running') {
        this.#wedged = true;
        this.#notify('actor:wedged', { stuck: this.#stuck, concurrency });
      }
    }, this.#opts.wedgedAfterMs);
    this.#wedgeTimer.unref?.();
  }

  #leaveStuck(): void {
    this.#stuck -= 1;
    if (this.#stuck < this.#opts.concurrency) {
      this.#wedged = false;
      clearTimeout(this.#wedgeTimer);
      this.#wedgeTimer = undefined;
    }
    this.#wakeSlotWaiters();
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
      const settlement = await attempt.run(handler, () => childOnce(this.#log, { taskId: lease.id, type: lease.type, attempt: lease.attempt }));
      return { settlement, durationMs: performance.now() - started };
    } finally {
      disarm();
    }
  }

  #settle(attempt: Attempt, settlement: Settlement, durationMs: number): void {
    this.#attempts.delete(attempt);
    this.#track(attempt.lease, this.#reporter.report(attempt.lease, settlement, durationMs));
    this.#wakeSlotWaiters();
    if (this.#attempts.size === 0) for (const resolve of this.#onAllSettled.splice(0)) resolve();
    this.#maybeIdle();
  }

  #track(lease: Lease, report: Promise<void>): void {
    this.#reports.set(report, lease);
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
