// The supervisor program with --http: flags, the bound URL in the log, and metrics that
// move as real worker processes run tasks (aggregated by the supervisor over IPC).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startFlakyApi } from '../../scripts/lib/flaky-api.mjs';
import { parseCli } from '../../dist/runtime/config.js';
import { realRedisUrl, uniqueName } from '../helpers/backends.mjs';
import { parseExposition, sampleValue } from '../helpers/prometheus.mjs';
import { eventually, killAll, startSupervisor } from '../helpers/supervisor.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HANDLERS = fileURLToPath(new URL('../fixtures/handlers-basic.mjs', import.meta.url));

const cli = suite('supervisor --http flags');
cli.after.each(killAll);

cli('parseCli: --http takes PORT, HOST:PORT or [IPv6]:PORT; the runtime options are unaffected', () => {
  const plain = { readToken: null, tls: null };
  assert.equal(parseCli(['--http', '9464'], {}), { help: false, options: {}, http: { host: '127.0.0.1', port: 9464, token: null, ...plain } });
  assert.equal(parseCli([], { TASKLANE_HTTP: '[::1]:0' }).http, { host: '::1', port: 0, token: null, ...plain });
  assert.equal(parseCli(['--http', '0.0.0.0:80', '--http-token', 'abc'], {}).http, { host: '0.0.0.0', port: 80, token: 'abc', ...plain });
  assert.equal(parseCli(['--http', 'localhost:1'], { TASKLANE_HTTP_TOKEN: 't' }).http, { host: 'localhost', port: 1, token: 't', ...plain });
  assert.is(parseCli([], {}).http, null);
  for (const bad of ['70000', 'host:', ':80', 'a b:1', '[zz]:1', '1.2.3.4']) {
    assert.throws(() => parseCli(['--http', bad], {}), (err) => err.option === '--http' && /PORT or HOST:PORT/.test(err.message), bad);
  }
  assert.throws(() => parseCli(['--http', '9464', '--http-token', 'has space'], {}), (err) => err.option === '--http-token' && !err.message.includes('has space'));
});

cli('beyond loopback without a token the supervisor exits 2 naming --http-token and TASKLANE_HTTP_TOKEN', async () => {
  const sup = startSupervisor(['--http', '0.0.0.0:0', '--redis', realRedisUrl(), '--short', '0', '--long', '0']);
  const { code } = await sup.exited;
  assert.is(code, 2);
  assert.match(sup.stderr, /--http-token/);
  assert.match(sup.stderr, /TASKLANE_HTTP_TOKEN/);
  assert.not.match(sup.stdout, /http listening/);
});

cli('--http-token without --http is refused naming both flags; TASKLANE_HTTP_TOKEN alone is ignored', async () => {
  assert.throws(() => parseCli(['--http-token', 'abc'], {}), (err) => err.option === '--http-token' && /--http-token needs --http/.test(err.message) && !err.message.includes('abc'));
  assert.is(parseCli([], { TASKLANE_HTTP_TOKEN: 'abc' }).http, null);
  const sup = startSupervisor(['--http-token', 'abc', '--redis', realRedisUrl(), '--short', '0', '--long', '0'], { env: {} });
  assert.is((await sup.exited).code, 2);
  assert.match(sup.stderr, /--http-token needs --http/);
});

