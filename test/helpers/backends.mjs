// The two storage backends every storage suite runs against.
import { Redis } from 'ioredis';
import RedisMock from 'ioredis-mock';
import { TaskQueue } from '../../dist/index.js';

export function realRedisUrl() {
  const url = process.env.TASKLANE_TEST_REDIS_URL;
  if (!url) throw new Error('TASKLANE_TEST_REDIS_URL is unset: run the tests with `npm test`, which starts a private redis-server');
  return url;
}

let counter = 0;
/** A queue name no other test uses, so tests never share keys. */
export function uniqueName(label = 'q') {
  counter += 1;
  return `${label}-${process.pid}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
}

/** @type {Array<{ name: string, client: () => import('ioredis').Redis }>} */
export const backends = [
  { name: 'ioredis-mock', client: () => new RedisMock() },
  { name: 'redis-server', client: () => new Redis(realRedisUrl(), { maxRetriesPerRequest: null }) },
];

/**
 * Opens a queue on a fresh client of `backend`; `cleanup()` closes both.
 * @param {{ client: () => import('ioredis').Redis }} backend
 * @param {import('../../dist/index.js').TaskQueueOptions} [options]
 */
export function openQueue(backend, options = {}) {
  const client = backend.client();
  const queue = new TaskQueue({ name: uniqueName(), ...options, redis: client });
  queue.on('queue:warning', () => {});
  const cleanup = async () => {
    await queue.close();
    client.disconnect();
  };
  return { queue, client, cleanup };
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Defines and runs one uvu suite per backend: the same tests against ioredis-mock and redis-server.
 * @param {string} title
 * @param {(test: import('uvu').Test, backend: { name: string, client: () => import('ioredis').Redis }) => void} define
 */
export async function describeBackends(title, define) {
  const { suite } = await import('uvu');
  for (const backend of backends) {
    const test = suite(`${title} [${backend.name}]`);
    define(test, backend);
    test.run();
  }
}
