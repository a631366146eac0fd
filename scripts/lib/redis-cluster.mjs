// Starts a private Redis Cluster from plain redis-server processes on loopback ports, each
// node in its own throwaway directory. The tests, chaos runs and benchmarks of the sharded
// queues use it; like redis-server.mjs it only ever talks to processes it started, by port
// and pid, never to 127.0.0.1:6379.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startRedisServer } from './redis-server.mjs';

const HOST = '127.0.0.1';
const SLOTS = 16384;
/** Redis listens for its cluster bus on the client port plus this offset. */
const BUS_OFFSET = 10_000;
/** Short, so that a failover after a SIGKILL takes seconds, not the default 15 s timeout. */
const NODE_TIMEOUT_MS = 2000;
const START_TIMEOUT_MS = 60_000;
const PORT_ATTEMPTS = 8;
const POLL_MS = 100;

/**
 * Throws with install instructions unless `redis-cli` (which creates and reshards the
 * cluster) is on PATH.
 */
export function assertRedisCliInstalled() {
  const probe = spawnSync('redis-cli', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error('redis-cli is not on PATH. Install it with `apt-get install redis-tools` (Debian/Ubuntu, as root) or `brew install redis` (macOS).');
  }
}

/**
 * Starts `masters` masters with `replicas` replicas each and resolves once every node
 * reports cluster_state:ok with all 16384 slots assigned and every replica's link is up.
 * Fewer than 3 masters (which redis-cli --cluster create refuses) take no replicas: their
 * slots are assigned with CLUSTER ADDSLOTSRANGE and the nodes introduced with CLUSTER MEET.
 * `detached` starts the nodes in their own process group (a terminal's Ctrl-C spares them).
 *
 * `nodes` is the layout at start (a failover changes roles: ask `masters()`); `pid` follows
 * `restartNode`. `spec` is `host:port,...` of every node, as a --redis-cluster flag takes it.
 * Node arguments are ports; `reshard` also takes node ids.
 *
 * @param {{ masters?: number, replicas?: number, appendonly?: boolean, detached?: boolean, extraArgs?: string[] }} [options]
 * @example
 * const cluster = await startRedisCluster({ masters: 3, replicas: 1 });
 * const client = new Cluster(cluster.startupNodes);
 * await cluster.killNode(cluster.nodes[0].port);
 * await cluster.waitForFailover(cluster.nodes[0].port);
 * await cluster.stop();
 */
