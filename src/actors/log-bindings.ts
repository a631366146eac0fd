import type { Logger } from './types.js';

/**
 * A child logger that binds only the keys its parent has not bound yet. pino writes every
 * binding of every ancestor, so a key bound twice (the host binds `lane`, the actor binds
 * it again) appears twice in one JSON line, and a JSON parser silently keeps only the last.
 * A key already bound keeps its first value; the actors only ever rebind equal values.
 * A logger without `bindings()` gets every key.
 *
 * @example
 * const actorLog = childOnce(hostLog, { lane: 'short', owner }); // hostLog binds lane: only owner is added
 */
export function childOnce(log: Logger, bindings: Record<string, unknown>): Logger {
  const bound = log.bindings?.();
  if (!bound) return log.child(bindings);
  const fresh: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(bindings)) if (!Object.hasOwn(bound, key)) fresh[key] = value;
  return log.child(fresh);
}
