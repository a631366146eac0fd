// The one HTTP call that case 4's tasks make, identical for every system: a POST of the
// payload as JSON to the local server over an undici keep-alive pool, body read in full.
import { Pool } from 'undici';

/**
 * @param {string} url the local server's endpoint
 * @param {number} connections pool size; the worker's concurrency, so no task waits for a socket
 * @returns {{ call: (payload: unknown) => Promise<unknown>, close: () => Promise<void> }}
 * @example
 * const http = createHttpCall('http://127.0.0.1:4000/work', 100);
 * await http.call({ i: 1 });
 */
export function createHttpCall(url, connections) {
  const { origin, pathname } = new URL(url);
  const pool = new Pool(origin, { connections });
  return {
    async call(payload) {
      const res = await pool.request({
        path: pathname,
        method: 'POST',
        body: JSON.stringify(payload),
        headers: { 'content-type': 'application/json' },
      });
      const body = await res.body.json();
      if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
      return body;
    },
    close: () => pool.close(),
  };
}
