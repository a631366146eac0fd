// The one interface every benchmarked system implements, so that the worker entry
// (../worker.mjs) and the cases never branch on the system.

/**
 * @typedef {object} Producer
 * @property {(payloads: object[]) => Promise<unknown>} addBulk  the system's own bulk API, one call per batch
 * @property {(payload: object) => Promise<unknown>} add        one task, one call
 * @property {() => Promise<void>} close
 */

/**
 * @typedef {object} Consumer
 * @property {() => void} start               begins claiming/processing
 * @property {() => Promise<void>} close      stops and disconnects
 */

/**
 * @typedef {object} SystemAdapter
 * @property {string} name
 * @property {(o: { url: string, queue: string, retentionMs: number }) => Promise<Producer>} openProducer
 * @property {(o: { url: string, queue: string, retentionMs: number, concurrency: number,
 *   handler: (payload: any) => Promise<unknown>, onCompleted: () => void }) => Promise<Consumer>} openConsumer
 *   `onCompleted` fires once the system has recorded a task's completion in Redis.
 *   `retentionMs`: how long completed tasks are kept, where the system can say (../retention.mjs).
 *   tasklane also takes `cluster` (`host:port,...`, instead of `url`) and `shards` (bench --cluster).
 */

/** Adapter modules by system name, loaded lazily so a worker process loads only its own library. */
export const SYSTEMS = {
  tasklane: async () => (await import('./tasklane.mjs')).tasklane,
  bullmq: async () => (await import('./bullmq.mjs')).bullmq,
  'bee-queue': async () => (await import('./bee-queue.mjs')).beeQueue,
};

export const SYSTEM_NAMES = Object.keys(SYSTEMS);
