// Messages between bench/run.mjs and its worker processes (bench/lib/worker.mjs),
// tagged by `type`, checked where they arrive.

/**
 * Worker → runner:
 * - `ready`: connected; the runner resets Redis stats and then sends `go`.
 * - `progress`: completions so far with the first and last completion times (ms, see clock.mjs).
 * - `bulk-done`: the bulk enqueue took `ms`.
 * - `produce-done`: the rate-driven producer sent `sent` tasks (`late`: ticks that fell behind).
 * - `stopped`: final counts; `samples` holds latency samples (ms) for the latency handler.
 * - `failed`: a plain-data error `{ name, message, stack }`.
 *
 * Runner → worker: `go`, `stop`.
 */
const WORKER_TYPES = new Set(['ready', 'progress', 'bulk-done', 'produce-done', 'stopped', 'failed']);
const RUNNER_TYPES = new Set(['go', 'stop']);

/**
 * Throws unless `message` is a worker → runner message.
 *
 * @example
 * child.on('message', (m) => handle(checkWorkerMessage(m)));
 */
export function checkWorkerMessage(message) {
  if (!message || typeof message !== 'object' || !WORKER_TYPES.has(message.type)) {
    throw new Error(`unexpected message from a bench worker: ${JSON.stringify(message)?.slice(0, 200)}`);
  }
  return message;
}

/**
 * Throws unless `message` is a runner → worker message.
 *
 * @example
 * process.on('message', (m) => handle(checkRunnerMessage(m)));
 */
export function checkRunnerMessage(message) {
  if (!message || typeof message !== 'object' || !RUNNER_TYPES.has(message.type)) {
    throw new Error(`unexpected message from the bench runner: ${JSON.stringify(message)?.slice(0, 200)}`);
  }
  return message;
}

/**
 * An error as plain data, since Error objects do not survive IPC.
 *
 * @example
 * process.send({ type: 'failed', error: errorData(err) });
 */
export function errorData(error) {
  const e = error instanceof Error ? error : new Error(String(error));
  return { name: e.name, message: e.message, stack: e.stack };
}
