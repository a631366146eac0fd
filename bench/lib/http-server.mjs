// Case 4's stand-in for an external API: answers every request after `delayMs`.
import { createServer } from 'node:http';

/**
 * Starts the server on a free loopback port.
 *
 * @returns {Promise<{ url: string, requests: () => number, close: () => Promise<void> }>}
 * @example
 * const api = await startSlowServer({ delayMs: 5 });
 * // ...point workers at api.url...
 * await api.close();
 */
export async function startSlowServer({ delayMs }) {
  let requests = 0;
  const server = createServer((req, res) => {
    requests += 1;
    req.resume(); // the body is not needed, only consumed
    req.on('end', () => {
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      }, delayMs);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/work`,
    requests: () => requests,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
