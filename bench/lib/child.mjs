// The runner's handle on one forked worker process (bench/lib/worker.mjs).
import { fork } from 'node:child_process';
import { checkWorkerMessage } from './ipc.mjs';

const WORKER = new URL('./worker.mjs', import.meta.url);
const FINAL = new Set(['bulk-done', 'produce-done', 'stopped']);
let forks = 0;

/**
 * Forks `worker.mjs <system> <role> <config>`. `ready` resolves when the worker is connected
 * and waiting for `go()`; `done` resolves with its final message (or rejects if it fails
 * or exits without one); `progress` holds its latest progress report.
 *
 * @example
 * const w = spawnWorker('bullmq', 'work', { url, queue, concurrency: 100, handler: 'noop' });
 * await w.ready;
 * w.go();
 * // ...
 * w.stop();
 * const final = await w.done;
 */
export function spawnWorker(system, role, config) {
  const execArgv = [...process.execArgv];
  // --cpu-prof <dir> of bench/run.mjs: every worker writes a V8 CPU profile named after its system and role.
  const profileDir = process.env.TASKLANE_BENCH_CPU_PROF;
  if (profileDir) execArgv.push('--cpu-prof', `--cpu-prof-dir=${profileDir}`, `--cpu-prof-name=${system}-${role}-${Date.now()}-${++forks}.cpuprofile`);
  const child = fork(WORKER, [system, role, JSON.stringify(config)], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const handle = {
    system,
    role,
    pid: child.pid,
    progress: { completed: 0, first: null, last: null },
    ready: undefined,
    done: undefined,
    go: () => child.connected && child.send({ type: 'go' }),
    stop: () => child.connected && child.send({ type: 'stop' }),
    kill: () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); },
  };
  let settleReady;
  handle.ready = new Promise((resolve, reject) => { settleReady = { resolve, reject }; });
  handle.done = new Promise((resolve, reject) => {
    let final;
    child.on('message', (raw) => {
      let message;
      try {
        message = checkWorkerMessage(raw);
      } catch (error) {
        reject(error);
        return;
      }
      if (message.type === 'ready') settleReady.resolve();
      else if (message.type === 'progress') handle.progress = message;
      else if (message.type === 'failed') {
        const error = Object.assign(new Error(`${system} ${role} worker: ${message.error.message}`), { stack: message.error.stack });
        settleReady.reject(error);
        reject(error);
      } else if (FINAL.has(message.type)) final = message;
    });
    child.on('exit', (code, signal) => {
      const error = new Error(`${system} ${role} worker exited (code ${code}, signal ${signal}) before reporting`);
      settleReady.reject(error);
      if (final) resolve(final);
      else reject(error);
    });
  });
  // Both promises are awaited by the cases; this keeps an early failure from being "unhandled".
  handle.ready.catch(() => {});
  handle.done.catch(() => {});
  return handle;
}

/**
 * Resolves once `predicate()` holds, checking every `everyMs`; rejects after `timeoutMs`.
 *
 * @example
 * await waitUntil(() => total() >= n, { timeoutMs: 60_000, what: 'all completions' });
 */
export async function waitUntil(predicate, { timeoutMs, everyMs = 20, what }) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
