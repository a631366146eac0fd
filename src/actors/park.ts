import type { Lease } from '../infra/types.js';

/** The first park is short, so a worker that starts a moment later picks the task up soon. */
const FIRST_PARK_MS = 1000;
/** Parks never exceed this, so a task waits at most a minute after its handler appears. */
const MAX_PARK_MS = 60_000;

/**
 * How long to park a task whose type no handler here knows, or null when its grace is
 * over and it should be dead-lettered. The delay grows with the task's age (about doubling
 * per park, since parks do not count attempts and the age is all there is to back off on),
 * from 1 s to at most a minute, and never runs past the end of the grace, so the last
 * claim lands when the grace is over. Both times are on the Redis clock.
 *
 * @example
 * parkDelayMs({ createdAt: 0, claimedAt: 5000 }, 900_000) // 5000
 * parkDelayMs({ createdAt: 0, claimedAt: 900_000 }, 900_000) // null
 */
export function parkDelayMs(lease: Pick<Lease, 'createdAt' | 'claimedAt'>, graceMs: number): number | null {
  const ageMs = Math.max(0, lease.claimedAt - lease.createdAt);
  if (!Number.isFinite(ageMs) || ageMs >= graceMs) return null;
  return Math.max(1, Math.min(Math.max(FIRST_PARK_MS, ageMs), MAX_PARK_MS, graceMs - ageMs));
}
