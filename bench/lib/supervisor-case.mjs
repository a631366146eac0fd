// The supervisor case: tasklane's own runtime (`node dist/supervisor.js --processes 2 ...`)
// drains a pre-filled queue, so that the supervisor↔worker IPC is in what is timed. Its
// workers report to the supervisor, not to the runner, so completions are read from Redis
// (queued + leased tasks left) by polling; the polls' own commands are taken out of the counts.
// It keeps completed tasks as long as the other cases do (--completed-retention, lib/retention.mjs);
// the runner's control queue only pauses and resumes, but gets the same value, as every process of a queue should.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { TaskQueue } from '../../dist/index.js';
import { waitUntil } from './child.mjs';
import { now } from './clock.mjs';
import { treeCpuMs } from './proc-cpu.mjs';
import { heldCompleted } from './retention.mjs';

const SUPERVISOR = fileURLToPath(new URL('../../dist/supervisor.js', import.meta.url));
const HANDLERS = fileURLToPath(new URL('./noop-handlers.mjs', import.meta.url));
const POLL_MS = 5;
const POLL_COMMANDS = 2; // ZCARD of the waiting set and of the active set
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 30_000;

/**
 * Drains `n` pre-filled tasks through a supervisor with `processes` workers of one short-lane
 * actor at `concurrency` each. The lane is paused while the supervisor starts and resumed as the
 * start signal, so start-up stays out of the counts, as `go` keeps it out of the other cases.
 *
 * @example
 * await supervisorProcess(ctx, 'bench-tasklane-r0-supervisor', { n: 50_000, processes: 2, concurrency: 50 });
 */
export async function supervisorProcess(ctx, queue, { n, processes, concurrency }) {
  const control = new TaskQueue({ redis: ctx.url, name: queue, completedRetentionMs: ctx.retentionMs });
  let supervisor;
  try {
    await control.pause('short');
    supervisor = startSupervisor(ctx.url, queue, { processes, concurrency, retentionMs: ctx.retentionMs });
    await supervisor.running;
    const redis = ctx.admin.client;
    const left = async () => {
      const [[, waiting], [, active]] = await redis.multi().zcard(control.keys.waiting('short')).zcard(control.keys.active).exec();
      return waiting + active;
    };
    await ctx.admin.resetStats();
    const redisCpu0 = await ctx.admin.cpuSeconds();
    const clientCpu0 = treeCpuMs(supervisor.pid);
    await control.resume('short');
    let polls = 0;
    let first = null;
    let completed = 0;
    let last = null;
    await Promise.race([unlessExited(supervisor.exited, 'draining the queue'),
      (async () => {
        while (completed < n) {
          completed = n - await left();
          polls += 1;
          if (completed > 0) first ??= { t: now(), completed };
          if (completed < n) await new Promise((r) => setTimeout(r, POLL_MS));
        }
        last = now();
      })()]);
    const redisCpuMs = (await ctx.admin.cpuSeconds() - redisCpu0) * 1000;
    const clientCpu1 = treeCpuMs(supervisor.pid);
    const counts = withoutPolls(await ctx.admin.commandCounts(), polls);
    const held = await heldCompleted(redis, 'tasklane', queue);
    const spanMs = last - first.t;
    return {
      tasksPerSec: (n - first.completed) / (spanMs / 1000),
      completed: n,
      spanMs,
      counts,
      cpu: { clientMs: clientCpu0 == null || clientCpu1 == null ? null : clientCpu1 - clientCpu0, redisMs: redisCpuMs },
      held,
      polls,
    };
  } finally {
    await supervisor?.stop();
    await control.close();
  }
}

function startSupervisor(url, queue, { processes, concurrency, retentionMs }) {
  const args = [SUPERVISOR, '--redis', url, '--queue', queue, '--processes', String(processes), '--short', String(processes),
    '--long', '0', '--concurrency', String(concurrency), '--handlers', HANDLERS, '--log-level', 'info',
    '--completed-retention', `${retentionMs}ms`];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  let isRunning = false;
  // pino writes JSON lines; `supervisor running` is logged once every worker said ready.
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (!isRunning && line.includes('"supervisor running"')) isRunning = true;
  });
  const running = Promise.race([
    waitUntil(() => isRunning, { timeoutMs: START_TIMEOUT_MS, what: 'the supervisor to run' }),
    unlessExited(exited, 'running'),
  ]);
  return {
    pid: child.pid,
    running,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Rejects when the supervisor exits (it should not before it is stopped); never unhandled. */
function unlessExited(exited, before) {
  const died = exited.then((code) => { throw new Error(`the supervisor exited (${code}) before ${before}`); });
  died.catch(() => {});
  return died;
}

/** commandstats without the runner's own polls. */
function withoutPolls(counts, polls) {
  const own = polls * POLL_COMMANDS;
  const zcard = counts.byCommand.zcard;
  if (zcard) zcard.calls -= own;
  // MULTI/EXEC of each poll are counted too.
  for (const c of ['multi', 'exec']) if (counts.byCommand[c]) counts.byCommand[c].calls -= polls;
  return { ...counts, executed: counts.executed - own - 2 * polls };
}
