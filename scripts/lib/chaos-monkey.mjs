// Kills one random worker process of *our* supervisor with SIGKILL at a fixed rate.
// A victim must be a live child of the supervisor this run started (read from /proc, or
// `ps --ppid` where /proc has no children lists; the supervisor forks nothing but its
// workers), and with `readyOnly` also a worker it has logged ready. Nothing else is ever
// signalled, and nothing by name.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The pids of the live children of `pid` (every thread's list: node:cluster forks from
 * the main thread, but the kernel records a child on the thread that forked it).
 *
 * @example
 * childPids(supervisor.pid) // [4242, 4243]
 */
export function childPids(pid) {
  let tids;
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch (err) {
    // No /proc at all (not Linux): ask ps. Otherwise the process is gone, with its children.
    return err.code === 'ENOENT' && !existsSync('/proc/self/task') ? psChildren(pid) : [];
  }
  const pids = [];
  for (const tid of tids) {
    let text;
    try {
      text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
    } catch (err) {
      if (err.code === 'ENOENT' && existsSync(`/proc/${pid}/task/${tid}`)) return psChildren(pid); // a kernel without children lists
      continue; // the thread ended meanwhile
    }
    if (text) pids.push(...text.split(/\s+/).map(Number));
  }
  return pids;
}

/**
 * The live processes of process group `pgid`. The supervisor is spawned detached, so its
 * group holds exactly it and its workers; when it dies, its workers stay in the group
 * (re-parented to init), which is how the chaos run finds them to stop them.
 *
 * @example
 * groupMembers(supervisor.pid) // [4242, 4243]
 */
export function groupMembers(pgid) {
  let entries;
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const members = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid pgrp …: comm may hold spaces and parentheses, so split after the last ')'.
      const [, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid) members.push(Number(entry));
    } catch {
      // It exited meanwhile.
    }
  }
  return members;
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
 * Every `everyMs`, SIGKILLs one worker process of the supervisor, chosen at random among
 * the live ones, or with `readyOnly` among those it has logged ready. A worker restarts in
 * one to two seconds on a busy two-core machine, so `readyOnly` concentrates the kills on
 * the few workers that just came up, before they finish anything.
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
  #readyOnly;
  #running = false;
  #loop = Promise.resolve();
  #wake = new AbortController();
  /** Workers killed. */
  kills = 0;
  /** Kills of workers the supervisor had logged ready (the others were still starting). */
  readyKills = 0;
  /** Ticks that found no worker to kill. */
  skipped = 0;

  /**
   * @param {{ supervisorPid: number, log: import('./chaos-log.mjs').SupervisorLog, everyMs: number,
   *   random: () => number, readyOnly?: boolean }} options
   */
  constructor({ supervisorPid, log, everyMs, random, readyOnly = false }) {
    this.#supervisorPid = supervisorPid;
    this.#log = log;
    this.#everyMs = everyMs;
    this.#random = random;
    this.#readyOnly = readyOnly;
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
    const victims = this.#readyOnly ? children.filter((pid) => this.#log.readyPids.has(pid)) : children;
    if (victims.length === 0) {
      this.skipped += 1;
      return;
    }
    const pid = victims[Math.floor(this.#random() * victims.length)];
    try {
      process.kill(pid, 'SIGKILL');
      this.kills += 1;
      if (this.#log.readyPids.has(pid)) this.readyKills += 1;
    } catch (err) {
      // It exited between the check and the kill.
      if (err.code !== 'ESRCH') throw err;
    }
    // Not a candidate again, even before the supervisor logs its death.
    this.#log.readyPids.delete(pid);
  }
}
