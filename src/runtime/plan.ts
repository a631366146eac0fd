import type { LaneCounts } from './ipc.js';

/**
 * Spreads actors over worker processes: one `LaneCounts` per process.
 *
 * Unless `shareLanes` is set, a process hosts actors of one lane only, so a CPU-heavy
 * long task never holds up the event loop a short task's deadline depends on. The
 * processes are split between the lanes in proportion to their actors (each lane that
 * has actors gets at least one), and never outnumber the actors.
 *
 * @example
 * planWorkers({ short: 8, long: 2, processes: 4, shareLanes: false })
 * // [{ short: 3, long: 0 }, { short: 3, long: 0 }, { short: 2, long: 0 }, { short: 0, long: 2 }]
 */
export function planWorkers({ short, long, processes, shareLanes }: { short: number; long: number; processes: number; shareLanes: boolean }): LaneCounts[] {
  const total = short + long;
  const n = Math.min(processes, total);
  if (n === 0) return [];
  if (shareLanes || short === 0 || long === 0) {
    const slots = Array.from({ length: n }, () => ({ short: 0, long: 0 }));
    // Round-robin over one sequence of all actors keeps both lanes spread evenly.
    for (let i = 0; i < total; i += 1) slots[i % n]![i < short ? 'short' : 'long'] += 1;
    return slots;
  }
  let shortProcs = Math.min(Math.max(Math.round((n * short) / total), 1), short, n - 1);
  const longProcs = Math.min(long, n - shortProcs);
  shortProcs = Math.min(short, n - longProcs);
  return [...spread(short, shortProcs).map((s) => ({ short: s, long: 0 })), ...spread(long, longProcs).map((l) => ({ short: 0, long: l }))];
}

function spread(actors: number, processes: number): number[] {
  return Array.from({ length: processes }, (_, i) => Math.floor(actors / processes) + (i < actors % processes ? 1 : 0));
}
