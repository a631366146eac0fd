import { readFile, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCode } from '../../infra/errors.js';
import { HttpProblem } from './respond.js';

/**
 * The dashboard as built: `npm run build` copies src/runtime/http/dashboard next to this module.
 *
 * @example
 * await sendDashboardFile(res, 'index.html', DASHBOARD_DIR);
 */
export const DASHBOARD_DIR = fileURLToPath(new URL('./dashboard/', import.meta.url));

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json; charset=utf-8',
};

/**
 * The dashboard page's policy: its own scripts, styles, images and requests only, no inline
 * script (so injected markup could not run even if some text were ever rendered as HTML), no
 * framing. `data:` images for the empty favicon; uPlot styles its elements through the DOM,
 * which style-src does not restrict.
 */
const DASHBOARD_CSP = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const require = createRequire(import.meta.url);
/**
 * uPlot's browser build, served under /assets so the dashboard needs no CDN: public name →
 * module path resolved from the installed package.
 *
 * @example
 * ASSETS['uplot.js'] // 'uplot/dist/uPlot.iife.min.js', served as GET /assets/uplot.js
 */
export const ASSETS: Readonly<Record<string, string>> = {
  'uplot.js': 'uplot/dist/uPlot.iife.min.js',
  'uplot.css': 'uplot/dist/uPlot.min.css',
};

/**
 * Sends a file of the dashboard directory. `name` is the part after `/dashboard/`, still
 * percent-encoded: only plain names and subfolders are served (no `..`, no dot-files, no
 * backslashes), and the resolved path must still be inside the directory, so a request can
 * never reach another file.
 *
 * @example
 * await sendDashboardFile(res, 'app.js');
 */
export async function sendDashboardFile(res: ServerResponse, name: string, dir = DASHBOARD_DIR): Promise<void> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(name);
  } catch {
    throw notFound(name);
  }
  const segments = decoded.split('/');
  if (segments.some((s) => !/^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(s))) throw notFound(name);
  const root = resolve(dir);
  const path = resolve(join(root, ...segments));
  if (!path.startsWith(root + sep)) throw notFound(name);
  await sendFile(res, path, name);
}

/**
 * Sends one of the bundled {@link ASSETS}.
 *
 * @example
 * await sendAsset(res, 'uplot.js');
 */
export async function sendAsset(res: ServerResponse, name: string): Promise<void> {
  const spec = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
  if (!spec) throw notFound(name);
  let path: string;
  try {
    path = require.resolve(spec);
  } catch {
    throw notFound(name);
  }
  // The asset's own extension decides the type; the request names it by its public alias.
  await sendFile(res, path, name, extname(name));
}

async function sendFile(res: ServerResponse, path: string, shown: string, ext = extname(path)): Promise<void> {
  const info = await stat(path).catch(() => null);
  if (!info?.isFile()) throw notFound(shown);
  const body = await readFile(path);
  const type = TYPES[ext.toLowerCase()] ?? 'application/octet-stream';
  res.writeHead(200, {
    'content-type': type,
    'content-length': body.length,
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
    ...(type.startsWith('text/html') ? { 'content-security-policy': DASHBOARD_CSP } : {}),
  });
  res.end(body);
}

function notFound(name: string): HttpProblem {
  return new HttpProblem(404, ErrorCode.NotFound, `No file \`${name.slice(0, 200)}\``);
}
