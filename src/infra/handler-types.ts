/**
 * What a task handler is and what it receives. They sit in infra, below the actors that call
 * handlers and the external-API client that is one; src/actors/types.ts re-exports them.
 */
import type { Lease } from './types.js';

/** Structured logger; pino's instances fit. */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: object): Logger;
  /** Optional (pino has it): lets hot paths skip building a line the level drops. Missing means every level is enabled. */
  isLevelEnabled?(level: string): boolean;
  /** Optional (pino has it): the keys bound so far, so that a child binds each key once. */
  bindings?(): Record<string, unknown>;
}

/** What a handler receives besides the task. */
export interface HandlerContext {
  /** Aborts on the short-lane deadline, on a lost lease, and on forced shutdown. */
  signal: AbortSignal;
  /** 1-based attempt number (durable attempts; in-process retries share one). */
  attempt: number;
  /** The lease's fencing token. */
  fence: number;
  /** Renews the lease now; false when it is lost. Long tasks are also renewed automatically. */
  heartbeat(): Promise<boolean>;
  log: Logger;
}

/** A task handler. Its resolved value is stored as the task's result (JSON). */
export type TaskHandler = (task: Lease, ctx: HandlerContext) => Promise<unknown>;

/** Handlers by task `type`. */
export type HandlerMap = Readonly<Record<string, TaskHandler>>;
