// The demo's live progress line. Redis load stays light: one `stats()` per tick plus a
// sample of the most recently completed tasks; retries are counted from what the
// (in-process) flaky API saw, which costs Redis nothing.
import { percentile } from './stats.mjs';

/** Completed tasks sampled per tick for the live latency figures. */
const LATENCY_SAMPLE = 50;
/** Window of the tasks/s figure: recent enough to show the tail slowing down. */
const RATE_WINDOW_MS = 3000;

/**
 * A duration for people: `850 ms`, `2.4 s`, `–` when unknown.
 *
 * @example
 * formatMs(2400) // '2.4 s'
 */
export function formatMs(ms) {
  if (!Number.isFinite(ms)) return '–';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * Nothing left waiting, delayed or running, and every one of `unique` tasks finished;
 * false before the first `stats()`.
 *
 * @example
 * if (producerDone && isSettled(live.stats, plan.ids.length)) break;
 */
export function isSettled(stats, unique) {
  if (!stats) return false;
  const pending = stats.waiting.short + stats.waiting.long + stats.delayed + stats.active;
  return pending === 0 && stats.completed + stats.dead >= unique;
}

/**
 * Live counters of one demo run.
 *
 * @example
 * const live = new LiveStats({ queue, api });
 * await live.refresh();
 * console.log(live.line(3000));
 */
export class LiveStats {
  #queue;
  #api;
  #startedAt = Date.now();
  /** Completed ids already sampled, so that a slow tick never counts one twice. */
  #sampled = new Set();
  #latencies = [];
  /** Highest `x-tasklane-attempt` the API saw per key: attempt n means n − 1 durable retries. */
  #attempts = new Map();
  #history = [];
  /** The last QueueStats, or null before the first refresh. */
  stats = null;

  constructor({ queue, api }) {
    this.#queue = queue;
    this.#api = api;
    // The origin makes the first tick's rate a real one rather than 0.
    this.#history.push({ at: this.#startedAt, done: 0 });
  }

  /** Tasks that reached an end state (completed or dead). */
  get done() {
    return this.stats ? this.stats.completed + this.stats.dead : 0;
  }

  /** Durable retries seen so far: every attempt after a key's first reaches the API. */
  get retries() {
    let sum = 0;
    for (const attempt of this.#attempts.values()) sum += attempt - 1;
    return sum;
  }

  async refresh() {
    this.stats = await this.#queue.stats();
    const now = Date.now();
    this.#history.push({ at: now, done: this.done });
    while (this.#history.length > 2 && now - this.#history[1].at >= RATE_WINDOW_MS) this.#history.shift();
    // The API keeps its last 10 000 calls; one tick never sees nearly that many.
    for (const { key, attempt } of this.#api.requests()) {
      if (Number.isInteger(attempt) && attempt > (this.#attempts.get(key) ?? 0)) this.#attempts.set(key, attempt);
    }
    await this.#sampleLatency();
  }

  async #sampleLatency() {
    const recent = await this.#queue.redis.zrevrange(this.#queue.keys.completed, 0, LATENCY_SAMPLE - 1);
    const fresh = recent.filter((id) => !this.#sampled.has(id));
    const infos = await Promise.all(fresh.map((id) => this.#queue.get(id)));
    for (const [i, info] of infos.entries()) {
      this.#sampled.add(fresh[i]);
      if (info?.finishedAt !== undefined) this.#latencies.push(info.finishedAt - info.createdAt);
    }
  }

  /** One line: done/total, tasks/s (over the last few seconds), retries, dead, sampled p50/p99 enqueue-to-finish. */
  line(total) {
    const s = this.stats;
    const first = this.#history[0];
    const last = this.#history.at(-1);
    const rate = first && last && last.at > first.at ? ((last.done - first.done) * 1000) / (last.at - first.at) : 0;
    const sorted = [...this.#latencies].sort((a, b) => a - b);
    const elapsed = ((Date.now() - this.#startedAt) / 1000).toFixed(1).padStart(5);
    const pct = total > 0 ? Math.floor((this.done * 100) / total) : 0;
    return `[${elapsed}s] ${this.done}/${total} done (${pct}%) · ${Math.round(rate)}/s · retries ${this.retries} · dead ${s?.dead ?? 0}`
      + ` · in flight ${s?.active ?? 0} · p50 ${formatMs(percentile(sorted, 50))} · p99 ${formatMs(percentile(sorted, 99))}`;
  }
}

/**
 * Writes progress lines: rewritten in place on a TTY, one every `everyMs` otherwise (a CI
 * log or a pipe should not get a line per tick).
 *
 * @example
 * const out = progressWriter(process.stdout);
 * out.update('[ 1.0s] done 10/100');
 * out.finish();
 */
export function progressWriter(stream, { everyMs = 2000 } = {}) {
  const tty = Boolean(stream.isTTY);
  let lastPrinted = 0;
  let pending = '';
  return {
    update(line, { force = false } = {}) {
      pending = line;
      if (tty) {
        // A line that wraps could no longer be rewritten in place.
        const fitted = stream.columns > 1 && line.length >= stream.columns ? line.slice(0, stream.columns - 1) : line;
        stream.write(`\r${fitted}\x1b[K`);
        return;
      }
      if (force || Date.now() - lastPrinted >= everyMs) {
        stream.write(`${line}\n`);
        lastPrinted = Date.now();
        pending = '';
      }
    },
    /** Ends the line on a TTY; elsewhere prints the last update if it was held back. */
    finish() {
      if (tty) stream.write('\n');
      else if (pending) stream.write(`${pending}\n`);
      pending = '';
    },
  };
}
