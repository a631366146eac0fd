// Follows the supervisor's JSON log (its workers write to the same file) as it grows:
// which worker processes are ready, how the supervisor saw them die, how many leases it
// recovered, and every warning or error, so the chaos run can report them.
import { closeSync, openSync, readSync } from 'node:fs';

const READ_BYTES = 1 << 20;
/** pino levels. */
const WARN = 40;
const ERROR = 50;
/** Distinct warning/error messages kept with a sample line each. */
const MAX_SAMPLES = 20;

/**
 * Incremental reader of one supervisor log file.
 *
 * @example
 * const log = new SupervisorLog('/tmp/chaos/supervisor.log');
 * log.poll();
 * log.readyPids // Set { 4242, 4243 }
 */
export class SupervisorLog {
  #file;
  #offset = 0;
  #partial = '';
  /** Worker pids the supervisor has announced ready and not yet seen exit. */
  readyPids = new Set();
  /** Tallies of what the supervisor logged. */
  counts = { workersReady: 0, workersDied: 0, leasesReleased: 0, expiredRequeued: 0, redisDown: 0, warnings: 0, errors: 0 };
  /** Signals of the worker deaths the supervisor logged, e.g. { SIGKILL: 40 }. */
  deathSignals = {};
  /** Warning and error messages by text: `{ level, count, sample }`. */
  messages = new Map();

  constructor(file) {
    this.#file = file;
  }

  /** Reads what was appended since the last call. */
  poll() {
    const fd = openSync(this.#file, 'r');
    try {
      const buffer = Buffer.alloc(READ_BYTES);
      for (;;) {
        const n = readSync(fd, buffer, 0, READ_BYTES, this.#offset);
        if (n === 0) break;
        this.#offset += n;
        const text = this.#partial + buffer.toString('utf8', 0, n);
        const lines = text.split('\n');
        this.#partial = lines.pop();
        for (const line of lines) this.#line(line);
      }
    } finally {
      closeSync(fd);
    }
  }

  #line(text) {
    let entry;
    try {
      entry = JSON.parse(text);
    } catch {
      if (text.trim()) this.#note(ERROR, `not JSON: ${text.slice(0, 200)}`, text);
      return;
    }
    const c = this.counts;
    const fromSupervisor = entry.role === 'supervisor';
    switch (entry.msg) {
      case 'worker ready':
        if (fromSupervisor && Number.isInteger(entry.workerPid)) {
          this.readyPids.add(entry.workerPid);
          c.workersReady += 1;
        }
        break;
      case 'worker died':
      case 'worker exited':
        if (!fromSupervisor) break;
        this.readyPids.delete(entry.workerPid);
        if (entry.msg === 'worker died') {
          c.workersDied += 1;
          const how = entry.signal ?? `exit ${entry.code}`;
          this.deathSignals[how] = (this.deathSignals[how] ?? 0) + 1;
        }
        break;
      case 'released the leases of a worker that ended':
        c.leasesReleased += Number(entry.released) || 0;
        break;
      case 'requeued tasks whose lease expired':
        c.expiredRequeued += Number(entry.moved) || 0;
        break;
      default:
        if (/^lost the connection to Redis/.test(entry.msg ?? '')) c.redisDown += 1;
    }
    if (entry.level >= WARN) this.#note(entry.level, entry.msg ?? '(no message)', text);
  }

  #note(level, message, sample) {
    if (level >= ERROR) this.counts.errors += 1;
    else this.counts.warnings += 1;
    const known = this.messages.get(message);
    if (known) known.count += 1;
    else if (this.messages.size < MAX_SAMPLES) this.messages.set(message, { level, count: 1, sample: sample.slice(0, 600) });
  }
}
