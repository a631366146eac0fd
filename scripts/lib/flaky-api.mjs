// A local, deliberately unreliable external API for the demo, the chaos run and tests.
// It behaves like a well-made idempotent API: the first successful call for an
// `Idempotency-Key` performs the side effect and stores its response; any later call with
// that key replays the stored response. Failed calls (5xx, 429, 4xx, hangs, resets) have
// no side effect. So `stats().duplicateKeys` must stay 0 and `sideEffects` must equal the
// number of distinct keys that succeeded, however often the engine retries.
// Two API-wide modes model a protected API: `quota: { limit, windowMs }` answers 429 with a
// Retry-After to calls beyond `limit` in any sliding window, and `outage: true` answers 503
// to every call until it is turned off; `stats().timeline` counts calls per second.
import { createServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { checkBehaviour, randomSource, toStep } from './flaky-steps.mjs';

/** Requests kept for `requests()`; older ones are dropped so a long chaos run stays bounded. */
const MAX_LOG = 10_000;

/**
 * Starts the API on 127.0.0.1.
 *
 * @param {{ port?: number, latencyMs?: [number, number], failRate?: number, throttleRate?: number,
 *   throttleRetryAfterS?: number, hangRate?: number, permanentTypes?: string[], seed?: number,
 *   quota?: { limit: number, windowMs: number } | null, outage?: boolean }} [options]
 * @example
 * const api = await startFlakyApi({ failRate: 0.2, seed: 1 });
 * api.script('task-1', ['500', { status: 429, retryAfter: 1 }, 200]);
 * // ...point the http handler at api.url...
 * assert.is(api.stats().duplicateKeys, 0);
 * await api.close();
 */
export async function startFlakyApi(options = {}) {
  const { port = 0, seed, ...behaviour } = options;
  let config = checkBehaviour(behaviour);
  const random = randomSource(seed);
  const startedAt = Date.now();
  const state = freshState();
  /** Per-key tail of the request chain: calls with one key are handled one after another. */
  const tails = new Map();
  /** Responses held open by `hang` steps, ended by close(). */
  const hanging = new Set();

  function nextStep(key, payload) {
    const queued = state.scripts.get(key);
    if (queued?.length) return queued.shift();
    // Scripted keys fall back to plain success, so a test's outcome never depends on the dice.
    if (queued) return { kind: 'respond', status: 200 };
    if (config.permanentTypes.includes(payload?.kind)) return { kind: 'respond', status: 422, body: { error: `permanent failure for kind ${payload.kind}` } };
    const roll = random();
    if (roll < config.hangRate) return { kind: 'hang' };
    if (roll < config.hangRate + config.throttleRate) return { kind: 'respond', status: 429, retryAfter: config.throttleRetryAfterS };
    if (roll < config.hangRate + config.throttleRate + config.failRate) return { kind: 'respond', status: 500, body: { error: 'injected failure' } };
    return { kind: 'respond', status: 200 };
  }

  /** The API-wide answer before any per-key behaviour: the outage's 503, the quota's 429. */
  function apiWide(now) {
    if (config.outage) {
      // Counted on arrival: a call answered during the outage but sent before it is not one.
      state.outageCalls += 1;
      return { status: 503, body: { error: 'outage' } };
    }
    const quota = config.quota;
    if (!quota) return null;
    const log = state.quotaLog;
    while (log.length > 0 && log[0] <= now - quota.windowMs) log.shift();
    if (log.length < quota.limit) {
      log.push(now);
      return null;
    }
    const retryAfter = Math.max(1, Math.ceil((log[0] + quota.windowMs - now) / 1000));
    return { status: 429, body: { error: 'quota exceeded' }, retryAfter };
  }

  async function handleKeyed(req, res, key, payload) {
    const wide = apiWide(Date.now());
    if (wide) {
      count(wide.status);
      tick(wide.status);
      return send(res, wide.status, wide.body, wide.retryAfter === undefined ? {} : { 'retry-after': String(wide.retryAfter) });
    }
    const stored = state.stored.get(key);
    if (stored) {
      state.replays += 1;
      tick(stored.status);
      return send(res, stored.status, stored.body, { 'idempotent-replayed': 'true' });
    }
    const step = nextStep(key, payload);
    if (step.kind === 'hang') {
      count('hang');
      // A client that gave up while queued behind this key must not leave the key locked.
      if (res.destroyed || req.socket.destroyed) return;
      hanging.add(res);
      await new Promise((resolve) => res.once('close', resolve));
      hanging.delete(res);
      return;
    }
    const [min, max] = config.latencyMs;
    const delay = step.delayMs ?? min + random() * (max - min);
    if (delay > 0) await sleep(delay);
    if (step.kind === 'reset') {
      count('reset');
      req.socket.destroy();
      return;
    }
    count(step.status);
    tick(step.status);
    const body = step.body ?? (step.status < 300 ? { ok: true, key, payload } : { error: `status ${step.status}` });
    if (step.status >= 200 && step.status < 300) {
      // The effect happens even if the client has already given up: exactly the case
      // where a retry must be answered from the stored response, not by a second effect.
      const effects = (state.effects.get(key) ?? 0) + 1;
      state.effects.set(key, effects);
      state.sideEffects += 1;
      state.stored.set(key, { status: step.status, body });
    }
    const extra = step.retryAfter === undefined ? {} : { 'retry-after': String(step.retryAfter) };
    send(res, step.status, body, extra);
  }

  /** The per-second timeline: calls answered in each second since start, by status class. */
  function tick(status) {
    const second = Math.floor((Date.now() - startedAt) / 1000);
    const slot = (state.timeline[second] ??= { second, calls: 0, ok: 0, throttled: 0, failed: 0 });
    slot.calls += 1;
    if (status === 429) slot.throttled += 1;
    else if (status >= 500) slot.failed += 1;
    else if (status < 300) slot.ok += 1;
    if (status < 300 && state.outageEndedAt !== null && state.firstOkAfterOutage === null) state.firstOkAfterOutage = Date.now();
  }

  function count(outcome) {
    state.byStatus[outcome] = (state.byStatus[outcome] ?? 0) + 1;
  }

  async function onRequest(req, res) {
    state.calls += 1;
    let text = '';
    for await (const chunk of req) text += chunk;
    const key = req.headers['idempotency-key'];
    let payload;
    try {
      payload = text ? JSON.parse(text) : null;
    } catch {
      count(400);
      return send(res, 400, { error: 'body is not JSON' });
    }
    if (typeof key !== 'string' || key === '') {
      count(400);
      return send(res, 400, { error: 'Idempotency-Key header is required' });
    }
    state.log.push({ key, attempt: Number(req.headers['x-tasklane-attempt']), fence: Number(req.headers['x-tasklane-fence']), headers: req.headers, payload });
    if (state.log.length > MAX_LOG) state.log.splice(0, state.log.length - MAX_LOG);
    // Serialise per key so two concurrent calls with one key can never both perform the effect.
    const previous = tails.get(key) ?? Promise.resolve();
    const mine = previous.then(() => handleKeyed(req, res, key, payload));
    const tail = mine.catch(() => {});
    tails.set(key, tail);
    try {
      await mine;
    } finally {
      if (tails.get(key) === tail) tails.delete(key);
    }
  }

  const server = createServer((req, res) => {
    onRequest(req, res).catch((err) => {
      if (!res.headersSent && !res.destroyed) send(res, 500, { error: `flaky api bug: ${err.message}` });
    });
  });
  // Counts TCP connections, so a test can check that the client reuses keep-alive sockets.
  server.on('connection', () => {
    state.connections += 1;
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actualPort = server.address().port;

  return {
    url: `http://127.0.0.1:${actualPort}`,
    port: actualPort,
    /**
     * Counters since start or the last reset(). `byStatus` also counts `hang` and `reset`;
     * `replays` are calls answered from a stored response; `connections` are TCP connections accepted.
     */
    stats: () => ({
      calls: state.calls,
      byStatus: { ...state.byStatus },
      sideEffects: state.sideEffects,
      duplicateKeys: [...state.effects.values()].filter((n) => n > 1).length,
      keysWithEffect: state.effects.size,
      replays: state.replays,
      connections: state.connections,
      /** Calls per second since start: `{ second, calls, ok, throttled, failed }`, seconds with no call left out. */
      timeline: state.timeline.filter(Boolean).map((slot) => ({ ...slot })),
      /** Calls that arrived while `outage` was on. */
      outageCalls: state.outageCalls,
      /** Ms from the last outage's end to the first 2xx after it; null before one. */
      recoveryMs: state.firstOkAfterOutage === null || state.outageEndedAt === null ? null : state.firstOkAfterOutage - state.outageEndedAt,
    }),
    /** How many times `key`'s side effect ran: 0 or 1 when all is well. */
    sideEffectsFor: (key) => state.effects.get(key) ?? 0,
    /** Queues behaviours for the next calls with `key` (see toStep for the forms); plain 200 after. */
    script: (key, steps) => {
      state.scripts.set(key, [...(state.scripts.get(key) ?? []), ...steps.map(toStep)]);
    },
    /** Received keyed calls, oldest first, optionally for one key: `{ key, attempt, fence, headers, payload }`. */
    requests: (key) => (key === undefined ? [...state.log] : state.log.filter((r) => r.key === key)),
    /** Changes rates, latency or permanentTypes from now on (e.g. start or end an outage). */
    configure: (patch) => {
      const wasDown = config.outage;
      config = checkBehaviour(patch, config);
      if (wasDown && !config.outage) {
        state.outageEndedAt = Date.now();
        state.firstOkAfterOutage = null;
      }
    },
    /** Forgets counters, stored responses, scripts and the request log. */
    reset: () => Object.assign(state, freshState()),
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function freshState() {
  return {
    calls: 0, byStatus: {}, sideEffects: 0, replays: 0, connections: 0, effects: new Map(), stored: new Map(), scripts: new Map(), log: [],
    quotaLog: [], timeline: [], outageCalls: 0, outageEndedAt: null, firstOkAfterOutage: null,
  };
}

function send(res, status, body, headers = {}) {
  if (res.destroyed) return;
  const isText = typeof body === 'string';
  const text = isText ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': isText ? 'text/plain; charset=utf-8' : 'application/json', ...headers });
  res.end(text);
}
