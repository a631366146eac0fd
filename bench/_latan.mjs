import { readFileSync } from 'node:fs';
const s = JSON.parse(readFileSync(`/tmp/bt/lat-${process.argv[2]}.json`, 'utf8'));
const t0 = s[0][0];
const win = new Map();
for (const [t, l] of s) { const w = Math.floor((t - t0) / 500); (win.get(w) ?? win.set(w, []).get(w)).push(l); }
const line = [];
for (const [w, ls] of win) { ls.sort((a, b) => a - b); line.push(`${(w/2).toFixed(1)}s p50 ${ls[ls.length >> 1].toFixed(1)} p99 ${ls[Math.ceil(0.99 * ls.length) - 1].toFixed(1)} max ${ls.at(-1).toFixed(1)}`); }
console.log(line.join('\n'));
