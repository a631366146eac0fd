export { TaskQueue, type TaskQueueOptions, type TaskQueueEvents } from './infra/task-queue.js';
export { QueueKeys } from './infra/keys.js';
export { backoffDelay, type BackoffOptions } from './infra/backoff.js';
export * from './infra/errors.js';
export * from './infra/types.js';
export { DEFAULT_PRIORITY, MAX_PRIORITY, DEFAULT_MAX_ATTEMPTS, MAX_ID_LENGTH } from './infra/validate.js';
export type { RedisInput } from './infra/connection.js';
