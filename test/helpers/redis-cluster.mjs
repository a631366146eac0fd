// One copy of the private Redis Cluster helper lives in scripts/lib, shared with chaos and
// the benchmarks; the tests import it from here.
export { assertRedisCliInstalled, startRedisCluster } from '../../scripts/lib/redis-cluster.mjs';
