// Runs `node dist/supervisor.js` as a real process and follows its JSON log lines.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('../../dist/supervisor.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The test process's environment without the variables that would change the defaults of
 * the supervisor or the CLI (TASKLANE_* but the test harness's own, REDIS_URL, ...), with
 * `env` on top.
 *
 * @example
 * spawn(process.execPath, [ENTRY], { env: cleanEnv({ LOG_LEVEL: 'debug' }) });
 */
export function cleanEnv(env = {}) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(TASKLANE_(?!TEST)|REDIS_URL$|REDIS_CLUSTER_NODES$|EXTERNAL_API_URL$|LOG_LEVEL$)/.test(k)));
  return { ...clean, ...env };
}

/** Every supervisor started here and not yet seen to exit, so a failed test cannot leave one behind. */
const running = new Set();
process.on('exit', killAll);

/** SIGKILLs every supervisor still running (its workers drain and exit when it disappears). */
export function killAll() {
  for (const child of running) child.kill('SIGKILL');
}

/**
 * Starts the supervisor with `args`. Environment variables of the test process that
 * would change its flags are removed, so only `env` and `args` count.
 * @param {string[]} args
 * @param {{ env?: Record<string, string> }} [options]
 */
export function startSupervisor(args, { env = {} } = {}) {
  const child = spawn(process.execPath, [ENTRY, ...args], { cwd: ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  /** @type {Array<Record<string, any>>} */
  const logs = [];
  let stdout = '';
  let stderr = '';
  let partial = '';
  const waiters = new Set();
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
    partial += chunk;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.trim()) continue;
      try {
        logs.push(JSON.parse(line));
      } catch {
        logs.push({ raw: line });
      }
    }
    for (const waiter of [...waiters]) waiter();
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
    if (process.env.TASKLANE_TEST_VERBOSE) process.stderr.write(chunk);
  });
  running.add(child);
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => {
    running.delete(child);
    resolve({ code, signal });
  }));

  return {
    child,
    logs,
    exited,
    get stdout() { return stdout; },
    get stderr() { return stderr; },
    /** Resolves with the first log line matching `predicate` (past or future). */
    waitForLog(predicate, timeoutMs = 20_000, what = 'a matching log line') {
      const found = logs.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last lines:\n${stdout.split('\n').slice(-15).join('\n')}\nstderr:\n${stderr}`));
        }, timeoutMs);
        const check = () => {
          const line = logs.find(predicate);
          if (!line) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(line);
        };
        waiters.add(check);
      });
    },
    /** Pids of workers the supervisor has reported ready and not yet exited. */
    liveWorkerPids() {
      const live = new Map();
      for (const line of logs) {
        if (line.role !== 'supervisor' || typeof line.worker !== 'string') continue;
        if (line.msg === 'worker ready') live.set(line.workerPid, line.worker);
        if (line.msg === 'worker died' || line.msg === 'worker exited') live.delete(line.workerPid);
      }
      return [...live.keys()];
    },
    async stop(signal = 'SIGTERM', timeoutMs = 30_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

/** Polls `check` until it returns a truthy value, or fails after `timeoutMs`. */
export async function eventually(check, { timeoutMs = 20_000, everyMs = 100, what = 'the condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await check();
    if (last) return last;
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last value: ${JSON.stringify(last)})`);
}

/** Whether a process with `pid` still exists. */
export function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
