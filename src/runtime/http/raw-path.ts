/**
 * The path a route is matched on: the request target as sent, up to its query, without
 * removing dot segments. The WHATWG URL parser resolves `/dead/./retry` and `/dead/%2E/retry`
 * to `/dead/retry` (replay every dead letter), and `/tasks/%2E%2E` to `/`: a per-id route
 * would then act on other tasks than the one named. Each id segment is percent-decoded on
 * its own later, so `%2E` reaches the id `.`; the static routes refuse `..` themselves.
 */

/**
 * The path of `target` (a request's `req.url`) as sent. An absolute-form target
 * (`http://host/dead/%2E/retry`, which HTTP/1.1 servers must accept) is routed on its raw
 * path too, and a `//…` target on its raw text (no route matches it): handing either to the
 * URL parser would remove the dot segments again. Only a target with no path at all (`*`)
 * gets `fallback`, the parsed URL's path.
 *
 * @example
 * rawPathname('/dead/%2E/retry?x=1', '/dead/retry') // '/dead/%2E/retry'
 * rawPathname('http://h:1/dead/%2E/retry', '/dead/retry') // '/dead/%2E/retry'
 */
export function rawPathname(target: string, fallback: string): string {
  let path = target;
  const absolute = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(target);
  if (absolute) path = target.slice(absolute[0].length) || '/';
  if (!path.startsWith('/')) return fallback;
  const end = path.search(/[?#]/);
  return end === -1 ? path : path.slice(0, end);
}