export async function startRedisCluster({ masters = 3, replicas = 0, appendonly = false, detached = false, extraArgs = [] } = {}) {
  if (!Number.isInteger(masters) || masters < 1) throw new Error(`Expected \`masters\` to be an integer from 1 and up, got \`${masters}\``);
  if (!Number.isInteger(replicas) || replicas < 0) throw new Error(`Expected \`replicas\` to be an integer from 0 and up, got \`${replicas}\``);
  if (masters < 3 && replicas > 0) throw new Error(`Expected \`replicas\` to be 0 with fewer than 3 masters (redis-cli --cluster create needs 3), got \`${replicas}\``);
  assertRedisCliInstalled();
  const deadline = Date.now() + START_TIMEOUT_MS;
  const nodeArgs = ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf',
    '--cluster-node-timeout', String(NODE_TIMEOUT_MS), '--cluster-allow-replica-migration', 'no',
    '--protected-mode', 'no',
    // Redis 7 waits 5 s for more replicas before a diskless full sync; these start together.
    '--repl-diskless-sync-delay', '0',
    // A node learns its own address from CLUSTER MEET; one met by nobody would announce an empty host.
    ...(masters < 3 ? ['--cluster-announce-ip', HOST] : []), ...extraArgs];
  /** port -> { port, dir, server, id, role } */
  const members = new Map();
  const killed = new Set();
  let stopped = false;

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await Promise.all([...members.values()].map(async (member) => {
      await member.server?.stop();
      rmSync(member.dir, { recursive: true, force: true });
    }));
  };

  const launch = (port, dir) => startRedisServer({ port, dir, appendonly, detached, extraArgs: nodeArgs });

  try {
    const count = masters * (1 + replicas);
    // One at a time: a port taken between the probe and redis-server's bind is retried.
    for (let i = 0; i < count; i += 1) {
      const member = await startNodeOnFreePorts(launch, members, deadline);
      members.set(member.port, member);
    }
    const ports = [...members.keys()];
    if (masters < 3) {
      await assignSlots(ports);
    } else {
      await createWithRedisCli(ports, replicas, deadline);
    }
    await waitForHealthy(ports, deadline, `cluster create on ports ${ports.join(',')}`, masters * replicas);
    for (const member of members.values()) {
      const myself = (await clusterNodes(member.port)).find((n) => n.myself);
      member.id = myself.id;
      member.role = myself.master ? 'master' : 'replica';
    }
    if (replicas > 0) await waitForReplicaLinks(members, deadline);
  } catch (err) {
    await stop();
    throw err;
  }

  const nodes = [...members.values()].map((m) => ({ port: m.port, pid: m.server.process.pid, dir: m.dir, role: m.role, id: m.id }));
  const live = () => [...members.keys()].filter((p) => !killed.has(p));
  const memberOf = (node) => {
    const member = typeof node === 'string' ? [...members.values()].find((m) => m.id === node) : members.get(node);
    if (!member) throw new Error(`no node of this cluster has port or id ${node} (ports: ${[...members.keys()].join(', ')})`);
    return member;
  };
  const idOf = (node) => memberOf(node).id;

  /** Current masters as some reachable node sees them, with their slot ranges. */
  const currentMasters = async () => {
    const view = await firstView(live());
    return view.filter((n) => n.master && !n.failed).map(({ id, port, slots }) => ({ id, port, slots }));
  };

  return {
    nodes,
    startupNodes: nodes.map(({ port }) => ({ host: HOST, port })),
    spec: nodes.map(({ port }) => `${HOST}:${port}`).join(','),
    masters: currentMasters,
    /** Signals one node (SIGKILL by default: a crash) and waits for its exit. */
    async killNode(port, signal = 'SIGKILL') {
      const member = memberOf(port);
      killed.add(port);
      await member.server.stop({ signal });
    },
    /** Starts a killed node again on its port and directory; its nodes.conf makes it rejoin. */
    async restartNode(port) {
      const member = memberOf(port);
      if (!killed.has(port)) throw new Error(`node ${port} is running; kill it before restarting it`);
      member.server = await launch(port, member.dir);
      killed.delete(port);
      nodes.find((n) => n.port === port).pid = member.server.process.pid;
      await waitForHealthy(live(), Date.now() + START_TIMEOUT_MS, `node ${port} rejoining`);
    },
    /** Resolves once another node serves the dead master's slots and every live node is ok. */
    async waitForFailover(deadPort, timeoutMs = 30_000) {
      const deadId = idOf(deadPort);
      const until = Date.now() + timeoutMs;
      let last = 'no node answered';
      while (Date.now() < until) {
        const ports = live();
        const views = await Promise.all(ports.map((p) => clusterNodes(p).catch(() => null)));
        const infos = await Promise.all(ports.map((p) => clusterInfo(p).catch(() => null)));
        const allOk = infos.every((info) => info?.cluster_state === 'ok');
        const takenOver = views.every((view) => view && !view.some((n) => n.id === deadId && n.slots.length > 0)
          && view.filter((n) => n.master && n.slots.length > 0).every((n) => !n.failed));
        if (allOk && takenOver) return;
        last = `cluster_state per node: ${ports.map((p, i) => `${p}=${infos[i]?.cluster_state ?? 'unreachable'}`).join(' ')}; dead master's slots moved: ${takenOver}`;
        await sleep(POLL_MS * 2);
      }
      throw new Error(`no failover of node ${deadPort} within ${timeoutMs} ms (${last})`);
    },
    /**
     * Moves `slots` slots (redis-cli takes the source's lowest first) from master `from` to
     * master `to` (ports or node ids), keys included, and waits until every node agrees.
     */
    async reshard({ from, to, slots }) {
      const result = await redisCli(['--cluster', 'reshard', `${HOST}:${memberOf(to).port}`, '--cluster-from', idOf(from),
        '--cluster-to', idOf(to), '--cluster-slots', String(slots), '--cluster-yes'], 120_000);
      if (result.code !== 0 || /\[ERR\]|\*\*\*/.test(result.output)) {
        throw new Error(`redis-cli --cluster reshard from ${from} to ${to} failed (exit ${result.code}):\n${result.output}`);
      }
      await waitForHealthy(live(), Date.now() + 30_000, `reshard from ${from} to ${to}`);
    },
    /** The master that owns `slot`, as a reachable node sees it: { id, port }. */
    async slotOwner(slot) {
      const owner = (await currentMasters()).find((m) => m.slots.some(([lo, hi]) => slot >= lo && slot <= hi));
      if (!owner) throw new Error(`no master owns slot ${slot}`);
      return { id: owner.id, port: owner.port };
    },
    stop,
  };
}

