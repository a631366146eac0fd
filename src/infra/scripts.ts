import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

type Arg = string | number;

/**
 * Script name → number of KEYS. Each name is a file `lua/<name>.lua`; its header documents it.
 * Commands are registered on the client as `tasklane:<name>` via ioredis `defineCommand`,
 * which sends EVALSHA and falls back to EVAL on NOSCRIPT (e.g. after a Redis restart).
 */
export const SCRIPTS = {
  enqueue: 5,
  claim: 8,
  heartbeat: 1,
  complete: 2,
  fail: 3,
  release: 4,
  requeueExpired: 4,
  releaseOwner: 4,
  cancel: 3,
  retryDead: 4,
  purgeDead: 1,
  retryDeadMany: 4,
  purgeDeadMany: 1,
  stats: 6,
  pause: 1,
  resume: 1,
  refusal: 2,
  forget: 2,
  listTasks: 2,
  apiAcquire: 4,
  apiSettle: 6,
  apiForce: 3,
  apiState: 5,
} as const;

export type ScriptName = keyof typeof SCRIPTS;

const luaDir = new URL('./lua/', import.meta.url);
let sources: Map<ScriptName, string> | undefined;

/** Reads every script once per process, with the shared helpers in front. */
function loadSources(): Map<ScriptName, string> {
  if (sources) return sources;
  const helpers = readFileSync(new URL('includes/helpers.lua', luaDir), 'utf8');
  sources = new Map();
  for (const name of Object.keys(SCRIPTS) as ScriptName[]) {
    const body = readFileSync(new URL(`${name}.lua`, luaDir), 'utf8');
    sources.set(name, `${helpers}\n${body}`);
  }
  return sources;
}

/** The Lua source of one script as sent to Redis (helpers included). */
export function scriptSource(name: ScriptName): string {
  return loadSources().get(name)!;
}

type ScriptCommand = (...args: Arg[]) => Promise<unknown>;
const DEFINED = Symbol.for('tasklane.scriptsDefined');

/**
 * Registers the scripts on a client (once per client) and returns a caller.
 *
 * @example
 * const run = defineScripts(redis);
 * await run('stats', keys, argv);
 */
export function defineScripts(client: Redis): (name: ScriptName, keys: readonly Arg[], argv: readonly Arg[]) => Promise<unknown> {
  const marked = client as Redis & { [DEFINED]?: boolean };
  if (!marked[DEFINED]) {
    for (const name of Object.keys(SCRIPTS) as ScriptName[]) {
      client.defineCommand(commandName(name), { numberOfKeys: SCRIPTS[name], lua: scriptSource(name) });
    }
    sendScriptsAtOnce(client);
    marked[DEFINED] = true;
  }
  const mock = isInProcessMock(client);
  return (name, keys, argv) => {
    if (keys.length !== SCRIPTS[name]) throw new Error(`script ${name} takes ${SCRIPTS[name]} keys, got ${keys.length}`);
    const command = (client as unknown as Record<string, ScriptCommand>)[commandName(name)]!;
    // Every script's last ARGV: the host clock for ioredis-mock, empty for a real server (see helpers.lua nowMs).
    return command.call(client, ...keys, ...argv, mock ? String(Date.now()) : '');
  };
}

/**
 * Keeps tasklane's scripts out of ioredis's auto-pipelining, on any client (also a borrowed
 * one that enables it). An auto-pipeline is held until the one before it on the client has
 * been answered in full, so an enqueue or a claim issued meanwhile waited a whole extra
 * round trip, and more when Redis or the process was slow: at 2,000 single enqueues a
 * second this was most of the enqueue-to-start p99. Sent at once, a script still shares
 * the connection with everything else, and Redis answers in order. Batching is the
 * scripts' own business (enqueueMany, claim's `max`, completeMany).
 */
function sendScriptsAtOnce(client: Redis): void {
  const options = client.options as { autoPipeliningIgnoredCommands?: string[] } | undefined;
  if (!options) return;
  const ours = (Object.keys(SCRIPTS) as ScriptName[]).map(commandName);
  // A new array: ioredis's default one is shared by every client that did not set its own.
  options.autoPipeliningIgnoredCommands = [...new Set([...(options.autoPipeliningIgnoredCommands ?? []), ...ours])];
}

/** ioredis-mock runs in this process; its TIME command is too coarse for leases. */
function isInProcessMock(client: Redis): boolean {
  return /RedisMock/.test(client.constructor?.name ?? '');
}

function commandName(name: ScriptName): string {
  return `tasklane_${name}`;
}
