// The measured scenario of "Protecting the external API" (README): an API that allows 120
// calls per second goes down (503) for 6 seconds while 2,500 `http` tasks run through the
// real supervisor (2 worker processes, concurrency 20 each). Run guarded (`--api-rate 100/s`,
// breaker on) by test/runtime/api-guard-scenario.test.mjs, and unguarded (no rate, breaker
// off) by scripts/api-guard-scenario.mjs for the README's comparison.
import { TaskQueue } from '../../dist/infra/task-queue.js';
import { startFlakyApi } from './flaky-api.mjs';
import { startSupervisor } from '../../test/helpers/supervisor.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs the scenario once and returns its figures.
 *
 * @param {{ redis: string, queue: string, guarded: boolean, tasks?: number, outageAtMs?: number,
 *   outageMs?: number, timeoutMs?: number, log?: (line: string) => void }} options
 * @example
 * const figures = await runApiScenario({ redis, queue: 'scenario', guarded: true });
 */
export async function runApiScenario({ redis, queue: name, guarded, tasks = 2500, outageAtMs = 5000, outageMs = 6000, timeoutMs = 180_000, log = () => {} }) {
  const api = await startFlakyApi({ quota: { limit: 120, windowMs: 1000 }, latencyMs: [2, 8] });
  const queue = new TaskQueue({ redis, name });
  const args = ['--redis', redis, '--queue', name, '--api-url', `${api.url}/tasks`, '--short', '2', '--long', '0', '--processes', '2', '--concurrency', '20', '--log-level', 'warn'];
  const guard = guarded ? ['--api-rate', '100/s'] : ['--api-breaker', 'off'];
  const sup = startSupervisor([...args, ...guard], { env: { LOG_LEVEL: 'warn' } });
  try {
    for (let i = 0; i < tasks; i += 500) {
      await queue.enqueueMany(Array.from({ length: Math.min(500, tasks - i) }, (_, j) => ({ id: `t${i + j}`, type: 'http', payload: { n: i + j } })));
    }
    const started = Date.now();
    let phase = 'before';
    let stats = await queue.stats();
    while (stats.completed + stats.dead < tasks) {
      const at = Date.now() - started;
      if (phase === 'before' && at >= outageAtMs) {
        api.configure({ outage: true });
        phase = 'outage';
      } else if (phase === 'outage' && at >= outageAtMs + outageMs) {
        api.configure({ outage: false });
        phase = 'after';
      }
      if (at > timeoutMs) throw new Error(`the scenario did not finish in ${timeoutMs} ms: ${JSON.stringify(stats)}`);
      await sleep(100);
      stats = await queue.stats();
    }
    const elapsedMs = Date.now() - started;
    const s = api.stats();
    const peak = Math.max(...s.timeline.map((slot) => slot.calls));
    const dead = await queue.deadLetters({ limit: 1000 });
    const figures = {
      guarded, tasks, completed: stats.completed, dead: stats.dead, elapsedMs,
      calls: s.calls, throttled: s.byStatus[429] ?? 0, outageCalls: s.outageCalls, peakPerSecond: peak,
      recoveryMs: s.recoveryMs, sideEffects: s.sideEffects, keysWithEffect: s.keysWithEffect, duplicateKeys: s.duplicateKeys,
      timeline: s.timeline,
      deadByCode: countCodes(dead),
    };
    log(JSON.stringify({ ...figures, timeline: undefined }));
    return figures;
  } finally {
    await sup.stop('SIGTERM', 30_000);
    await queue.close();
    await api.close();
  }
}

function countCodes(dead) {
  const out = {};
  for (const entry of dead) {
    const code = entry.error?.code ?? 'unknown';
    out[code] = (out[code] ?? 0) + 1;
  }
  return out;
}
