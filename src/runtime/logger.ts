import { pino } from 'pino';
import type { Logger } from '../actors/types.js';

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

/**
 * A Redis URL fit for logs: the password, if any, is masked.
 *
 * @example
 * redactUrl('redis://:secret@db:6379/0') // 'redis://:***@db:6379/0'
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
  }
}
