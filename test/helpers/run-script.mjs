import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as assert from 'uvu/assert';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Runs `node <script> ...args` from the project root to its end; resolves with its exit
 * code, signal and combined output. After `watchdogMs` it gets Ctrl-C, so that it can stop
 * what it started (its redis-server, its workers), and 15 s later SIGKILL: a hung script
 * fails its test instead of hanging the suite.
 *
 * @example
 * const { code, output } = await runScript('scripts/chaos.mjs', ['--tasks', '2000'], { watchdogMs: 150_000 });
 */
export function runScript(script, args, { watchdogMs, env = process.env }) {
  const child = spawn(process.execPath, [script, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => { output += chunk; });
  child.stderr.on('data', (chunk) => { output += chunk; });
  const watchdog = setTimeout(() => {
    child.kill('SIGINT');
    setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
  }, watchdogMs);
  return new Promise((resolve) => child.on('exit', (code, signal) => {
    clearTimeout(watchdog);
    resolve({ code, signal, output });
  }));
}

/** The environment without the test suite's redis-server, for scripts that must start their own. */
export function envWithoutTestRedis() {
  const env = { ...process.env };
  delete env.TASKLANE_TEST_REDIS_URL;
  return env;
}

/**
 * The number on the accounting-table row whose label starts with `label` (a regex source).
 *
 * @example
 * row(output, 'completed') // 1834
 */
export function row(output, label) {
  const match = new RegExp(`^\\s*${label}\\s+(\\d+)`, 'm').exec(output);
  assert.ok(match, `no "${label}" row in the output:\n${output}`);
  return Number(match[1]);
}
