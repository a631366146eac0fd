import cluster from 'node:cluster';
import { InlineRuntime } from './inline.js';
import { createLogger } from './logger.js';
import { resolveOptions, type RuntimeOptions } from './options.js';
import { ClusterRuntime } from './supervisor.js';
import type { Runtime } from './types.js';

/**
 * Creates the tasklane runtime: short- and long-lane actors claiming from one queue.
 *
 * With `processes` ≥ 1 (the default is one per lane that has actors) this process
 * becomes a node:cluster primary that forks worker processes, releases a dead worker's
 * leases at once, restarts it with backoff, and gives up on a worker that keeps crashing
 * right after start. Handlers must then come from a module path, since functions cannot
 * cross processes. With `processes: 0` every actor runs in this process and handlers may
 * be plain functions. Options are validated here; an OptionError names the bad one.
 *
 * @example
 * const runtime = createRuntime({ redis: 'redis://127.0.0.1:6379', short: 8, long: 2, handlers: './handlers.js' });
 * runtime.on('task:dead', (e) => console.warn(e.task.id, e.error?.message));
 * await runtime.start();
 * process.once('SIGTERM', () => void runtime.stop());
 *
 * @example
 * // Tests and small apps: everything in this process.
 * const runtime = createRuntime({ processes: 0, short: 1, long: 0, handlers: { echo: async (task) => task.payload } });
 */
export function createRuntime(options: RuntimeOptions = {}): Runtime {
  const resolved = resolveOptions(options);
  const log = resolved.logger ?? createLogger(resolved.logLevel, { role: resolved.processes === 0 ? 'runtime' : 'supervisor' });
  if (resolved.processes === 0) return new InlineRuntime(resolved, log);
  if (!cluster.isPrimary) {
    throw new Error('createRuntime with `processes` above 0 must run in a cluster primary; this process is a cluster worker. Use `processes: 0` here');
  }
  return new ClusterRuntime(resolved, log);
}
