/**
 * Every message between the supervisor (cluster primary) and its worker processes.
 *
 * Messages are unions tagged by `type`. Each side validates what it receives with
 * `parsePrimaryMessage` / `parseWorkerMessage`: an unknown or malformed message is
 * logged and ignored, never trusted and never a crash, because a worker may run a
 * different build during a rolling deploy or a user's handler may call process.send.
 * Errors cross as plain data (`ErrorData`), never as Error objects, which structured
 * cloning would strip of their name, code and class.
 *
 *   primary → worker   drain {timeoutMs}
 *   worker → primary   ready {owner, pid, lanes}
 *                      stats {owner, stats, apiCalls?, stuck?}
 *                      task {event, owner, task, durationMs?, waitMs?, retryInMs?, error?}
 *                      drained {owner, stats, apiCalls?}
 *                      fatal {owner, error}
 *                      wedged {owner, lane, stuck, concurrency}
 *
 * The worker's start-up settings (`WorkerInit`) travel in an environment variable
 * rather than as a message: they must be there before the worker's module graph has
 * loaded far enough to listen, and a message sent earlier would be lost.
 */
import { API_CALL_CLASSES, type ApiCallCounts } from '../infra/api/api-calls.js';
import type { ApiGuardConfig } from './guards.js';
import type { GuardCounts } from '../infra/api/guard-counts.js';
import type { Lane } from '../infra/types.js';
import type { ClusterAddress } from '../infra/connection.js';
import type { TaskQueueOptions } from '../infra/task-queue.js';
import type { ResolvedOptions } from './options.js';
import type { QueueStorage } from './queue-storage.js';

/** An error as plain data. */
export interface ErrorData {
  name: string;
  message: string;
  code?: string;
  stack?: string;
}

/** Actors per lane in one process. */
export interface LaneCounts {
  short: number;
  long: number;
}

/** Counters of one process's actors since it started. */
export interface WorkerStats {
  inFlight: number;
  completed: number;
  retried: number;
  dead: number;
  leasesLost: number;
  errors: number;
}

/** The task a `task` message is about. */
export interface TaskRef {
  id: string;
  type: string;
  lane: Lane;
  attempt: number;
  fence: number;
}

export const TASK_EVENTS = ['completed', 'retrying', 'dead', 'lease-lost', 'parked'] as const;
export type TaskEventName = (typeof TASK_EVENTS)[number];

/** Everything a worker process needs to start; set by the primary in `WORKER_INIT_ENV`. */
export interface WorkerInit {
  type: 'init';
  index: number;
  owner: string;
  lanes: LaneCounts;
  /** A URL, plain ioredis options or a cluster's nodes (a client cannot cross processes). */
  redis: string | ClusterAddress | Record<string, unknown> | null;
  /** Path of the CA file the worker reads itself (a bundle can outgrow an environment variable). */
  redisTlsCa: string | null;
  queue: string;
  concurrency: number;
  leaseMs: number;
  taskTimeoutMs: number;
  drainTimeoutMs: number;
  unknownTypeGraceMs: number;
  apiUrl: string | null;
  apiTimeoutMs: number;
  /** The external API's guard settings (rate, cap, breaker, throttle cap). */
  apiGuard: ApiGuardConfig;
  /** The queue's storage settings: a worker's completions reap by them, so they must be the supervisor's. */
  storage: QueueStorage;
  /** Module path whose default export maps task type → handler. */
  handlers: string | null;
  logLevel: string;
  statsEveryMs: number;
}

export const WORKER_INIT_ENV = 'TASKLANE_WORKER_INIT';

/**
 * A worker's start-up settings, from the supervisor's resolved options: the same Redis (a
 * cluster's nodes cross as they are), queue and storage (shards and durability included).
 *
 * @example
 * cluster.fork({ [WORKER_INIT_ENV]: JSON.stringify(workerInit(options, { index: 0, owner, lanes }, 1000)) });
 */
export function workerInit(o: ResolvedOptions, slot: { index: number; owner: string; lanes: LaneCounts }, statsEveryMs: number): WorkerInit {
  return {
    type: 'init', index: slot.index, owner: slot.owner, lanes: slot.lanes,
    redis: o.redis as WorkerInit['redis'], redisTlsCa: o.redisTlsCa, queue: o.queue, concurrency: o.concurrency, leaseMs: o.leaseMs, taskTimeoutMs: o.taskTimeoutMs,
    drainTimeoutMs: o.drainTimeoutMs, unknownTypeGraceMs: o.unknownTypeGraceMs, apiUrl: o.apiUrl, apiTimeoutMs: o.apiTimeoutMs, apiGuard: o.apiGuard, storage: o.storage, handlers: typeof o.handlers === 'string' ? o.handlers : null,
    logLevel: o.logLevel, statsEveryMs,
  };
}

