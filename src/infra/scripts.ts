import { isCluster, type RedisClient } from './connection.js';
import { NotReplicatedError } from './errors.js';
import { assembleScript, type ScriptTarget } from './lua-sources.js';

type Arg = string | number;

/**
 * Script name → number of KEYS. Each name is a file `lua/<name>.lua`; its header documents it
 * and names the includes it needs (`-- includes: base, dead`), which lua-sources.ts puts in front.
 * Commands are registered on the client as `tasklane:<name>` via ioredis `defineCommand`,
 * which sends EVALSHA and falls back to EVAL on NOSCRIPT (e.g. after a Redis restart).
 */
export const SCRIPTS = {
  enqueue: 6,
  claim: 10,
  heartbeat: 2,
  complete: 3,
  fail: 4,
  release: 5,
  requeueExpired: 5,
  releaseOwner: 5,
  reap: 3,
  cancel: 4,
  retryDead: 5,
  purgeDead: 2,
  retryDeadMany: 5,
  purgeDeadMany: 2,
  stats: 7,
  pause: 1,
  resume: 1,
  refusal: 2,
  forget: 2,
  listTasks: 3,
  apiAcquire: 4,
  apiSettle: 6,
  apiForce: 3,
  apiState: 5,
  layout: 11,
} as const;

export type ScriptName = keyof typeof SCRIPTS;

const sources: Record<ScriptTarget, Map<ScriptName, string> | undefined> = { server: undefined, mock: undefined };

/** Assembles every script once per process and target (see lua-sources.ts). */
function loadSources(target: ScriptTarget): Map<ScriptName, string> {
  const known = sources[target];
  if (known) return known;
  const loaded = new Map<ScriptName, string>();
  for (const name of Object.keys(SCRIPTS) as ScriptName[]) loaded.set(name, assembleScript(name, target));
  sources[target] = loaded;
  return loaded;
}

/**
 * The Lua source of one script as sent to Redis (its includes in front), for a real server
 * or for ioredis-mock.
 *
 * @example
 * scriptSource('claim', 'mock').includes('local function reply') // true
 */
export function scriptSource(name: ScriptName, target: ScriptTarget = 'server'): string {
  return loadSources(target).get(name)!;
}

type ScriptCommand = (...args: Arg[]) => Promise<unknown>;
/** Runs one of the scripts: its KEYS, then its ARGV. */
export type RunScript = (name: ScriptName, keys: readonly Arg[], argv: readonly Arg[]) => Promise<unknown>;
const DEFINED = Symbol.for('tasklane.scriptsDefined');

/**
 * Registers the scripts on a client (once per client) and returns a caller.
 *
 * @example
 * const run = defineScripts(redis);
 * await run('stats', keys, argv);
 */
export function defineScripts(client: RedisClient): RunScript {
  const marked = client as RedisClient & { [DEFINED]?: boolean };
  const mock = isInProcessMock(client);
  if (!marked[DEFINED]) {
    for (const name of Object.keys(SCRIPTS) as ScriptName[]) {
      client.defineCommand(commandName(name), { numberOfKeys: SCRIPTS[name], lua: scriptSource(name, mock ? 'mock' : 'server') });
    }
    sendScriptsAtOnce(client);
    marked[DEFINED] = true;
  }
  return (name, keys, argv) => {
    if (keys.length !== SCRIPTS[name]) throw new Error(`script ${name} takes ${SCRIPTS[name]} keys, got ${keys.length}`);
    const command = (client as unknown as Record<string, ScriptCommand>)[commandName(name)]!;
    // Every script's last ARGV: the host clock for ioredis-mock, empty for a real server (see includes/base.mock.lua nowMs).
    return command.call(client, ...keys, ...argv, mock ? String(Date.now()) : '');
  };
}

/**
 * Like {@link defineScripts}' caller, for durability 'replicated': each script goes out in one
 * pipeline with `WAIT 1 <timeoutMs>` behind it, so both use the connection that wrote (on a
 * cluster, the one to the master of the script's slot), and WAIT counts the replicas that have
 * everything that connection wrote. None in time: NotReplicatedError, though the write stands.
 * Scripts in `readOnly` are sent as they are.
 *
 * @example
 * const run = defineReplicatedScripts(redis, 1000, new Set(['listTasks']));
 */
