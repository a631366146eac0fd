import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TaskQueue } from '../../infra/task-queue.js';
import type { OperatorMetrics } from '../metrics/registry.js';
import type { Runtime } from '../types.js';

/** What every route handler gets. */
export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** The route pattern's captures, still percent-encoded. */
  params: string[];
  queue: TaskQueue;
  runtime: Runtime | null;
  metrics: OperatorMetrics;
  /** Mutations need a bearer token. */
  auth: boolean;
  bodyLimitBytes: number;
}

export type RouteHandler = (ctx: RouteContext) => Promise<void>;
