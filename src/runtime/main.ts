/**
 * The supervisor program: flags → createRuntime (+ the HTTP server with --http) → signals. Both `node dist/supervisor.js`
 * and `tasklane supervisor` run it, so the two accept the same flags and behave alike.
 */
import { OptionError } from '../infra/errors.js';
import { helpText, parseCli } from './config.js';
import { RedisWaitError } from './errors.js';
import { checkHandlers } from './handlers.js';
import { createLogger, drainLogs } from './logger.js';
import { resolveOptions } from './options.js';
import { createRuntime } from './runtime.js';
import { within } from './shutdown.js';
import { handleShutdownSignals } from './signals.js';

/** Exit code for invalid flags (and a --handlers module that does not load), as most command-line tools use it. */
export const USAGE_EXIT = 2;
/** Exit code when Redis did not answer within --redis-wait, as the `tasklane` CLI exits when Redis is unreachable. */
export const REDIS_EXIT = 3;
/** Bound on closing the HTTP server at exit, so a stuck client cannot hold the process. */
const HTTP_CLOSE_MS = 5000;

/**
 * Runs the supervisor until it stops; the process then exits (0 after a clean drain,
 * 1 when no worker can run or the queue is stored in another key layout, 2 for invalid flags or handlers, 3 when Redis did not answer
 * within --redis-wait).
 *
 * @example
 * await runSupervisor(['--short', '8', '--long', '2'], process.env);
 */
export async function runSupervisor(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  let request;
  try {
    request = parseCli(argv, env);
    // Before anything starts (the HTTP server, Redis, workers): a module that does not
    // load is a mistake to fix, not a crash to retry.
    const { handlers } = resolveOptions(request.help ? {} : request.options);
    if (typeof handlers === 'string') await checkHandlers({ apiUrl: null, handlers });
  } catch (err) {
    if (!(err instanceof OptionError)) throw err;
    const hint = err.option === 'handlers' ? `Invalid --handlers (TASKLANE_HANDLERS): ${err.message}` : `${err.message}\nRun with --help to see every flag.`;
    process.stderr.write(`tasklane: ${hint}\n`);
    process.exit(USAGE_EXIT);
  }
  if (request.help) {
    process.stdout.write(helpText());
    process.exit(0);
  }

  const log = createLogger(request.options.logLevel ?? 'info', { role: 'supervisor' });
  const runtime = createRuntime({ ...request.options, logger: log });
  let http: { close(): Promise<void> } | null = null;
  if (request.http) {
    try {
      // Loaded only with --http: the server brings prom-client and its process observers.
      const { serveOperatorHttp } = await import('./http/serve.js');
      http = await serveOperatorHttp(request.http, request.options, runtime, log);
    } catch (err) {
      // Nothing has started yet: an address in use or not ours is a setup problem to fix first.
      log.error({ err, host: request.http.host, port: request.http.port }, 'http server could not listen');
      process.stderr.write(`tasklane: --http ${request.http.host}:${request.http.port}: ${listenProblem(err, request.http.port)}\n`);
      await drainLogs();
      process.exit(1);
    }
  }
  let failure: Error | undefined;
  runtime.on('runtime:failed', (err) => {
    failure = err;
    process.exitCode = err instanceof RedisWaitError ? REDIS_EXIT : 1;
  });
  runtime.on('runtime:stopped', () => {
    // The server goes last, so /readyz reports the drain instead of refusing connections.
    const closing = http ? within(http.close(), HTTP_CLOSE_MS) : Promise.resolve();
    // Logs are written asynchronously: the last lines (`supervisor stopped`, the reason for a
    // failure) go out before the exit, whatever the reader of stdout is doing.
    void closing.catch(() => undefined).then(() => {
      // The reason is the last thing said, in the log and on stderr, however much the drain logged after it.
      if (failure) {
        log.error({ code: (failure as { code?: string }).code, exitCode: process.exitCode }, failure.message);
        process.stderr.write(`tasklane: ${failure.message}\n`);
      }
      return drainLogs();
    }).finally(() => process.exit(process.exitCode ?? 0));
  });
  handleShutdownSignals(runtime, log);
  // A start that fails has been reported (runtime:failed) and stops the runtime, which exits.
  await runtime.start().catch(() => undefined);
}

/** What went wrong binding --http, in words an operator acts on. */
function listenProblem(err: unknown, port: number): string {
  const code = (err as { code?: unknown }).code;
  if (code === 'EADDRINUSE') return `port ${port} is already in use by another process; stop it or choose another port with --http (TASKLANE_HTTP)`;
  if (code === 'EADDRNOTAVAIL') return 'this machine has no such address; choose one of its own, or 0.0.0.0 for all';
  if (code === 'EACCES') return `not allowed to listen on port ${port} (ports below 1024 need privileges); choose another with --http`;
  return (err as Error).message;
}
