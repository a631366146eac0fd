// Entry of a worker process: the supervisor forks this file (cluster.setupPrimary `exec`).
import { runWorker } from './worker.js';

runWorker().catch((err: unknown) => {
  // Before the logger exists (e.g. malformed start-up settings): stderr is all there is.
  process.stderr.write(`tasklane worker failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
