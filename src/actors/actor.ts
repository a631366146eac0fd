import { OptionError } from '../infra/errors.js';
import type { Lane } from '../infra/types.js';
import { describe } from '../infra/validate.js';
import { Actor } from './actor-core.js';
import type { ActorOptions } from './options.js';

export { Actor, FINAL_REPORT_GRACE_MS, type ActorState, type DrainSummary } from './actor-core.js';
export type { ActorEvents } from './events.js';
export type { ActorOptions } from './options.js';

/**
 * ActorOptions for a class that fixes the lane: `lane` may be left out, but must match if given.
 *
 * @example
 * const options: LaneActorOptions = { store: queue, owner: 'w1', handlers };
 */
export type LaneActorOptions = Omit<ActorOptions, 'lane'> & { lane?: Lane };

/**
 * An actor on the short lane: every attempt runs under a deadline (the task's
 * `timeoutMs`, else `defaultTimeoutMs`); past it the handler's signal fires with a
 * TaskTimeoutError and the attempt counts as a retryable failure.
 *
 * @example
 * new ShortTaskActor({ store: queue, owner: 'w1', handlers: { http }, defaultTimeoutMs: 10_000 }).start();
 */
export class ShortTaskActor extends Actor {
  constructor(options: LaneActorOptions) {
    super(pinLane(options, 'short'));
  }
}

/**
 * An actor on the long lane: no deadline; the lease is renewed every
 * `heartbeatEveryMs`. When a renewal says the lease is lost, the handler's signal
 * fires with a LeaseLostError and its result is discarded.
 *
 * @example
 * new LongTaskActor({ store: queue, owner: 'w1', handlers: { render }, leaseMs: 60_000 }).start();
 */
export class LongTaskActor extends Actor {
  constructor(options: LaneActorOptions) {
    super(pinLane(options, 'long'));
  }
}

/**
 * The actor class for `options.lane`.
 *
 * @example
 * const actor = createActor({ lane: 'long', store: queue, owner: 'w1', handlers });
 * actor instanceof LongTaskActor // true
 */
export function createActor(options: ActorOptions): Actor {
  if (options?.lane === 'short') return new ShortTaskActor(options);
  if (options?.lane === 'long') return new LongTaskActor(options);
  return new Actor(options); // throws the OptionError naming the bad lane
}

function pinLane(options: LaneActorOptions, lane: Lane): ActorOptions {
  if (options === null || typeof options !== 'object') return options as ActorOptions; // Actor reports it
  if (options.lane !== undefined && options.lane !== lane) {
    throw new OptionError('lane', `Expected \`lane\` to be \`${lane}\` (or unset) for a ${lane}-lane actor, got ${describe(options.lane)}`);
  }
  return { ...options, lane };
}
