// Summarizes a V8 CPU profile (from `node bench/run.mjs --cpu-prof dir`): where the
// process spent its time, by function (self time) and by module (self time summed per file
// or package), with idle time left out of the percentages.
//   node bench/profile-summary.mjs <file.cpuprofile> [--top 25]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });
if (positionals.length !== 1) {
  console.error('usage: node bench/profile-summary.mjs <file.cpuprofile> [--top 25]');
  process.exit(2);
}
const top = Number(values.top);
const profile = JSON.parse(readFileSync(positionals[0], 'utf8'));

// Self time per node: each sample names the node running; timeDeltas are the gaps between samples.
const selfUs = new Map();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));

const byFunction = new Map();
const byModule = new Map();
let idle = 0;
let busy = 0;
for (const [id, us] of selfUs) {
  const { callFrame } = byId.get(id);
  if (callFrame.functionName === '(idle)') {
    idle += us;
    continue;
  }
  busy += us;
  const where = moduleOf(callFrame.url);
  const fn = `${callFrame.functionName || '(anonymous)'}  ${where}${callFrame.url ? `:${callFrame.lineNumber + 1}` : ''}`;
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  byModule.set(where, (byModule.get(where) ?? 0) + us);
}

const total = busy + idle;
console.log(`${positionals[0]}\nsampled ${(total / 1e6).toFixed(2)} s: busy ${(busy / 1e6).toFixed(2)} s (${pct(busy, total)} of wall), idle ${(idle / 1e6).toFixed(2)} s`);
print('self time by module (% of busy)', byModule);
print('self time by function (% of busy)', byFunction);

function print(title, map) {
  console.log(`\n${title}`);
  for (const [name, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`  ${pct(us, busy).padStart(6)}  ${(us / 1000).toFixed(0).padStart(6)} ms  ${name}`);
  }
}

function pct(part, whole) {
  return `${((100 * part) / whole).toFixed(1)}%`;
}

/** `node:internal/...`, a package name, a path below the repo, or the V8 pseudo-frame name. */
function moduleOf(url) {
  if (!url) return '(native/V8)';
  if (url.startsWith('node:')) return url.replace(/^node:internal\/(.*?)(\/[^/]*)?$/, 'node:$1');
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(url);
  if (pkg) return `${pkg[1]}/${pkg[2].replace(/^dist\/(esm|cjs)\//, '')}`;
  return url.replace(/^file:\/\/.*?\/(src|dist|bench|scripts)\//, '$1/');
}