/**
 * What a worker opens its TaskQueue with: `tls` is the CA the worker read from `redisTlsCa`.
 *
 * @example
 * new TaskQueue(initQueueOptions(init, undefined))
 */
export function initQueueOptions(init: WorkerInit, tls: { ca: string } | undefined): TaskQueueOptions {
  return { redis: init.redis ?? undefined, tls, name: init.queue, ...init.storage };
}

export interface DrainMessage { type: 'drain'; timeoutMs: number }
export type PrimaryMessage = DrainMessage;

export interface ReadyMessage { type: 'ready'; owner: string; pid: number; lanes: LaneCounts }
/** `apiCalls` are cumulative since the worker started, so a lost message loses no calls. */
/** `stuck`: handlers past their attempt's end that still hold a slot, per lane (see Actor). */
export interface StatsMessage { type: 'stats'; owner: string; stats: WorkerStats; apiCalls?: ApiCallCounts; guard?: GuardCounts; stuck?: LaneCounts }
export interface TaskMessage {
  type: 'task';
  event: TaskEventName;
  owner: string;
  task: TaskRef;
  durationMs?: number;
  /** Ready (claimable) to claim of this attempt, on the Redis clock. */
  waitMs?: number;
  retryInMs?: number;
  error?: ErrorData;
}
export interface DrainedMessage { type: 'drained'; owner: string; stats: WorkerStats; apiCalls?: ApiCallCounts; guard?: GuardCounts }
export interface FatalMessage { type: 'fatal'; owner: string; error: ErrorData }
/** Every slot of one of the worker's actors is held by a handler that ignored its deadline; the primary replaces the process. */
export interface WedgedMessage { type: 'wedged'; owner: string; lane: Lane; stuck: number; concurrency: number }
export type WorkerMessage = ReadyMessage | StatsMessage | TaskMessage | DrainedMessage | FatalMessage | WedgedMessage;

/** What a parse gives: the message, or why it was refused. */
export type Parsed<T> = { ok: true; message: T } | { ok: false; problem: string };

type Check = (value: unknown) => boolean;
type Shape = Readonly<Record<string, Check>>;

