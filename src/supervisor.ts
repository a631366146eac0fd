#!/usr/bin/env node
/**
 * `node dist/supervisor.js --short 8 --long 2`: the tasklane supervisor. Run with --help
 * for every flag. The program itself is in runtime/main.ts, shared with `tasklane supervisor`.
 */
import { runSupervisor } from './runtime/main.js';

await runSupervisor(process.argv.slice(2), process.env);
