// Runs the API-guard scenario (scripts/lib/api-guard-scenario.mjs) once, guarded or not,
// against the Redis at REDIS_URL, and prints its figures as JSON.
//   node scripts/api-guard-scenario.mjs [--unguarded]
import { runApiScenario } from './lib/api-guard-scenario.mjs';

const redis = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const guarded = !process.argv.includes('--unguarded');
const figures = await runApiScenario({ redis, queue: `api-scenario-${Date.now()}`, guarded, log: (line) => console.error(line) });
console.log(JSON.stringify(figures, null, 2));
