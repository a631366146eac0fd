import { EventEmitter } from 'eventemitter3';
import { createActor, type Actor } from '../actors/actor.js';
import { childOnce } from '../actors/log-bindings.js';
import type { HandlerMap, LeaseStore, Logger } from '../actors/types.js';
import { LANES, type Lane, type Lease } from '../infra/types.js';
import type { LaneCounts, TaskEventName, TaskRef, WorkerStats } from './ipc.js';

/** A task outcome, as the runtime reports it (from this process or a worker's). */
export interface TaskEvent {
  /** Lease owner of the process that ran it. */
  owner: string;
  task: TaskRef;
  durationMs?: number;
  /**
   * How long the task waited for this claim, in ms on the Redis clock: from when it last
   * became claimable (enqueue, the end of a delay or backoff, a release, a lost lease's
   * requeue, a dead-letter replay) to the claim: the lease's `claimedAt - readyAt`.
   */
  waitMs?: number;
  retryInMs?: number;
  error?: Error;
}

/** Events of an ActorHost: its actors' task outcomes, lane-agnostic. */
export interface HostEvents {
  'task:completed': (event: TaskEvent) => void;
  'task:retrying': (event: TaskEvent) => void;
  'task:dead': (event: TaskEvent) => void;
  'lease:lost': (event: TaskEvent) => void;
  /** No handler here for the task's type: released with a delay (`retryInMs`), uncounted, within the unknown-type grace. */
  'task:parked': (event: TaskEvent) => void;
  /** A store call failed; the actor has logged it and carries on with backoff. */
  'actor:error': (error: Error) => void;
  /** Every slot of one actor is held by a handler that ignored its deadline (see Actor). */
  'actor:wedged': (event: WedgedEvent) => void;
}

/** An actor whose slots are all held by handlers past their attempt's end. */
export interface WedgedEvent {
  lane: Lane;
  /** Stuck handlers of that actor (at least its concurrency). */
  stuck: number;
  concurrency: number;
}

/** The event name of each task outcome. */
export type TaskEventKey = 'task:completed' | 'task:retrying' | 'task:dead' | 'lease:lost' | 'task:parked';

export const HOST_EVENT: Readonly<Record<TaskEventName, TaskEventKey>> = {
  completed: 'task:completed',
  retrying: 'task:retrying',
  dead: 'task:dead',
  'lease-lost': 'lease:lost',
  parked: 'task:parked',
};

export interface ActorHostOptions {
  store: LeaseStore;
  handlers: HandlerMap;
  owner: string;
  lanes: LaneCounts;
  concurrency: number;
  leaseMs: number;
  /** Short-lane deadline for tasks that set none. */
  taskTimeoutMs: number;
  /** How long a task of a type with no handler here is parked before it is dead-lettered; 0 dead-letters at once. */
  unknownTypeGraceMs?: number;
  log: Logger;
}

/**
 * The actors of one process (a worker process, or the app itself with `processes: 0`),
 * all sharing one store and one owner id, so that one `releaseOwner` frees everything
 * this process held if it dies.
 *
 * @example
 * const host = new ActorHost({ store: queue, handlers, owner: 'host/1/w0.0', lanes: { short: 2, long: 0 }, concurrency: 10, leaseMs: 30_000, taskTimeoutMs: 30_000, log });
 * host.on('task:dead', (e) => log.warn({ id: e.task.id }, 'dead letter'));
 * host.start();
 * await host.stop(25_000);
 */
export class ActorHost extends EventEmitter<HostEvents> {
  readonly owner: string;
  readonly #actors: Actor[] = [];
  readonly #counts = { completed: 0, retried: 0, dead: 0, leasesLost: 0, errors: 0 };

  constructor(options: ActorHostOptions) {
    super();
    this.owner = options.owner;
    for (const lane of LANES) {
      for (let i = 0; i < options.lanes[lane]; i += 1) {
        const actor = createActor({
          lane,
          store: options.store,
          handlers: options.handlers,
          owner: options.owner,
          concurrency: options.concurrency,
          leaseMs: options.leaseMs,
          defaultTimeoutMs: options.taskTimeoutMs,
          unknownTypeGraceMs: options.unknownTypeGraceMs ?? 0,
          log: childOnce(options.log, { lane, actor: i }),
        });
        this.#wire(actor);
        this.#actors.push(actor);
      }
    }
  }

  get actorCount(): number {
    return this.#actors.length;
  }

  start(): void {
    for (const actor of this.#actors) actor.start();
  }

  /**
   * Stops claiming; in-flight tasks get `drainTimeoutMs` to finish, then are aborted and
   * released uncounted. Resolves within the drain timeout plus the final-report grace, with
   * the ids of tasks whose outcome could not be recorded by then (their leases lapse).
   */
  async stop(drainTimeoutMs: number): Promise<{ unreported: string[] }> {
    const summaries = await Promise.all(this.#actors.map((actor) => actor.stop({ drainTimeoutMs })));
    return { unreported: summaries.flatMap((s) => s.unreported) };
  }

  /** Handlers past their attempt's end that still hold a slot, per lane. */
  stuck(): LaneCounts {
    const counts: LaneCounts = { short: 0, long: 0 };
    for (const actor of this.#actors) counts[actor.lane] += actor.stuck;
    return counts;
  }

  stats(): WorkerStats {
    const inFlight = this.#actors.reduce((sum, actor) => sum + actor.inFlight, 0);
    return { inFlight, ...this.#counts };
  }

  #wire(actor: Actor): void {
    actor.on('task:completed', (lease, { durationMs }) => {
      this.#counts.completed += 1;
      this.emit('task:completed', { ...this.#event(lease), durationMs });
    });
    actor.on('task:retrying', (lease, error, info) => {
      this.#counts.retried += 1;
      const event: TaskEvent = { ...this.#event(lease), error };
      if (info?.retryInMs !== undefined) event.retryInMs = info.retryInMs;
      this.emit('task:retrying', event);
    });
    actor.on('task:dead', (lease, error) => {
      this.#counts.dead += 1;
      this.emit('task:dead', { ...this.#event(lease), error });
    });
    actor.on('task:parked', (lease, error, { retryInMs }) => {
      this.emit('task:parked', { ...this.#event(lease), error, retryInMs });
    });
    actor.on('lease:lost', (lease) => {
      this.#counts.leasesLost += 1;
      this.emit('lease:lost', this.#event(lease));
    });
    actor.on('actor:wedged', ({ stuck, concurrency }) => this.emit('actor:wedged', { lane: actor.lane, stuck, concurrency }));
    actor.on('actor:error', (error) => {
      this.#counts.errors += 1;
      this.emit('actor:error', error);
    });
  }

  #event(lease: Lease): TaskEvent {
    const event: TaskEvent = { owner: this.owner, task: ref(lease) };
    // Both times are on the Redis clock and fixed at the claim, so every outcome of the
    // attempt computes the same wait from the lease itself.
    const waitMs = lease.claimedAt - lease.readyAt;
    if (Number.isFinite(waitMs)) event.waitMs = Math.max(0, waitMs);
    return event;
  }
}

function ref(lease: Lease): TaskRef {
  return { id: lease.id, type: lease.type, lane: lease.lane, attempt: lease.attempt, fence: lease.fence };
}
