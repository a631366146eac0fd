import type { Logger } from '../../actors/types.js';
import { TaskQueue } from '../../infra/task-queue.js';
import type { RuntimeOptions } from '../options.js';
import { resolveOptions, runtimeQueueOptions } from '../options.js';
import { closeQueue } from '../shutdown.js';
import type { Runtime } from '../types.js';
import type { HttpRequest } from '../config.js';
import { createOperatorServer } from './server.js';

/**
 * The supervisor's HTTP server: its own queue connection (on the runtime's Redis or cluster,
 * queue name and storage settings, shards and durability included, since its `stats` reap by them; its own, so an HTTP client
 * cannot stall the runtime's recovery sweeps), bound before the
 * runtime starts, so /readyz can say "starting" instead of refusing the connection.
 * Logs `http listening` with the bound URL, which tests and operators read the port from.
 *
 * @example
 * const http = await serveOperatorHttp({ host: '127.0.0.1', port: 0, token: null, readToken: null, tls: null }, options, runtime, log);
 * runtime.on('runtime:stopped', () => void http.close().then(() => process.exit(0)));
 */
export async function serveOperatorHttp(
  address: HttpRequest,
  options: RuntimeOptions,
  runtime: Runtime,
  log: Logger,
): Promise<{ url: string; close(): Promise<void> }> {
  const resolved = resolveOptions(options);
  const queue = new TaskQueue(runtimeQueueOptions(resolved));
  queue.on('queue:warning', () => {}); // the runtime's own queue reports it already
  const ownsClient = queue.redis !== resolved.redis;
  const server = createOperatorServer({
    queue, runtime, host: address.host, port: address.port, token: address.token, readToken: address.readToken, tls: address.tls, log: log.child({ component: 'http' }),
  });
  let url: string;
  try {
    ({ url } = await server.listen());
  } catch (err) {
    await server.close();
    await closeQueue(queue, { ownsClient });
    throw err;
  }
  log.info({ url, auth: address.token !== null, readToken: address.readToken !== null, tls: address.tls !== null }, 'http listening');
  return {
    url,
    close: async () => {
      await server.close();
      await closeQueue(queue, { ownsClient });
      log.info({ url }, 'http closed');
    },
  };
}
