// Starts a private redis-server on a free loopback port with a throwaway directory.
// The tests, the benchmarks and the demo use it so that they never touch a Redis they
// did not start (in particular not 127.0.0.1:6379).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
 * `tls` serves TLS only (`--port 0 --tls-port PORT`) with the given PEM files, and `url` is
 * then rediss://; clients need no certificate of their own unless `authClients` is true.
 * `users` are ACL rules, one user per line as in an ACL file (`default on >pw ~* &* +@all`,
 * `app on >pw ~app:* -@all +get`), loaded from an ACL file in `dir`.
 *
 * @param {{ appendonly?: boolean, dir?: string, port?: number, extraArgs?: string[], detached?: boolean,
 *   tls?: { cert: string, key: string, ca: string, authClients?: boolean }, users?: string[] }} [options]
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
  const args = [...listenArgs(port, options.tls), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
    '--appendonly', options.appendonly ? 'yes' : 'no', '--daemonize', 'no', '--loglevel', 'warning',
    ...aclArgs(dir, options.users), ...(options.extraArgs ?? [])];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'inherit'], detached: options.detached ?? false });
  let exited = false;
  child.on('exit', () => { exited = true; });
  try {
    await waitForPort(port, () => exited);
  } catch (err) {
    if (!options.tls) throw err;
    throw new Error(`${err.message}. With TLS this usually means a redis-server built without TLS support: install one built with it (Debian/Ubuntu's redis-server 6 and later are, \`sudo apt-get install -y redis-server\`; from source, \`make BUILD_TLS=yes\`)`);
  }
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
  return { url: `${options.tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`, port, dir, process: child, stop };
}

/** Plain TCP on `port`, or (with `tls`) TLS only on it: `--port 0` turns the plain listener off. */
function listenArgs(port, tls) {
  if (!tls) return ['--port', String(port)];
  return ['--port', '0', '--tls-port', String(port), '--tls-cert-file', tls.cert, '--tls-key-file', tls.key,
    '--tls-ca-cert-file', tls.ca, '--tls-auth-clients', tls.authClients ? 'yes' : 'no'];
}

/** An ACL file of `users` in `dir`; none: every client is the passwordless default user. */
function aclArgs(dir, users) {
  if (!users?.length) return [];
  const file = join(dir, 'users.acl');
  writeFileSync(file, users.map((line) => `user ${line}\n`).join(''), { mode: 0o600 });
  return ['--aclfile', file];
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
