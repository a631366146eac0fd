// An operator server of its own for a test: a fresh queue on the test redis-server and a
// server on a free loopback port; plus dead-lettering a task the way a worker would.
import * as assert from 'uvu/assert';
import { createOperatorServer, TaskQueue } from '../../dist/index.js';
import { realRedisUrl, uniqueName } from './backends.mjs';

/**
 * @param {import('../../dist/index.js').OperatorServerOptions | {}} [serverOptions]
 * @param {import('../../dist/index.js').TaskQueueOptions} [queueOptions]
 */
export async function serveQueue(serverOptions = {}, queueOptions = {}) {
  const queue = new TaskQueue({ redis: realRedisUrl(), name: uniqueName('op'), ...queueOptions });
  queue.on('queue:warning', () => {});
  const server = createOperatorServer({ queue, port: 0, ...serverOptions });
  const { url } = await server.listen();
  const close = async () => {
    await server.close();
    await queue.close();
  };
  return { queue, server, url, close };
}

/** Dead-letters `id`: enqueue, claim (it must be the only waiting task), fail as not retryable. */
export async function deadLetter(queue, id) {
  await queue.enqueue({ id, type: 'job' });
  const [lease] = await queue.claim('short', { max: 1, leaseMs: 10_000, owner: 'test' });
  assert.is(lease?.id, id);
  assert.is(await queue.fail(lease, new Error('boom'), { retryable: false }), 'dead');
}
