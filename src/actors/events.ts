import type { EventEmitter } from 'eventemitter3';
import type { Lease } from '../infra/types.js';

/**
 * Events of an actor (eventemitter3 typed map). Listeners run synchronously; one
 * that throws is logged and does not disturb the actor.
 *
 * @example
 * actor.on('task:dead', (lease, err) => alert(`${lease.id}: ${err.message}`));
 */
export interface ActorEvents {
  /** A handler began an attempt. */
  'task:started': (lease: Lease) => void;
  /** The result was recorded. `durationMs` is the handler's run time. */
  'task:completed': (lease: Lease, info: { durationMs: number }) => void;
  /** The failure was recorded and a durable retry scheduled. `retryInMs` is set when the error asked for a delay. */
  'task:retrying': (lease: Lease, error: Error, info: { retryInMs?: number }) => void;
  /** The failure was recorded and the task dead-lettered (not retryable, or out of attempts). */
  'task:dead': (lease: Lease, error: Error) => void;
  /**
   * Released for `retryInMs` without counting the attempt: no handler here for the task's type
   * and it is younger than `unknownTypeGraceMs` (a rolling deploy), or the external API's guard
   * holds calls longer than is worth a worker slot (the error is a GuardWaitError).
   */
  'task:parked': (lease: Lease, error: Error, info: { retryInMs: number }) => void;
  /** The lease was lost (lapsed or taken over); the attempt's outcome was discarded. */
  'lease:lost': (lease: Lease) => void;
  /** Nothing is running and the lane had nothing to claim. Emitted once per idle spell. */
  'actor:idle': () => void;
  /**
   * Handlers that ignore their signal past their attempt's end now hold every slot, so
   * the actor can run nothing. Emitted once each time the count reaches `concurrency`.
   */
  'actor:wedged': (info: { stuck: number; concurrency: number }) => void;
  /** A store call failed (e.g. Redis is down). The actor keeps going, with backoff. */
  'actor:error': (error: Error) => void;
}

/** A type-checked, never-throwing emit. */
export type Notify = <E extends EventEmitter.EventNames<ActorEvents>>(event: E, ...args: EventEmitter.EventArgs<ActorEvents, E>) => void;
