/**
 * The path a route is matched on: the request target as sent, up to its query, without
 * removing dot segments. The WHATWG URL parser resolves `/dead/./retry` and `/dead/%2E/retry`
 * to `/dead/retry` (replay every dead letter), and `/tasks/%2E%2E` to `/`: a per-id route
 * would then act on other tasks than the one named. Each id segment is percent-decoded on
 * its own later, so `%2E` reaches the id `.`; the static routes refuse `..` themselves.
 */

/**
 * The path of `target` (a request's `req.url`) as sent, or `fallback` (the parsed URL's path)
 * for targets that are not origin-form (`http://host/path`, `*`).
 *
 * @example
 * rawPathname('/dead/%2E/retry?x=1', '/dead/retry') // '/dead/%2E/retry'
 */
export function rawPathname(target: string, fallback: string): string {
  if (!target.startsWith('/') || target.startsWith('//')) return fallback;
  const end = target.search(/[?#]/);
  return end === -1 ? target : target.slice(0, end);
}
