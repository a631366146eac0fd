#!/usr/bin/env node
/**
 * `node dist/supervisor.js --short 8 --long 2`: the tasklane supervisor. A thin wrapper:
 * flags → createRuntime → signals. Run with --help for every flag.
 */
import { OptionError } from './infra/errors.js';
import { helpText, parseCli } from './runtime/config.js';
import { createLogger } from './runtime/logger.js';
import { createRuntime } from './runtime/runtime.js';
import { handleShutdownSignals } from './runtime/signals.js';

/** Exit code for invalid flags, as most command-line tools use it. */
const USAGE_EXIT = 2;

let request;
try {
  request = parseCli(process.argv.slice(2), process.env);
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
