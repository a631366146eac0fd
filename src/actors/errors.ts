import { ErrorCode, TasklaneError } from '../infra/errors.js';

/**
 * `start()` was called on an actor that is stopping or stopped. Actors run once;
 * create a new one to process again.
 *
 * @example
 * await actor.stop();
 * actor.start(); // throws ActorStoppedError
 */
export class ActorStoppedError extends TasklaneError {
  constructor() {
    super(ErrorCode.Closed, 'The actor is stopped; create a new actor to process again');
    this.name = 'ActorStoppedError';
  }
}

/** The abort reason a handler sees when shutdown ran out of drain time; its lease is released. */
export function shutdownReason(): Error {
  return new DOMException('the actor stopped before the task finished; its lease is released', 'AbortError');
}
