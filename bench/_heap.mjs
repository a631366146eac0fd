import { readFileSync } from 'node:fs';
const p = JSON.parse(readFileSync(process.argv[2], 'utf8'));
// sampling heap profile: head tree with selfSize per node (live at end) -- but --heap-prof records allocations sampled still alive? It records sampled allocations over the run.
const agg = new Map(); let total = 0;
function walk(n, stack) {
  const f = n.callFrame; const key = `${f.functionName || '(anon)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
  const st = [...stack, key];
  if (n.selfSize) { total += n.selfSize; const k = st.slice(-4).join(' < ').replace(/\(root\) :0 < /, ''); agg.set(key, (agg.get(key) ?? 0) + n.selfSize); }
  for (const c of n.children ?? []) walk(c, st);
}
walk(p.head, []);
console.log('total sampled bytes', total);
for (const [k, v] of [...agg].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log((100 * v / total).toFixed(1).padStart(5) + '%', k);
