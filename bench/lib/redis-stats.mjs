// Redis-side measurements: INFO commandstats (what was executed) and a MONITOR stream
// (who sent it), both read over the runner's own admin connection.
import { Redis } from 'ioredis';

/** The runner's own commands, never counted. */
const ADMIN_COMMANDS = new Set(['info', 'config|resetstat', 'config|get', 'config|set', 'flushall', 'monitor', 'echo']);
const SCRIPT_CALLS = new Set(['eval', 'evalsha', 'eval_ro', 'evalsha_ro', 'fcall', 'fcall_ro']);

/**
 * @example
 * const admin = new RedisAdmin(server.url);
 * await admin.resetStats();
 * // ...workload...
 * const { executed, scriptCalls } = await admin.commandCounts();
 */
export class RedisAdmin {
  #redis;

  constructor(url) {
    this.#redis = new Redis(url);
  }

  get client() {
    return this.#redis;
  }

  async version() {
    const info = await this.#redis.info('server');
    return /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
  }

  /** Empties every queue between runs (scripts stay cached, like on a long-lived server). */
  async flush() {
    await this.#redis.flushall('SYNC');
  }

  async resetStats() {
    await this.#redis.config('RESETSTAT');
  }

  /**
   * Calls per command since the last reset, from INFO commandstats. commandstats counts every
   * command executed, including each one a script runs; `scriptCalls` are the EVAL/EVALSHA/FCALL
   * calls themselves. The runner's own INFO/CONFIG/FLUSHALL/ECHO are left out.
   *
   * `byCommand` holds calls and server time (µs) per command; a script call's time includes
   * the commands it ran, which are also listed under their own names.
   *
   * @returns {Promise<{ executed: number, scriptCalls: number, byCommand: Record<string, { calls: number, usec: number }> }>}
   */
  async commandCounts() {
    const info = await this.#redis.info('commandstats');
    const byCommand = {};
    let executed = 0;
    let scriptCalls = 0;
    for (const line of info.split('\n')) {
      const m = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line);
      if (!m || ADMIN_COMMANDS.has(m[1])) continue;
      const calls = Number(m[2]);
      byCommand[m[1]] = { calls, usec: Number(m[3]) };
      executed += calls;
      if (SCRIPT_CALLS.has(m[1])) scriptCalls += calls;
    }
    return { executed, scriptCalls, byCommand };
  }

  /** CPU seconds redis-server has used since it started (user + system, all threads). */
  async cpuSeconds() {
    const info = await this.#redis.info('cpu');
    const field = (name) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
    return field('used_cpu_user') + field('used_cpu_sys');
  }

  close() {
    this.#redis.disconnect();
  }
}

/**
 * Splits the commands Redis runs by origin with MONITOR: a line whose source is `lua` ran
 * inside a script; any other source is a client connection, so that command was sent over
 * the wire (commands queued in MULTI count one by one, plus MULTI and EXEC). Windows are cut
 * with ECHO markers sent on the admin connection, so they follow the server's own order.
 * MONITOR slows Redis down, so it is only used in the commands case, never while timing.
 *
 * @example
 * const monitor = await CommandMonitor.start(admin);
 * await monitor.mark('start');
 * // ...workload...
 * const { sent, inScripts } = await monitor.mark('end'); // counts between the two marks
 * await monitor.stop();
 */
export class CommandMonitor {
  #admin;
  #monitor;
  #adminSource;
  #counts = newCounts();
  #waiting = new Map();

  constructor(admin, monitor) {
    this.#admin = admin;
    this.#monitor = monitor;
    this.#adminSource = `127.0.0.1:${admin.client.stream.localPort}`;
    monitor.on('monitor', (_time, args, source) => this.#line(args, source));
  }

  static async start(admin) {
    await admin.client.ping();
    const monitor = await admin.client.monitor();
    return new CommandMonitor(admin, monitor);
  }

  /** Resolves, once MONITOR has shown the marker, with the counts since the previous mark. */
  async mark(name) {
    const token = `tasklane-bench-mark:${name}:${Math.random()}`;
    const seen = new Promise((resolve) => this.#waiting.set(token, resolve));
    await this.#admin.client.echo(token);
    return seen;
  }

  async stop() {
    this.#monitor.disconnect();
  }

  #line(args, source) {
    const command = String(args[0]).toLowerCase();
    if (source === this.#adminSource) {
      if (command === 'echo' && this.#waiting.has(args[1])) {
        const resolve = this.#waiting.get(args[1]);
        this.#waiting.delete(args[1]);
        const counts = this.#counts;
        this.#counts = newCounts();
        resolve(counts);
      }
      return;
    }
    const fromScript = source === 'lua';
    const bucket = fromScript ? this.#counts.inScriptsBy : this.#counts.sentBy;
    bucket[command] = (bucket[command] ?? 0) + 1;
    if (fromScript) this.#counts.inScripts += 1;
    else this.#counts.sent += 1;
  }
}

function newCounts() {
  return { sent: 0, inScripts: 0, sentBy: {}, inScriptsBy: {} };
}
