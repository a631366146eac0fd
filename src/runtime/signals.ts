import { constants } from 'node:os';
import type { Logger } from '../actors/types.js';
import { flushLogs } from './logger.js';
import type { Runtime } from './types.js';

/** How long a forced stop may take before the process exits regardless. */
const FORCE_EXIT_MS = 6000;

/**
 * Graceful, then forced: the first SIGTERM or SIGINT drains the runtime; a second one
 * (an impatient operator, or an orchestrator's kill after its grace period) stops it at
 * once. The forced exit code is 128 + the signal's number, as shells report it.
 *
 * @example
 * handleShutdownSignals(runtime, log);
 * runtime.on('runtime:stopped', () => process.exit(process.exitCode ?? 0));
 */
export function handleShutdownSignals(runtime: Runtime, log: Logger): void {
  let first: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (!first) {
      first = signal;
      log.info({ signal }, `received ${signal}: draining (send it again to stop at once)`);
      void runtime.stop();
      return;
    }
    log.warn({ signal }, `received ${signal} again: stopping at once`);
    const code = 128 + (constants.signals[signal] ?? 0);
    process.exitCode = code;
    void runtime.stop({ force: true });
    // Killing workers and releasing their leases takes a few seconds at most; an in-process
    // runtime's drain cannot be cut short, so the process leaves without it.
    setTimeout(() => {
      flushLogs();
      process.exit(code);
    }, FORCE_EXIT_MS).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}
