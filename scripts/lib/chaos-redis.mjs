// The chaos run's redis-server: AOF with `appendfsync always`, on a data directory and
// port that survive a restart, so it can be killed in the middle of the run and brought
// back with everything it had acknowledged.
import { mkdirSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, startRedisServer } from './redis-server.mjs';

/**
 * A private redis-server that can be stopped and started again on the same `dir` and
 * `port`. It fills the `redis` slot of DemoChildren: `process` is always the current
 * child, `stop()` ends it and removes `dir`.
 *
 * @example
 * const redis = await DurableRedis.start({ dir: '/tmp/chaos-1/redis' });
 * const restart = await redis.restart({ signal: 'SIGKILL', downMs: 1500 });
 * await redis.stop();
 */
export class DurableRedis {
  /** @type {Awaited<ReturnType<typeof startRedisServer>>} */
  #server;
  #options;
  /** A restart in progress: stop() waits for it rather than racing it. */
  #restarting = null;
  #stopped = false;

  constructor(server, options) {
    this.#server = server;
    this.#options = options;
  }

  /**
   * Creates `dir` and starts redis-server there with AOF and fsync on every write.
   *
   * @param {{ dir: string, port?: number, fsync?: 'always' | 'everysec' }} options
   */
  static async start({ dir, port, fsync = 'always' }) {
    mkdirSync(dir, { recursive: true });
    const options = { dir, port: port ?? (await freePort()), fsync };
    return new DurableRedis(await launch(options), options);
  }

  get url() {
    return this.#server.url;
  }

  get port() {
    return this.#options.port;
  }

  get dir() {
    return this.#options.dir;
  }

  /** The current redis-server child process. */
  get process() {
    return this.#server.process;
  }

  /**
   * Kills the server with `signal`, waits `downMs` with nothing listening, and starts it
   * again on the same dir and port. Resolves once it listens (it may still be loading the
   * AOF; clients wait for that themselves) with what happened and how long each step took.
   *
   * @param {{ signal?: NodeJS.Signals, downMs?: number }} [options]
   * @returns {Promise<{ signal: string, exitMs: number, downMs: number, listenMs: number }>}
   */
  restart({ signal = 'SIGKILL', downMs = 1500 } = {}) {
    if (this.#stopped) return Promise.reject(new Error('redis-server was stopped'));
    this.#restarting ??= (async () => {
      const killedAt = Date.now();
      await this.#server.stop({ signal });
      const exitMs = Date.now() - killedAt;
      await sleep(downMs);
      if (this.#stopped) throw new Error('redis-server was stopped during its restart');
      const startedAt = Date.now();
      this.#server = await launch(this.#options);
      return { signal, exitMs, downMs, listenMs: Date.now() - startedAt };
    })().finally(() => {
      this.#restarting = null;
    });
    return this.#restarting;
  }

  /** SIGTERM (SIGKILL after 5 s), then removes the data directory. Safe to call twice. */
  async stop() {
    this.#stopped = true;
    await this.#restarting?.catch(() => {});
    await this.#server.stop();
    rmSync(this.#options.dir, { recursive: true, force: true });
  }
}

function launch({ dir, port, fsync }) {
  // detached: a terminal's Ctrl-C must not take Redis down before the supervisor has drained.
  return startRedisServer({ appendonly: true, dir, port, detached: true, extraArgs: ['--appendfsync', fsync] });
}

/**
 * Acknowledged writes right up to a crash: INCRs `key`, one after another, until stopped.
 * `acked` is the last value Redis confirmed; after a restart on the same AOF the key must
 * hold at least that much (more when the write in flight at the kill was also persisted,
 * or resent by ioredis after the reconnect).
 *
 * `write` may replace the INCR: it resolves with the value to count as acknowledged, or
 * null for a write that counts for nothing. With `retryMs` a failed write is tried again
 * that much later (a cluster failing over) instead of ending the probe.
 *
 * @param {{ write?: (client: any, key: string) => Promise<number | null>, retryMs?: number | null }} [options]
 * @example
 * const probe = startWriteProbe(client, 'chaos:probe');
 * const acked = probe.acked; // …then kill Redis, restart it…
 * probe.stop();
 * Number(await client.get('chaos:probe')) >= acked // true with appendfsync always
 */
export function startWriteProbe(client, key, { write = async (c, k) => Number(await c.incr(k)), retryMs = null } = {}) {
  let running = true;
  // stop() does not wait for the INCR in flight: with Redis gone for good it would wait forever.
  const probe = { acked: 0, stop: () => {
    running = false;
  } };
  void (async () => {
    while (running) {
      try {
        probe.acked = (await write(client, key)) ?? probe.acked;
      } catch {
        if (retryMs === null || client.status === 'end') return; // the client was closed: nothing more to learn
        await sleep(retryMs);
      }
    }
  })();
  return probe;
}

/**
 * Task records per state; their total changes only when tasks are enqueued.
 *
 * @typedef {{ total: number, completed: number, dead: number }} Snapshot
 * @returns {Promise<Snapshot>}
 * @example
 * await taskSnapshot(queue) // { total: 20000, completed: 9120, dead: 410 }
 */
export async function taskSnapshot(queue) {
  const s = await queue.stats();
  return { total: s.waiting.short + s.waiting.long + s.delayed + s.active + s.completed + s.dead, completed: s.completed, dead: s.dead };
}
