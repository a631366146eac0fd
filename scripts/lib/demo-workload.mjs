// The demo's workload: which tasks the producer submits, in which batches, and which of
// them the flaky API treats specially. Pure data from a seed, so a run can be described
// (and replayed as far as the API's own dice allow) by its seed alone.
import { randomSource } from './flaky-steps.mjs';

/** Ordinary kinds the API answers with its random mix of 200, 500, 429 and hangs. */
const KINDS = ['send-email', 'charge-card', 'resize-image', 'sync-crm'];
/** Kinds the API always refuses with 422, so the dead-letter path shows up with a reason. */
export const PERMANENT_KINDS = ['charge-closed-account', 'email-invalid-address'];
/** Short-lane deadline per attempt. The API's hangs run past it, so the timeout path is exercised. */
export const SHORT_TIMEOUT_MS = 1500;

/**
 * Builds the submissions of one run.
 *
 * - `tasks` unique ids; about 10% more submissions resubmit an earlier id, some in the same
 *   enqueueMany call as the original, some in a later one (by then often finished);
 * - priorities 1 (10%), 100 (30%), else the default 1000;
 * - about 3% long-lane tasks whose API calls are scripted to be slow (1–2.5 s, so they
 *   heartbeat), a third of them failing their first attempt with three 500s. Scripted
 *   keys never hang: the long lane has no deadline to end a hang;
 * - about 2% permanent kinds (422 → dead at once);
 * - maxAttempts 2 to 4, so that a few unlucky tasks run out of attempts.
 *
 * The chaos run reuses it with its own id prefix, shares, long-call durations and attempts.
 *
 * @param {{ tasks: number, seed: number, batchSize?: number, prefix?: string, longShare?: number,
 *   permanentShare?: number, longDelayMs?: [number, number], maxAttempts?: number[] }} options
 * @returns {{ batches: object[][], ids: string[], submissions: number, duplicates: number,
 *   long: number, permanent: number, scripts: Map<string, unknown[]> }}
 * @example
 * const plan = planWorkload({ tasks: 3000, seed: 7 });
 * for (const [key, steps] of plan.scripts) api.script(key, steps);
 * for (const batch of plan.batches) await queue.enqueueMany(batch);
 */
export function planWorkload({
  tasks, seed, batchSize = 300, prefix = 'demo', longShare = 0.03, permanentShare = 0.02, longDelayMs = [1000, 2500], maxAttempts = [2, 3, 3, 4],
}) {
  const random = randomSource(seed);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const width = String(tasks).length;
  const originals = [];
  const scripts = new Map();
  let long = 0;
  let permanent = 0;
  for (let i = 0; i < tasks; i += 1) {
    // Plain token ids: the Idempotency-Key is then the id itself, so scripts can name it.
    const id = `${prefix}-${String(i).padStart(width, '0')}`;
    const roll = random();
    const priority = random() < 0.1 ? 1 : random() < 0.33 ? 100 : 1000;
    if (roll < longShare) {
      long += 1;
      const slow = { status: 200, delayMs: Math.round(longDelayMs[0] + random() * (longDelayMs[1] - longDelayMs[0])) };
      scripts.set(id, random() < 1 / 3 ? ['500', '500', '500', slow] : [slow]);
      originals.push({ id, lane: 'long', priority, maxAttempts: 3, payload: { kind: 'export-report', n: i } });
      continue;
    }
    const isPermanent = roll < longShare + permanentShare;
    if (isPermanent) permanent += 1;
    const kind = isPermanent ? pick(PERMANENT_KINDS) : pick(KINDS);
    originals.push({ id, priority, maxAttempts: pick(maxAttempts), timeoutMs: SHORT_TIMEOUT_MS, payload: { kind, n: i } });
  }

  const batches = [];
  for (let start = 0; start < originals.length; start += batchSize) batches.push(originals.slice(start, start + batchSize));
  const duplicates = Math.round(tasks * 0.1);
  for (let d = 0; d < duplicates; d += 1) {
    const index = Math.floor(random() * originals.length);
    // Same batch (after its original, so the script sees the id first) or up to two later.
    const batch = Math.min(batches.length - 1, Math.floor(index / batchSize) + Math.floor(random() * 3));
    batches[batch].push({ ...originals[index] });
  }
  return {
    batches,
    ids: originals.map((t) => t.id),
    submissions: tasks + duplicates,
    duplicates,
    long,
    permanent,
    scripts,
  };
}
