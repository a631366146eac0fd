import { destination, pino } from 'pino';
import type { Logger } from '../actors/types.js';
import { within } from './shutdown.js';

// Lives with the connection code, which the CLI loads without pino; re-exported for the runtime.
export { redactUrl } from '../infra/connection.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * At most one pipe buffer (PIPE_BUF on Linux) per write: the supervisor and its workers
 * share one stdout, and a pipe keeps a write of this size whole, so lines of different
 * processes never interleave mid-line. SonicBoom only ever joins whole lines into a write.
 */
const MAX_WRITE_BYTES = 4096;

let stdout: ReturnType<typeof destination> | undefined;

/**
 * How long `drainLogs` waits for stdout to take the buffered lines before writing them
 * synchronously. Long on purpose: the synchronous write blocks on a stalled reader just the
 * same, and when it runs while an asynchronous write is still being retried on a full pipe
 * it can write that chunk a second time (seen with a reader stalled for 3 s and a 1 s wait).
 */
const DRAIN_WAIT_MS = 10_000;

/** One stream per process, so lines of every logger keep their order. */
function stdoutStream(): ReturnType<typeof destination> {
  stdout ??= destination({ dest: 1, sync: false, maxWrite: MAX_WRITE_BYTES });
  return stdout;
}

/**
 * A pino logger writing JSON lines to stdout. The destination is asynchronous: a slow
 * reader of stdout (a full pipe, a stalled log shipper) must not stall the event loop, so
 * lines are buffered and written as the pipe takes them. pino also flushes the buffer on
 * the process's `exit` event; the runtime calls `flushLogs()` itself before it exits, so
 * the last lines (a crash-loop summary, a worker's fatal error) are never lost.
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
    hooks: { streamWrite: uniqueKeys },
  }, stdoutStream());
}

/**
 * Each key once per line. pino writes every binding of every ancestor and then the call's
 * object, so a handler's `ctx.log.child({ attempt })` or `ctx.log.info({ lane })` would
 * repeat a key the runtime bound, and a JSON parser would silently keep only one of them.
 * A repeated key keeps its first position and its last (most specific) value. Costs a
 * parse per line written, never per line dropped by the level.
 *
 * @example
 * uniqueKeys('{"lane":"short","lane":"long"}\n') // '{"lane":"long"}\n'
 */
export function uniqueKeys(line: string): string {
  try {
    return `${JSON.stringify(JSON.parse(line))}\n`;
  } catch {
    return line;
  }
}

/**
 * Waits (at most `ms`) until stdout has taken every buffered line, then flushes whatever is
 * left synchronously. Prefer it to `flushLogs()` where the exit can wait: a synchronous
 * flush that runs while an asynchronous write is still being retried on a full,
 * non-blocking pipe can lose or repeat that chunk, while waiting for the stream's `drain`
 * lets that write finish first.
 *
 * @example
 * log.info({ stats }, 'drained');
 * await drainLogs();
 * process.exit(0);
 */
export async function drainLogs(ms = DRAIN_WAIT_MS): Promise<void> {
  const stream = stdout;
  if (stream) {
    const drained = new Promise<void>((resolve) => stream.once('drain', () => resolve()));
    try {
      // An empty write makes the stream emit `drain` once everything before it is written.
      stream.write('');
      await within(drained, ms);
    } catch {
      // Destroyed: flushLogs() below has nothing to write either.
    }
  }
  flushLogs();
}

/**
 * Writes out, synchronously, every line still buffered for stdout. Call it right before
 * a `process.exit` that cannot wait (drainLogs() is the better choice where it can). Never
 * throws: at exit there is nowhere left to report a failure.
 *
 * @example
 * log.error({ err }, 'giving up');
 * flushLogs();
 * process.exit(1);
 */
export function flushLogs(): void {
  try {
    stdout?.flushSync();
  } catch {
    // stdout is gone (closed pipe) or not writable: nothing more can be done.
  }
}
