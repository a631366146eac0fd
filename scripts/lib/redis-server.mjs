// Starts a private redis-server on a free loopback port with a throwaway directory.
// The tests, the benchmarks and the demo use it so that they never touch a Redis they
// did not start (in particular not 127.0.0.1:6379).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** How long a signalled redis-server may take to exit before it is SIGKILLed. */
const STOP_GRACE_MS = 5000;

/**
 * Throws with install instructions unless `redis-server` is on PATH.
 *
 * @example
 * assertRedisServerInstalled();
 */
export function assertRedisServerInstalled() {
  if (!redisServerInstalled()) {
    throw new Error('redis-server is not on PATH. Install it with `apt-get install redis-server` (Debian/Ubuntu, as root) or `brew install redis` (macOS).');
  }
}

/**
 * Whether `redis-server` runs from PATH.
 *
 * @example
 * if (!redisServerInstalled()) console.log('apt-get install redis-server');
 */
export function redisServerInstalled() {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  return !probe.error && probe.status === 0;
}

/**
 * A TCP port free on 127.0.0.1 right now (another process may still take it before use).
 *
 * @example
 * const port = await freePort();
 */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts redis-server and resolves once it accepts connections. `detached` puts it in its
 * own process group, so a terminal's Ctrl-C reaches only the caller, which can then stop
 * its other children before Redis (they still need it while they drain).
 *
 * `stop()` sends SIGTERM (or `signal`), SIGKILLs after 5 s, and waits for the exit; it
 * removes the directory only when it made it (no `dir` given). Safe to call twice.
 *
 * @param {{ appendonly?: boolean, dir?: string, port?: number, extraArgs?: string[], detached?: boolean }} [options]
 * @returns {Promise<{ url: string, port: number, dir: string, process: import('node:child_process').ChildProcess, stop: (options?: { signal?: NodeJS.Signals }) => Promise<void> }>}
 * @example
 * const redis = await startRedisServer();
 * // ...use redis.url...
 * await redis.stop(); // or redis.stop({ signal: 'SIGKILL' }) to crash it
 */
export async function startRedisServer(options = {}) {
  assertRedisServerInstalled();
  const ownsDir = !options.dir;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'tasklane-redis-'));
  const port = options.port ?? (await freePort());
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
    '--appendonly', options.appendonly ? 'yes' : 'no', '--daemonize', 'no', '--loglevel', 'warning',
    ...(options.extraArgs ?? [])];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'inherit'], detached: options.detached ?? false });
  let exited = false;
  child.on('exit', () => { exited = true; });
  await waitForPort(port, () => exited);
  const stop = async ({ signal = 'SIGTERM' } = {}) => {
    if (!exited) {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill(signal);
      // A SIGTERMed server fsyncs its AOF before it exits; one that hangs is killed.
      const timer = signal === 'SIGKILL' ? undefined : setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await gone;
      clearTimeout(timer);
    }
    if (ownsDir) rmSync(dir, { recursive: true, force: true });
  };
  return { url: `redis://127.0.0.1:${port}`, port, dir, process: child, stop };
}

async function waitForPort(port, hasExited) {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (hasExited()) throw new Error(`redis-server exited before listening on port ${port}`);
    const ok = await new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => { socket.end(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server did not listen on port ${port} within 10 s`);
}