const isString: Check = (v) => typeof v === 'string';
const isText: Check = (v) => typeof v === 'string' && v.length > 0;
const isCount: Check = (v) => Number.isSafeInteger(v) && (v as number) >= 0;
const isNumber: Check = (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const optional = (check: Check): Check => (v) => v === undefined || check(v);
const nullable = (check: Check): Check => (v) => v === null || check(v);
const oneOf = (values: readonly string[]): Check => (v) => typeof v === 'string' && values.includes(v);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const shaped = (shape: Shape): Check => (v) => isRecord(v) && problemWith(v, shape) === null;

const laneCounts = shaped({ short: isCount, long: isCount });
const errorData = shaped({ name: isString, message: isString, code: optional(isString), stack: optional(isString) });
const workerStats = shaped({ inFlight: isCount, completed: isCount, retried: isCount, dead: isCount, leasesLost: isCount, errors: isCount });
const guardCounts = shaped({
  throttled: isCount, waitCount: isCount, waitSumSeconds: (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0,
  waitBuckets: (v) => Array.isArray(v) && v.length <= 64 && v.every(isCount),
});
const apiCalls = shaped(Object.fromEntries(API_CALL_CLASSES.map((key) => [key, isCount])));
const taskRef = shaped({ id: isText, type: isString, lane: oneOf(['short', 'long']), attempt: isCount, fence: isCount });

const PRIMARY_SHAPES: Readonly<Record<PrimaryMessage['type'], Shape>> = {
  drain: { timeoutMs: isCount },
};

const WORKER_SHAPES: Readonly<Record<WorkerMessage['type'], Shape>> = {
  ready: { owner: isText, pid: isCount, lanes: laneCounts },
  stats: { owner: isText, stats: workerStats, apiCalls: optional(apiCalls), guard: optional(guardCounts), stuck: optional(laneCounts) },
  task: { event: oneOf(TASK_EVENTS), owner: isText, task: taskRef, durationMs: optional(isNumber), waitMs: optional(isNumber), retryInMs: optional(isNumber), error: optional(errorData) },
  drained: { owner: isText, stats: workerStats, apiCalls: optional(apiCalls), guard: optional(guardCounts) },
  fatal: { owner: isText, error: errorData },
  wedged: { owner: isText, lane: oneOf(['short', 'long']), stuck: isCount, concurrency: isCount },
};

const queueStorage = shaped({
  completedRetention: shaped({ ms: isCount, max: isCount }), deadRetentionMs: isCount, dedupWindowMs: isCount, maxStalls: isCount,
  shards: (v) => isCount(v) && (v as number) >= 1, durability: oneOf(['async', 'replicated']),
});
/** A URL, ioredis options, or a cluster's nodes: a `cluster` field must be a list of HOST:PORT texts. */
const redisSetting: Check = (v) => isText(v) || (isRecord(v) && (!('cluster' in v) || (Array.isArray(v.cluster) && v.cluster.length > 0 && v.cluster.every(isText) && optional(isRecord)(v.options))));

const INIT_SHAPE: Shape = {
  index: isCount, owner: isText, lanes: laneCounts, redis: nullable(redisSetting), redisTlsCa: nullable(isText), queue: isText,
  concurrency: isCount, leaseMs: isCount, taskTimeoutMs: isCount, drainTimeoutMs: isCount, unknownTypeGraceMs: isCount, apiUrl: nullable(isText), apiTimeoutMs: isCount, apiGuard: isRecord, storage: queueStorage, handlers: nullable(isText),
  logLevel: isText, statsEveryMs: isCount,
};

/**
 * Validates a message that arrived at a worker.
 *
 * @example
 * process.on('message', (raw) => { const p = parsePrimaryMessage(raw); if (!p.ok) log.warn({ problem: p.problem }); });
 */
export function parsePrimaryMessage(raw: unknown): Parsed<PrimaryMessage> {
  return parseTagged(raw, PRIMARY_SHAPES);
}

/**
 * Validates a message that arrived at the primary from a worker.
 *
 * @example
 * worker.on('message', (raw) => { const p = parseWorkerMessage(raw); if (p.ok && p.message.type === 'ready') … });
 */
export function parseWorkerMessage(raw: unknown): Parsed<WorkerMessage> {
  return parseTagged(raw, WORKER_SHAPES);
}

/**
 * Reads and validates a worker's start-up settings from its environment.
 *
 * @example
 * const init = readWorkerInit(process.env); // throws when missing or malformed
 */
export function readWorkerInit(env: NodeJS.ProcessEnv): WorkerInit {
  const text = env[WORKER_INIT_ENV];
  if (!text) throw new Error(`${WORKER_INIT_ENV} is not set: this module runs only as a worker forked by the tasklane supervisor`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error(`${WORKER_INIT_ENV} is not valid JSON`);
  }
  const parsed = parseTagged<WorkerInit>(raw, { init: INIT_SHAPE });
  if (!parsed.ok) throw new Error(`${WORKER_INIT_ENV} is malformed: ${parsed.problem}`);
  return parsed.message;
}

/**
 * Turns anything thrown into plain data that survives IPC and JSON.
 *
 * @example
 * toErrorData(new TypeError('x')) // { name: 'TypeError', message: 'x', stack: '…' }
 */
export function toErrorData(thrown: unknown): ErrorData {
  if (!(thrown instanceof Error)) return { name: 'Error', message: typeof thrown === 'string' ? thrown : `non-error thrown: ${String(thrown)}` };
  const data: ErrorData = { name: thrown.name, message: thrown.message };
  const code = (thrown as { code?: unknown }).code;
  if (typeof code === 'string') data.code = code;
  if (thrown.stack) data.stack = thrown.stack;
  return data;
}

/**
 * Rebuilds an Error from plain data, keeping its name, code and the remote stack.
 *
 * @example
 * fromErrorData({ name: 'HttpStatusError', message: 'external API answered 503', code: 'TASKLANE_ERR_HTTP_STATUS' }).code
 */
export function fromErrorData(data: ErrorData): Error & { code?: string } {
  const error: Error & { code?: string } = new Error(data.message);
  error.name = data.name;
  if (data.code !== undefined) error.code = data.code;
  if (data.stack !== undefined) error.stack = data.stack;
  return error;
}

function parseTagged<T>(raw: unknown, shapes: Readonly<Record<string, Shape>>): Parsed<T> {
  if (!isRecord(raw)) return { ok: false, problem: `expected an object with a \`type\`, got ${describe(raw)}` };
  const type = raw.type;
  if (typeof type !== 'string' || !Object.hasOwn(shapes, type)) {
    return { ok: false, problem: `unknown message type \`${String(type)}\`; expected one of ${Object.keys(shapes).join(', ')}` };
  }
  const problem = problemWith(raw, shapes[type]!);
  return problem === null ? { ok: true, message: raw as T } : { ok: false, problem: `\`${type}\` message: ${problem}` };
}

function problemWith(value: Record<string, unknown>, shape: Shape): string | null {
  for (const [field, check] of Object.entries(shape)) {
    if (!check(value[field])) return `field \`${field}\` is invalid, got ${describe(value[field])}`;
  }
  return null;
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return `\`${String(value).slice(0, 80)}\` (${typeof value})`;
}
