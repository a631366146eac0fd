import type { EventEmitter } from 'eventemitter3';
import type { ApiCallCounts } from '../infra/api/api-calls.js';
import type { GuardCounts } from '../infra/api/guard-counts.js';
import type { LayoutError, ShardCountError } from '../infra/errors.js';
import type { CrashLoopError, RedisWaitError } from './errors.js';
import type { TaskEvent } from './host.js';
import type { Lane } from '../infra/types.js';
import type { LaneCounts, WorkerStats } from './ipc.js';

export type { TaskEvent } from './host.js';

/**
 * idle → starting → running → stopping → stopped. A runtime is started once; a
 * stopped runtime stays stopped (create another to run again).
 */
export const RUNTIME_STATES = ['idle', 'starting', 'running', 'stopping', 'stopped'] as const;
export type RuntimeState = (typeof RUNTIME_STATES)[number];

/** One worker process (or, with `processes: 0`, the app's own process). */
export interface WorkerInfo {
  /** Slot name, `w0`, `w1`…, or `inline`; stable across restarts. */
  worker: string;
  /** Lease owner id: unique to this process, so releasing it never touches a replacement. */
  owner: string;
  pid: number;
  lanes: LaneCounts;
}

/** How a worker process ended and what the supervisor did about it. */
export interface WorkerExit extends WorkerInfo {
  code: number | null;
  signal: string | null;
  /** It had sent `ready`. */
  ready: boolean;
  uptimeMs: number;
  /** Tasks put back to waiting by `releaseOwner`; null when Redis did not answer in time. */
  released: number | null;
  /** Delay before the replacement starts; null when none will (stopping, or given up). */
  restartInMs: number | null;
}

/** A snapshot of the runtime for dashboards and health checks. */
export interface RuntimeStats {
  state: RuntimeState;
  workers: Array<WorkerInfo & { ready: boolean; restarts: number; stats: WorkerStats | null }>;
  /** Sum over the workers' latest reports (reports arrive about once a second). */
  totals: WorkerStats;
  /** Calls to the external API by outcome class since the runtime started, ended workers included. */
  apiCalls: ApiCallCounts;
  /** 429s and permit waits of the API guards, cumulative (the supervisor keeps them across worker restarts). */
  apiGuard: GuardCounts;
  /** Handlers past their deadline (or other attempt end) that have not settled, per lane, over the live workers. */
  stuck: LaneCounts;
}

/**
 * One actor's slots are all held by handlers that ignored their deadline. With worker
 * processes the supervisor replaces the process (`replaced: true`); in-process
 * (`processes: 0`) there is nothing to replace, and the actor stays wedged until its
 * handlers settle (`replaced: false`).
 */
export interface WorkerWedged extends WorkerInfo {
  lane: Lane;
  stuck: number;
  concurrency: number;
  replaced: boolean;
}

/**
 * Events of a runtime, named `noun:verb`. Task events are forwarded from every worker
 * process; their `error` is rebuilt from plain data, with the original name, code and stack.
 */
export interface RuntimeEvents {
  'runtime:started': () => void;
  'runtime:stopped': () => void;
  /**
   * The runtime cannot run and stops itself: every slot crash-looped (CrashLoopError), or
   * Redis did not answer within `redisWaitMs` at start-up (RedisWaitError), or the queue is
   * stored in a key layout this version does not read (LayoutError), or in another shard count (ShardCountError).
   */
  'runtime:failed': (error: CrashLoopError | RedisWaitError | LayoutError | ShardCountError) => void;
  'worker:ready': (info: WorkerInfo) => void;
  'worker:exit': (info: WorkerExit) => void;
  /** The supervisor gave up restarting one worker slot; the others keep running. */
  'worker:abandoned': (error: CrashLoopError, info: WorkerInfo) => void;
  /** Handlers that ignore their deadline hold every slot of one actor (see WorkerWedged). */
  'worker:wedged': (event: WorkerWedged) => void;
  'task:completed': (event: TaskEvent) => void;
  'task:retrying': (event: TaskEvent) => void;
  'task:dead': (event: TaskEvent) => void;
  'lease:lost': (event: TaskEvent) => void;
  /**
   * No running worker handles the task's type: parked (released for `retryInMs`, its attempts
   * untouched) until `unknownTypeGraceMs` after its creation, then dead-lettered.
   */
  'task:parked': (event: TaskEvent) => void;
  /** The supervisor's Redis connection is down (or was never up); it keeps retrying. */
  'redis:down': (reason: string) => void;
  'redis:up': () => void;
}

/** What `createRuntime` returns. */
export interface Runtime extends EventEmitter<RuntimeEvents> {
  readonly state: RuntimeState;
  /**
   * Starts the actors once Redis answers. Resolves once every worker has reported `ready`;
   * rejects with an OptionError when the handlers module does not load (nothing started),
   * a RedisWaitError when Redis did not answer within `redisWaitMs`, or a CrashLoopError
   * when no worker can run (the runtime has then stopped itself).
   */
  start(): Promise<void>;
  /**
   * Graceful by default: stop claiming, give in-flight tasks `drainTimeoutMs`, release the
   * rest without counting an attempt. `force: true` (also while a graceful stop runs)
   * kills the workers at once; the supervisor then releases their leases if Redis answers.
   */
  stop(options?: { force?: boolean }): Promise<void>;
  stats(): RuntimeStats;
}

export const EMPTY_STATS: Readonly<WorkerStats> = Object.freeze({ inFlight: 0, completed: 0, retried: 0, dead: 0, leasesLost: 0, errors: 0 });

/**
 * Adds up worker stats.
 *
 * @example
 * sumStats([a, b]).completed // a.completed + b.completed
 */
export function sumStats(all: ReadonlyArray<WorkerStats | null>): WorkerStats {
  const total = { ...EMPTY_STATS };
  for (const s of all) {
    if (!s) continue;
    for (const key of Object.keys(total) as Array<keyof WorkerStats>) total[key] += s[key];
  }
  return total;
}
