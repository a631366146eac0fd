/**
 * The supervisor program: flags → createRuntime → signals. Both `node dist/supervisor.js`
 * and `tasklane supervisor` run it, so the two accept the same flags and behave alike.
 */
import { OptionError } from '../infra/errors.js';
import { helpText, parseCli } from './config.js';
import { createLogger } from './logger.js';
import { createRuntime } from './runtime.js';
import { handleShutdownSignals } from './signals.js';

/** Exit code for invalid flags, as most command-line tools use it. */
export const USAGE_EXIT = 2;

/**
 * Runs the supervisor until it stops; the process then exits (0 after a clean drain,
 * 1 when the runtime failed, 2 for invalid flags).
 *
 * @example
 * await runSupervisor(['--short', '8', '--long', '2'], process.env);
 */
export async function runSupervisor(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  let request;
  try {
    request = parseCli(argv, env);
  } catch (err) {
    if (!(err instanceof OptionError)) throw err;
    process.stderr.write(`tasklane: ${err.message}\nRun with --help to see every flag.\n`);
    process.exit(USAGE_EXIT);
  }
  if (request.help) {
    process.stdout.write(helpText());
    process.exit(0);
  }

  const log = createLogger(request.options.logLevel ?? 'info', { role: 'supervisor' });
  const runtime = createRuntime({ ...request.options, logger: log });
  runtime.on('runtime:failed', () => {
    process.exitCode = 1;
  });
  runtime.on('runtime:stopped', () => process.exit(process.exitCode ?? 0));
  handleShutdownSignals(runtime, log);
  // A start that fails has been reported (runtime:failed) and stops the runtime, which exits.
  await runtime.start().catch(() => undefined);
}
