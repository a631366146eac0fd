import { readFileSync } from 'node:fs';
const [file, top = '40'] = process.argv.slice(2);
const p = JSON.parse(readFileSync(file, 'utf8'));
const self = new Map();
p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const incl = new Map();
let busy = 0;
function walk(id, ancestors) {
  const n = byId.get(id);
  const f = n.callFrame;
  const key = `${f.functionName || '(anon)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
  const s = self.get(id) ?? 0;
  if (f.functionName !== '(idle)') busy += s;
  const newAnc = new Set(ancestors); newAnc.add(key);
  let total = s;
  for (const c of n.children ?? []) total += walk(c, newAnc);
  if (!ancestors.has(key) && f.functionName !== '(idle)') incl.set(key, (incl.get(key) ?? 0) + total);
  return total;
}
walk(p.nodes[0].id, new Set());
for (const [k, us] of [...incl].sort((a, b) => b[1] - a[1]).slice(0, Number(top))) console.log(`${(100 * us / busy).toFixed(1).padStart(5)}% ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`);
