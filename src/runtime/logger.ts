import { pino } from 'pino';
import type { Logger } from '../actors/types.js';

// Lives with the connection code, which the CLI loads without pino; re-exported for the runtime.
export { redactUrl } from '../infra/connection.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * A pino logger writing JSON lines to stdout. pino's default destination writes
 * synchronously, so a worker's last lines are not lost when it exits right after.
 *
 * @example
 * const log = createLogger('debug', { role: 'supervisor' });
 * log.info({ workers: 2 }, 'started');
 */
export function createLogger(level: LogLevel, bindings: Record<string, unknown> = {}): Logger {
  return pino({
    level,
    base: { pid: process.pid, ...bindings },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
