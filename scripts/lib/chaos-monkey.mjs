// Kills one random worker process of *our* supervisor with SIGKILL at a fixed rate.
// A victim must be both a live child of the supervisor this run started (read from /proc,
// or `ps --ppid` where /proc has no children lists) and a worker the supervisor has
// announced ready in its log; nothing else is ever signalled, and nothing by name.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The pids of the live children of `pid` (every thread's list: node:cluster forks from
 * the main thread, but the kernel records a child on the thread that forked it).
 *
 * @example
 * childPids(supervisor.pid) // [4242, 4243]
 */
export function childPids(pid) {
  try {
    const pids = [];
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (text) pids.push(...text.split(/\s+/).map(Number));
    }
    return pids;
  } catch (err) {
    // The process is gone: it has no children.
    if (err.code === 'ENOENT' && err.path === `/proc/${pid}/task`) return [];
    return psChildren(pid);
  }
}

function psChildren(pid) {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    // ps exits 1 when there is no child.
    return [];
  }
}

/**
 * Every `everyMs`, SIGKILLs one worker chosen at random among the ready ones.
 *
 * @example
 * const monkey = new WorkerKiller({ supervisorPid: sup.pid, log, everyMs: 500, random });
 * monkey.start();
 * await monkey.stop();
 * monkey.kills // 87
 */
export class WorkerKiller {
  #supervisorPid;
  #log;
  #everyMs;
  #random;
  #anyWorker;
  #running = false;
  #loop = Promise.resolve();
  #wake = new AbortController();
  /** Workers killed. */
  kills = 0;
  /** Ticks with no ready worker to kill (all of them restarting). */
  skipped = 0;

  /**
   * @param {{ supervisorPid: number, log: import('./chaos-log.mjs').SupervisorLog, everyMs: number, random: () => number }} options
   */
  constructor({ supervisorPid, log, everyMs, random, anyWorker = false }) {
    this.#anyWorker = anyWorker;
    this.#supervisorPid = supervisorPid;
    this.#log = log;
    this.#everyMs = everyMs;
    this.#random = random;
  }

  start() {
    if (this.#running || this.#everyMs <= 0) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Stops killing; resolves once no kill can follow. */
  async stop() {
    this.#running = false;
    this.#wake.abort();
    await this.#loop;
  }

  async #run() {
    while (this.#running) {
      await sleep(this.#everyMs, undefined, { signal: this.#wake.signal }).catch(() => {});
      if (!this.#running) return;
      this.#killOne();
    }
  }

  #killOne() {
    this.#log.poll();
    const children = childPids(this.#supervisorPid);
    const ready = children.filter((pid) => this.#log.readyPids.has(pid));
    const victims = this.#anyWorker ? children : ready;
    if (victims.length === 0) {
      this.skipped += 1;
      return;
    }
    const pid = victims[Math.floor(this.#random() * victims.length)];
    try {
      process.kill(pid, 'SIGKILL');
      this.kills += 1;
    } catch (err) {
      // It exited between the check and the kill.
      if (err.code !== 'ESRCH') throw err;
    }
    // Not a candidate again, even before the supervisor logs its death.
    this.#log.readyPids.delete(pid);
  }
}