async function createWithRedisCli(ports, replicas, deadline) {
  const create = await redisCli(['--cluster', 'create', ...ports.map((p) => `${HOST}:${p}`),
    '--cluster-replicas', String(replicas), '--cluster-yes'], Math.max(5000, deadline - Date.now()));
  if (create.code !== 0 || !/\[OK\] All 16384 slots covered/.test(create.output)) {
    throw new Error(`redis-cli --cluster create failed (exit ${create.code}):\n${create.output}`);
  }
}

/** Masters only: an equal slot range each (ADDSLOTSRANGE, Redis 7), then every node meets the first. */
async function assignSlots(ports) {
  const run = async (port, args) => {
    const result = await redisCli(['-h', HOST, '-p', String(port), ...args], 5000);
    if (result.code !== 0 || result.output.trim() !== 'OK') throw new Error(`${args.join(' ')} on ${port} failed: ${result.output.trim()}`);
  };
  for (const [i, port] of ports.entries()) {
    const lo = Math.floor((SLOTS * i) / ports.length);
    const hi = Math.floor((SLOTS * (i + 1)) / ports.length) - 1;
    await run(port, ['CLUSTER', 'ADDSLOTSRANGE', String(lo), String(hi)]);
    if (i > 0) await run(port, ['CLUSTER', 'MEET', HOST, String(ports[0])]);
  }
}

async function startNodeOnFreePorts(launch, members, deadline) {
  let lastError;
  for (let attempt = 0; attempt < PORT_ATTEMPTS && Date.now() < deadline; attempt += 1) {
    const port = await freeClusterPort(members);
    const dir = mkdtempSync(join(tmpdir(), 'tasklane-cluster-node-'));
    try {
      const server = await launch(port, dir);
      // The client port listens before the bus port is bound; a taken bus port makes
      // redis-server exit just after, so it must answer a PING to count as started.
      if ((await redisCli(['-h', HOST, '-p', String(port), 'PING'], 5000)).output.trim() === 'PONG') {
        return { port, dir, server, id: undefined, role: undefined };
      }
      await server.stop({ signal: 'SIGKILL' });
      lastError = new Error(`redis-server on port ${port} did not answer PING (bus port ${port + BUS_OFFSET} taken?)`);
    } catch (err) {
      lastError = err;
    }
    rmSync(dir, { recursive: true, force: true });
  }
  throw new Error(`could not start a cluster node on free ports after ${PORT_ATTEMPTS} attempts: ${lastError?.message}`);
}

/** A port free on loopback whose bus port (port + 10000) is free too, unused by `members`. */
async function freeClusterPort(members) {
  for (;;) {
    const port = await freePort();
    if (port + BUS_OFFSET > 65535 || members.has(port) || members.has(port + BUS_OFFSET) || members.has(port - BUS_OFFSET)) continue;
    if (await canListen(port + BUS_OFFSET)) return port;
  }
}

function canListen(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, HOST, () => server.close(() => resolve(true)));
  });
}

/**
 * Waits until every node in `ports` is ok, sees all slots assigned, knows all nodes and
 * agrees on the slot map (and, given `replicaCount`, sees that many replicas: redis-cli
 * create assigns them only after the slots).
 */