cli('--http-read-token: with --http-token it is passed on; without it, or equal to it, the supervisor exits 2', async () => {
  assert.equal(parseCli(['--http', '0.0.0.0:0', '--http-token', 'full', '--http-read-token', 'watch'], {}).http, { host: '0.0.0.0', port: 0, token: 'full', readToken: 'watch', tls: null });
  assert.is(parseCli(['--http', '0'], { TASKLANE_HTTP_TOKEN: 'full', TASKLANE_HTTP_READ_TOKEN: 'watch' }).http.readToken, 'watch');
  assert.throws(() => parseCli(['--http', '0', '--http-token', 'same', '--http-read-token', 'same'], {}), (err) => err.option === '--http-read-token' && /differ/.test(err.message) && !err.message.includes('same'));
  assert.throws(() => parseCli(['--http', '0', '--http-token', 'full', '--http-read-token', 'has space'], {}), (err) => err.option === '--http-read-token' && /printable ASCII/.test(err.message));
  assert.throws(() => parseCli(['--http-read-token', 'watch'], {}), (err) => err.option === '--http-read-token' && /needs --http/.test(err.message));
  for (const [args, env] of [[['--http', '127.0.0.1:0', '--http-read-token', 'watch'], {}], [['--http', '0.0.0.0:0'], { TASKLANE_HTTP_READ_TOKEN: 'watch' }]]) {
    const sup = startSupervisor([...args, '--redis', realRedisUrl(), '--short', '0', '--long', '0'], { env });
    assert.is((await sup.exited).code, 2, args.join(' '));
    assert.match(sup.stderr, /--http-token/);
    assert.not.match(sup.stdout, /http listening/);
  }
  const sup = startSupervisor(['--http', '127.0.0.1:0', '--http-read-token', 'watch', '--redis', realRedisUrl(), '--short', '0', '--long', '0'], { env: {} });
  await sup.exited;
  assert.match(sup.stderr, /--http-read-token \(TASKLANE_HTTP_READ_TOKEN\) needs --http-token \(TASKLANE_HTTP_TOKEN\)/);
});

cli('the supervisor loads the HTTP server (and prom-client) only with --http', () => {
  const loads = (imports) => execFileSync(process.execPath, ['--input-type=module', '-e', `
    import { createRequire } from 'node:module';
    ${imports}
    const cache = Object.keys(createRequire(import.meta.url).cache);
    process.stdout.write(String(cache.some((path) => path.includes('prom-client'))));
  `], { cwd: ROOT, encoding: 'utf8' });
  assert.is(loads("await import('./dist/runtime/main.js');"), 'false', 'main.js loaded prom-client without --http');
  assert.is(loads("await import('./dist/runtime/main.js'); await import('./dist/runtime/http/serve.js');"), 'true', 'the probe sees prom-client once loaded');
});

cli('an invalid --http exits 2 naming the flag and what it accepts', async () => {
  const sup = startSupervisor(['--http', 'nine'], { env: {} });
  assert.is((await sup.exited).code, 2);
  assert.match(sup.stderr, /`--http` \(TASKLANE_HTTP\) to be PORT or HOST:PORT/);
});

cli.run();

const live = suite('supervisor --http with worker processes');
live.after.each(killAll);

