#!/usr/bin/env node
/**
 * `tasklane`: the command-line tool (package bin). Run `tasklane --help` for its commands;
 * the program itself is in cli/main.ts.
 */
import { runCli } from './cli/main.js';

const code = await runCli(process.argv.slice(2), process.env);
// Setting exitCode rather than calling exit lets piped stdout flush; every command closes
// its Redis connection, so the process then ends by itself.
if (code !== undefined) process.exitCode = code;
