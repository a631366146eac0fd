// The soak's worker processes (bench/lib/soak-worker.mjs): fork, wait for ready,
// sample on request, stop.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { checkSoakWorkerMessage } from './soak-ipc.mjs';

const WORKER = fileURLToPath(new URL('./soak-worker.mjs', import.meta.url));
const READY_TIMEOUT_MS = 30_000;
const REPLY_TIMEOUT_MS = 15_000;

/**
 * Forks `count` workers with the same config and resolves once all of them claim.
 * A worker that fails or exits early makes every pending and later request reject.
 *
 * @example
 * const pool = await startSoakWorkers(1, { url, queue: 'soak', concurrency: 100, completedRetentionMs, dedupWindowMs });
 * const [{ done, rssBytes }] = await pool.sample();
 * await pool.stop();
 */
export async function startSoakWorkers(count, config) {
  const workers = Array.from({ length: count }, (_, index) => spawnWorker({ ...config, index }));
  try {
    await Promise.all(workers.map((w) => w.request({ type: 'ready' }, null, READY_TIMEOUT_MS)));
  } catch (error) {
    for (const w of workers) w.kill();
    throw error;
  }
  let seq = 0;
  return {
    /** One `sample` reply per worker. */
    sample() {
      seq += 1;
      return Promise.all(workers.map((w) => w.request({ type: 'sample' }, { type: 'sample', seq }, REPLY_TIMEOUT_MS)));
    },
    /** Drains and ends every worker; resolves with their final counts. */
    stop() {
      return Promise.all(workers.map((w) => w.request({ type: 'stopped' }, { type: 'stop' }, REPLY_TIMEOUT_MS)));
    },
    kill() {
      for (const w of workers) w.kill();
    },
  };
}

function spawnWorker(config) {
  const child = fork(WORKER, [JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiters = new Set();
  let failure = null;
  const failAll = (error) => {
    failure ??= error;
    for (const w of waiters) w.reject(failure);
    waiters.clear();
  };
  child.on('message', (raw) => {
    let message;
    try {
      message = checkSoakWorkerMessage(raw);
    } catch (error) {
      failAll(error);
      return;
    }
    if (message.type === 'failed') {
      failAll(Object.assign(new Error(`soak worker ${config.index} failed: ${message.error.message}`), { stack: message.error.stack }));
      return;
    }
    for (const w of waiters) {
      if (w.type === message.type && (w.seq === undefined || w.seq === message.seq)) {
        waiters.delete(w);
        w.resolve(message);
      }
    }
  });
  // 'close' (not 'exit'): it comes after the IPC channel has delivered every message.
  child.on('close', (code, signal) => failAll(new Error(`soak worker ${config.index} exited (code ${code}, signal ${signal})`)));
  return {
    child,
    /** Sends `message` (if any) and resolves with the next reply of type `reply.type`. */
    request(reply, message, timeoutMs) {
      return new Promise((resolve, reject) => {
        if (failure) return reject(failure);
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`soak worker ${config.index} sent no ${reply.type} within ${timeoutMs} ms`));
        }, timeoutMs);
        const waiter = {
          type: reply.type,
          seq: message?.seq,
          resolve: (m) => { clearTimeout(timer); resolve(m); },
          reject: (e) => { clearTimeout(timer); reject(e); },
        };
        waiters.add(waiter);
        if (message) child.send(message);
      });
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