export function defineReplicatedScripts(client: RedisClient, timeoutMs: number, readOnly: ReadonlySet<ScriptName>): RunScript {
  const run = defineScripts(client);
  return async (name, keys, argv) => {
    if (readOnly.has(name)) return run(name, keys, argv);
    if (keys.length !== SCRIPTS[name]) throw new Error(`script ${name} takes ${SCRIPTS[name]} keys, got ${keys.length}`);
    let results: [Error | null, unknown][];
    const deadline = Date.now() + REDIRECT_BUDGET_MS;
    for (let redirections = 0; ; redirections += 1) {
      const pipeline = client.pipeline();
      (pipeline as unknown as Record<string, (...args: Arg[]) => unknown>)[commandName(name)]!(...keys, ...argv, '');
      pipeline.wait(1, timeoutMs);
      results = (await pipeline.exec()) ?? [];
      const redirected = clusterRedirect(client, results[0]?.[0], redirections);
      if (!redirected || Date.now() >= deadline) break;
      await redirected;
    }
    const [scriptError, reply] = results[0] ?? [new Error(`no reply to ${name}`), null];
    if (scriptError) throw scriptError;
    const [waitError, replicas] = results[1] ?? [new Error('no reply to WAIT'), null];
    if (waitError) throw waitError;
    if (Number(replicas) < 1) throw new NotReplicatedError(name, timeoutMs);
    return reply;
  };
}

/**
 * How long a replicated script is sent again after cluster redirections (see clusterRedirect):
 * as long as the Cluster client itself rides out TRYAGAIN while a slot migrates (connection.ts).
 */
const REDIRECT_BUDGET_MS = 30_000;
/** Pause before resending after ASK, TRYAGAIN or CLUSTERDOWN: a slot moving, or a failover. */
const REDIRECT_DELAY_MS = 100;

/**
 * When a replicated script's reply is a cluster redirection (the script did not run): a
 * promise that settles once it is worth sending again. MOVED refreshes the slot map first,
 * and waits too when it comes again (nodes that still name a dead master). ioredis follows
 * redirections of a pipeline only when every command that succeeded is read-only, and WAIT
 * (which runs on whichever node got the pipeline) is not, so a MOVED during a failover or a
 * reshard would otherwise reach the caller. Null for anything else.
 */
function clusterRedirect(client: RedisClient, error: Error | null | undefined, redirections: number): Promise<void> | null {
  if (!error || !isCluster(client)) return null;
  const kind = /^(MOVED|ASK|TRYAGAIN|CLUSTERDOWN) /.exec(error.message)?.[1];
  if (!kind) return null;
  const pause = () => new Promise<void>((resolve) => setTimeout(resolve, REDIRECT_DELAY_MS));
  if (kind !== 'MOVED') return pause();
  return new Promise<void>((resolve) => client.refreshSlotsCache(() => resolve())).then(() => (redirections > 0 ? pause() : undefined));
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
function sendScriptsAtOnce(client: RedisClient): void {
  const options = client.options as { autoPipeliningIgnoredCommands?: string[] } | undefined;
  if (!options) return;
  const ours = (Object.keys(SCRIPTS) as ScriptName[]).map(commandName);
  // A new array: ioredis's default one is shared by every client that did not set its own.
  options.autoPipeliningIgnoredCommands = [...new Set([...(options.autoPipeliningIgnoredCommands ?? []), ...ours])];
}

/**
 * ioredis-mock runs in this process: its TIME command is too coarse for leases, and its Lua
 * (fengari) needs the workarounds of includes/base.mock.lua.
 */
function isInProcessMock(client: RedisClient): boolean {
  return /RedisMock/.test(client.constructor?.name ?? '');
}

function commandName(name: ScriptName): string {
  return `tasklane_${name}`;
}
