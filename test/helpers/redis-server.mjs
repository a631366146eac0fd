// One copy of the private redis-server helper lives in scripts/lib, shared with the demo
// and the benchmarks; the tests import it from here as before.
export { assertRedisServerInstalled, freePort, startRedisServer } from '../../scripts/lib/redis-server.mjs';