live('serves on the logged URL; metrics count the workers\' tasks, API calls and restarts; closes on SIGTERM', async () => {
  const api = await startFlakyApi();
  const queue = uniqueName('sup-http');
  const sup = startSupervisor(['--http', '0', '--redis', realRedisUrl(), '--queue', queue, '--short', '1', '--long', '0',
    '--handlers', HANDLERS, '--api-url', `${api.url}/tasks`, '--drain-timeout', '2s', '--unknown-type-grace', '0']);
  try {
    const line = await sup.waitForLog((l) => l.msg === 'http listening', 20_000, 'http listening');
    assert.match(line.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(!line.url.endsWith(':0'), 'the real port is logged');
    const url = line.url;
    await eventually(async () => (await fetch(`${url}/readyz`)).status === 200, { what: '/readyz 200' });

    api.script('sh-ok', [200]);
    api.script('sh-retry', ['500', '500', '500', 200]);
    const post = await fetch(`${url}/tasks`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ id: 'e1', type: 'echo' }, { id: 'e2', type: 'echo' }, { id: 'sh-ok', type: 'http' }, { id: 'sh-retry', type: 'http' }, { id: 'u1', type: 'unknown' }]),
    });
    assert.is(post.status, 201);
    const scrape = async () => parseExposition(await (await fetch(`${url}/metrics`)).text());
    const m = await eventually(async () => {
      const parsed = await scrape();
      const ok = sampleValue(parsed, 'tasklane_tasks_completed_total', { type: 'http' }) === 2 && sampleValue(parsed, 'tasklane_tasks_completed_total', { type: 'echo' }) === 2
        && sampleValue(parsed, 'tasklane_external_api_calls_total', { class: '2xx' }) === 2;
      return ok && parsed;
    }, { what: 'the tasks to show in /metrics' });
    assert.is(sampleValue(m, 'tasklane_tasks_enqueued_total', { type: 'echo' }), 2);
    assert.is(sampleValue(m, 'tasklane_tasks_retried_total', { type: 'http' }), 1);
    assert.is(sampleValue(m, 'tasklane_tasks_dead_total', { type: 'unknown' }), 1);
    assert.is(sampleValue(m, 'tasklane_external_api_calls_total', { class: '5xx' }), 3);
    assert.is(sampleValue(m, 'tasklane_task_duration_seconds_count', { type: 'echo' }), 2);
    // One wait per claim: five first attempts and sh-retry's second.
    assert.is(sampleValue(m, 'tasklane_task_wait_seconds_count', { lane: 'short' }), 6);
    assert.is(sampleValue(m, 'tasklane_worker_restarts_total', { worker: 'w0' }), 0);
    assert.is(sampleValue(m, 'tasklane_workers', { ready: 'true' }), 1);

    const overview = await (await fetch(`${url}/overview`)).json();
    assert.is(overview.queue, queue);
    assert.is(overview.runtime.workers.length, 1);
    assert.is(overview.throughput.reduce((sum, p) => sum + p.completed, 0), 4);
    assert.ok(overview.latency.durationP50Ms !== null);

    // A killed worker is restarted; the restart is counted and API calls stay monotonic.
    const [pid] = sup.liveWorkerPids();
    process.kill(pid, 'SIGKILL');
    const after = await eventually(async () => {
      const parsed = await scrape();
      return sampleValue(parsed, 'tasklane_worker_restarts_total', { worker: 'w0' }) === 1 && sampleValue(parsed, 'tasklane_workers', { ready: 'true' }) === 1 && parsed;
    }, { what: 'the restart in /metrics' });
    assert.is(sampleValue(after, 'tasklane_external_api_calls_total', { class: '2xx' }), 2);
    assert.is(sampleValue(after, 'tasklane_external_api_calls_total', { class: '5xx' }), 3);

    const { code } = await sup.stop('SIGTERM');
    assert.is(code, 0);
    assert.ok(sup.logs.some((l) => l.msg === 'http closed'), 'the server was closed before exit');
    await fetch(`${url}/healthz`).then(() => assert.unreachable('still listening'), () => {});
  } finally {
    await sup.stop('SIGKILL');
    await api.close();
  }
});

live('TASKLANE_HTTP and TASKLANE_HTTP_TOKEN: mutations need the token', async () => {
  const sup = startSupervisor(['--redis', realRedisUrl(), '--queue', uniqueName('sup-tok'), '--short', '0', '--long', '0'], {
    env: { TASKLANE_HTTP: '127.0.0.1:0', TASKLANE_HTTP_TOKEN: 'tok-123' },
  });
  try {
    const { url, auth } = await sup.waitForLog((l) => l.msg === 'http listening', 20_000, 'http listening');
    assert.is(auth, true);
    const body = JSON.stringify({ id: 'x' });
    const headers = { 'content-type': 'application/json' };
    let res = await fetch(`${url}/tasks`, { method: 'POST', headers, body });
    assert.is(res.status, 401);
    assert.is((await res.json()).error.code, 'TASKLANE_ERR_UNAUTHORIZED');
    res = await fetch(`${url}/tasks`, { method: 'POST', headers: { ...headers, authorization: 'Bearer tok-123' }, body });
    assert.is(res.status, 201);
    res = await fetch(`${url}/tasks/x`);
    assert.is((await res.json()).state, 'waiting');
    assert.is((await sup.stop('SIGTERM')).code, 0);
  } finally {
    await sup.stop('SIGKILL');
  }
});

live.run();
