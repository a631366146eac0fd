// The real supervisor (`dist/supervisor.js`) as a child process of a script, with its JSON
// logs (and its workers', which inherit the descriptors) going to a file.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FLAGS } from '../../dist/runtime/config.js';
import { expected } from './demo-children.mjs';

const SUPERVISOR = fileURLToPath(new URL('../../dist/supervisor.js', import.meta.url));
/** The line the supervisor logs once every worker is ready. */
const READY_MESSAGE = '"msg":"supervisor running"';

/**
 * Spawns the supervisor with `args`. Environment variables that would change its flags are
 * removed, so that only `args` count. It gets its own process group: a terminal's Ctrl-C
 * then reaches only the caller, which decides how to stop it, and `kill()` can take the
 * worker processes down with it.
 *
 * @param {{ args: string[], logFile: string }} options
 * @example
 * const sup = startSupervisorChild({ args: ['--short', '8', '--redis', url], logFile: 'demo-output/supervisor.log' });
 * await sup.ready(15_000);
 * const { code } = await sup.stop(20_000);
 */
export function startSupervisorChild({ args, logFile }) {
  const env = { ...process.env };
  for (const flag of Object.values(FLAGS)) delete env[flag.env];
  const fd = openSync(logFile, 'w');
  let child;
  try {
    child = spawn(process.execPath, [SUPERVISOR, ...args], { stdio: ['ignore', fd, fd], detached: true, env });
  } finally {
    // The child holds its own copy of the descriptor.
    closeSync(fd);
  }
  let exit = null;
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => {
    exit = { code, signal };
    resolve(exit);
  }));

  const logTail = (lines = 15) => readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');

  /** Resolves once the supervisor logged that it runs; rejects (with the log's tail) if it exits or takes too long. */
  async function ready(timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    while (!readFileSync(logFile, 'utf8').includes(READY_MESSAGE)) {
      if (exit) throw expected(`the supervisor exited (code ${exit.code}, signal ${exit.signal}) before it was ready; last log lines:\n${logTail()}`);
      if (Date.now() > deadline) throw expected(`the supervisor was not ready within ${timeoutMs} ms; last log lines:\n${logTail()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** SIGKILLs the supervisor and its workers (its whole process group). */
  function kill() {
    if (exit) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }

  /**
   * SIGTERM, which drains; after `timeoutMs` the group is killed. Resolves with how it
   * exited and whether it had to be killed.
   */
  async function stop(timeoutMs) {
    if (exit) return { ...exit, killed: false };
    child.kill('SIGTERM');
    let timer;
    const late = new Promise((resolve) => {
      timer = setTimeout(() => resolve(null), timeoutMs);
    });
    const result = await Promise.race([exited, late]);
    clearTimeout(timer);
    if (result) return { ...result, killed: false };
    kill();
    return { ...(await exited), killed: true };
  }

  return { pid: child.pid, exited, ready, stop, kill, logTail };
}
