// Counts the calls of one client method, and the most that were in flight at once.

/**
 * Wraps `client[method]` so that calls whose first argument starts with `prefix` are counted;
 * returns the live counts.
 * @param {any} client an ioredis client
 * @param {string} method
 * @param {string} [prefix] only keys starting with this count ('' for all)
 * @returns {{ calls: number, most: number }}
 */
export function trackInFlight(client, method, prefix = '') {
  const original = client[method].bind(client);
  const stats = { calls: 0, most: 0 };
  let inFlight = 0;
  client[method] = async (...args) => {
    if (!String(args[0]).startsWith(prefix)) return original(...args);
    stats.calls += 1;
    inFlight += 1;
    stats.most = Math.max(stats.most, inFlight);
    try {
      return await original(...args);
    } finally {
      inFlight -= 1;
    }
  };
  return stats;
}
