/**
 * The last few minutes of task outcomes in memory, for the dashboard: throughput per second
 * and latency percentiles. Prometheus keeps the long history; this answers "what is
 * happening now" without a Prometheus server.
 */

/** Seconds of per-second throughput kept. */
export const THROUGHPUT_SECONDS = 300;
/** Window of the latency percentiles. */
export const LATENCY_WINDOW_MS = 60_000;
/**
 * Samples kept per latency series. At higher rates the window covers the most recent
 * samples only; percentiles of 20,000 recent samples are still representative, and the
 * bound keeps memory and the sort per request small.
 */
const MAX_SAMPLES = 20_000;

export type Outcome = 'completed' | 'retried' | 'dead';

/** Per-second outcome counts; `t` is the epoch second. */
export interface ThroughputPoint {
  t: number;
  completed: number;
  retried: number;
  dead: number;
}

/** Percentiles over the last minute; null when there was no sample. */
export interface LatencySummary {
  waitP50Ms: number | null;
  waitP99Ms: number | null;
  durationP50Ms: number | null;
  durationP99Ms: number | null;
}

/**
 * Timestamped samples in time order, trimmed from the front. A sample stamped earlier than
 * the last one is inserted in its place (rare: the callers stamp with `Date.now()`), so the
 * front is always the oldest and trimming alone keeps exactly the window.
 */
class SampleWindow {
  #at: number[] = [];
  #values: number[] = [];
  #head = 0;

  add(value: number, at: number): void {
    const i = this.#insertionPoint(at);
    if (i === this.#at.length) {
      this.#at.push(at);
      this.#values.push(value);
    } else {
      this.#at.splice(i, 0, at);
      this.#values.splice(i, 0, value);
    }
    if (this.#at.length - this.#head > MAX_SAMPLES) this.#head += 1;
    this.#compact();
  }

  percentiles(now: number, ...ps: number[]): Array<number | null> {
    while (this.#head < this.#at.length && this.#at[this.#head]! < now - LATENCY_WINDOW_MS) this.#head += 1;
    this.#compact();
    const values = this.#values.slice(this.#head).sort((a, b) => a - b);
    return ps.map((p) => (values.length === 0 ? null : values[Math.min(values.length - 1, Math.ceil(p * values.length) - 1)]!));
  }

  /** The index after every sample stamped at or before `at` (the end, for in-order samples). */
  #insertionPoint(at: number): number {
    let lo = this.#head;
    let hi = this.#at.length;
    if (hi === lo || this.#at[hi - 1]! <= at) return hi;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#at[mid]! <= at) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Drops the trimmed front once it is most of the array, so trimming stays O(1) amortized. */
  #compact(): void {
    if (this.#head < 1024 || this.#head * 2 < this.#at.length) return;
    this.#at = this.#at.slice(this.#head);
    this.#values = this.#values.slice(this.#head);
    this.#head = 0;
  }
}

/**
 * Recent task outcomes and latencies.
 *
 * @example
 * const recent = new RecentActivity();
 * recent.record('completed');
 * recent.observeDuration(120);
 * recent.throughput().at(-1) // { t: <this second>, completed: 1, retried: 0, dead: 0 }
 */
export class RecentActivity {
  /** Ring of per-second counts, indexed by epoch second modulo its length. */
  readonly #ring: ThroughputPoint[] = Array.from({ length: THROUGHPUT_SECONDS }, () => ({ t: 0, completed: 0, retried: 0, dead: 0 }));
  readonly #waits = new SampleWindow();
  readonly #durations = new SampleWindow();

  record(outcome: Outcome, at = Date.now()): void {
    const t = Math.floor(at / 1000);
    const slot = this.#ring[t % THROUGHPUT_SECONDS]!;
    if (slot.t !== t) Object.assign(slot, { t, completed: 0, retried: 0, dead: 0 });
    slot[outcome] += 1;
  }

  observeWait(ms: number, at = Date.now()): void {
    this.#waits.add(ms, at);
  }

  observeDuration(ms: number, at = Date.now()): void {
    this.#durations.add(ms, at);
  }

  /** The last 300 seconds, oldest first, one point per second (zeros included), ending with the current one. */
  throughput(now = Date.now()): ThroughputPoint[] {
    const last = Math.floor(now / 1000);
    const points: ThroughputPoint[] = [];
    for (let t = last - THROUGHPUT_SECONDS + 1; t <= last; t += 1) {
      const slot = this.#ring[t % THROUGHPUT_SECONDS]!;
      points.push(slot.t === t ? { ...slot } : { t, completed: 0, retried: 0, dead: 0 });
    }
    return points;
  }

  latency(now = Date.now()): LatencySummary {
    const [waitP50Ms, waitP99Ms] = this.#waits.percentiles(now, 0.5, 0.99);
    const [durationP50Ms, durationP99Ms] = this.#durations.percentiles(now, 0.5, 0.99);
    return { waitP50Ms: waitP50Ms ?? null, waitP99Ms: waitP99Ms ?? null, durationP50Ms: durationP50Ms ?? null, durationP99Ms: durationP99Ms ?? null };
  }
}