async function waitForHealthy(ports, deadline, what, replicaCount) {
  let last = '';
  while (Date.now() < deadline) {
    const infos = await Promise.all(ports.map((p) => clusterInfo(p).catch((err) => ({ error: err.message }))));
    const views = await Promise.all(ports.map((p) => clusterNodes(p).catch(() => null)));
    const problems = infos.flatMap((info, i) => {
      if (info.error) return [`${ports[i]}: ${info.error}`];
      if (info.cluster_state !== 'ok') return [`${ports[i]}: cluster_state:${info.cluster_state}`];
      if (Number(info.cluster_slots_assigned) !== SLOTS) return [`${ports[i]}: ${info.cluster_slots_assigned} slots assigned`];
      if (Number(info.cluster_known_nodes) < ports.length) return [`${ports[i]}: knows ${info.cluster_known_nodes} nodes`];
      const seen = views[i]?.filter((n) => !n.master).length;
      if (replicaCount !== undefined && seen !== replicaCount) return [`${ports[i]}: sees ${seen} of ${replicaCount} replicas`];
      return [];
    });
    const maps = views.map((view) => view && slotMap(view));
    if (problems.length === 0 && maps.every((m) => m !== null && m === maps[0])) return;
    last = problems.length ? problems.join('; ') : 'nodes disagree on slot ownership';
    await sleep(POLL_MS);
  }
  throw new Error(`cluster not healthy in time after ${what}: ${last}`);
}

async function waitForReplicaLinks(members, deadline) {
  const replicas = [...members.values()].filter((m) => m.role === 'replica');
  let last = '';
  while (Date.now() < deadline) {
    const states = await Promise.all(replicas.map(async (m) => {
      const info = await redisCli(['-h', HOST, '-p', String(m.port), 'INFO', 'replication'], 5000);
      return /master_link_status:up/.test(info.output);
    }));
    if (states.every(Boolean)) return;
    last = replicas.filter((_, i) => !states[i]).map((m) => m.port).join(', ');
    await sleep(POLL_MS);
  }
  throw new Error(`replica links not up in time (replicas on ports ${last})`);
}

/** A canonical "id:ranges" string of the masters that own slots, to compare node views. */
function slotMap(view) {
  return view.filter((n) => n.slots.length > 0).map((n) => `${n.id}:${n.slots.map((r) => r.join('-')).join(',')}`).sort().join(' ');
}

async function firstView(ports) {
  for (const port of ports) {
    try {
      return await clusterNodes(port);
    } catch {
      // try the next live node
    }
  }
  throw new Error(`no cluster node answered CLUSTER NODES (ports ${ports.join(', ')})`);
}

async function clusterInfo(port) {
  const result = await redisCli(['-h', HOST, '-p', String(port), 'CLUSTER', 'INFO'], 5000);
  if (result.code !== 0 || !result.output.includes('cluster_state:')) throw new Error(`CLUSTER INFO failed: ${result.output.trim()}`);
  return Object.fromEntries(result.output.split(/\r?\n/).filter((l) => l.includes(':')).map((l) => l.trim().split(':')));
}

/**
 * CLUSTER NODES parsed: { id, port, master, failed, myself, slots: [[lo, hi], ...] }.
 * Lines look like `<id> <ip:port@bus> <flags> <master> <ping> <pong> <epoch> <link> <slot>...`;
 * `[slot->-id]` entries mark migrations and are left out.
 */
async function clusterNodes(port) {
  const result = await redisCli(['-h', HOST, '-p', String(port), 'CLUSTER', 'NODES'], 5000);
  if (result.code !== 0 || !/myself/.test(result.output)) throw new Error(`CLUSTER NODES on ${port} failed: ${result.output.trim()}`);
  return result.output.split('\n').filter((l) => l.trim()).map((line) => {
    const [id, address, flags, , , , , , ...slots] = line.trim().split(' ');
    const flagList = flags.split(',');
    return {
      id,
      port: Number(address.split('@')[0].split(':').pop()),
      master: flagList.includes('master'),
      failed: flagList.includes('fail') || flagList.includes('fail?'),
      myself: flagList.includes('myself'),
      slots: slots.filter((s) => !s.startsWith('[')).map((s) => {
        const [lo, hi = lo] = s.split('-').map(Number);
        return [lo, hi];
      }),
    };
  });
}

/** Runs redis-cli (always with explicit ports) and resolves with its exit code and output. */
function redisCli(args, timeoutMs) {
  return new Promise((resolve) => {
    execFile('redis-cli', args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      const output = `${stdout}${stderr}${err && err.killed ? `\n(redis-cli killed after ${timeoutMs} ms)` : ''}`;
      // --cluster prints its [ERR] lines in colour even into a pipe; errors quote them plain.
      resolve({ code, output: output.replace(/\x1b\[[0-9;]*m/g, '') });
    });
  });
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
