// Runs the built `tasklane` CLI (`node dist/cli.js`) as a real process.
import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { fileURLToPath } from 'node:url';
import { TaskQueue } from '../../dist/index.js';
import { realRedisUrl, uniqueName } from './backends.mjs';
import { cleanEnv } from './supervisor.mjs';

const ENTRY = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Starts `tasklane ...args`; the result follows its output and exit.
 * @param {string[]} args
 * @param {{ env?: Record<string, string> }} [options]
 */
export function startCli(args, { env = {} } = {}) {
  const child = spawn(process.execPath, [ENTRY, ...args], { cwd: ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters = new Set();
  child.stdout.setEncoding('utf8').on('data', (chunk) => {
    stdout += chunk;
    for (const waiter of [...waiters]) waiter();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    exited,
    get stdout() { return stdout; },
    get stderr() { return stderr; },
    /** Resolves when stdout matches `pattern`. */
    waitForOutput(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${pattern} on stdout; got:\n${stdout.slice(-2000)}\nstderr:\n${stderr}`));
        }, timeoutMs);
        const check = () => {
          if (!pattern.test(stdout)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/**
 * Runs `tasklane ...args` to its end. `json` is stdout parsed, when it is one JSON document.
 * A run that takes over `timeoutMs` is killed and fails the test.
 * @param {string[]} args
 * @param {{ env?: Record<string, string>, timeoutMs?: number }} [options]
 */
export async function cli(args, { env = {}, timeoutMs = 15_000 } = {}) {
  const run = startCli(args, { env });
  const timer = setTimeout(() => run.child.kill('SIGKILL'), timeoutMs);
  const started = Date.now();
  const { code, signal } = await run.exited;
  clearTimeout(timer);
  if (signal) throw new Error(`tasklane ${args.join(' ')} was killed (${signal}) after ${Date.now() - started} ms; stderr:\n${run.stderr}`);
  let json;
  try {
    json = JSON.parse(run.stdout);
  } catch {
    json = undefined;
  }
  return { code, stdout: run.stdout, stderr: run.stderr, json, ms: Date.now() - started };
}

/** `--redis` and `--queue` for the test harness's private redis-server and a fresh queue. */
export function target(label = 'cli') {
  const queue = uniqueName(label);
  return { queue, flags: ['--redis', realRedisUrl(), '--queue', queue] };
}

/** A library queue on the harness's redis-server named `name`, to set up or check what the CLI sees. */
export async function withQueue(name, fn) {
  const client = new Redis(realRedisUrl(), { maxRetriesPerRequest: null });
  const queue = new TaskQueue({ redis: client, name });
  queue.on('queue:warning', () => {});
  try {
    return await fn(queue);
  } finally {
    await queue.close();
    client.disconnect();
  }
}
