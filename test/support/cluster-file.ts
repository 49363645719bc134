import { startCluster, type Cluster, type ClusterOptions, type Instance } from './cluster';

/**
 * A cluster for a whole test file, started by a beforeAll (jest's: this file is for test files only; bench/ reuses ./cluster.ts) (and closed after the file, as a leftover):
 * `.cluster` and `.instances` once it has run.
 */
export function clusterForFile(options: ClusterOptions): { cluster: Cluster; instances: Instance[] } {
  const holder = { cluster: undefined as unknown as Cluster, instances: [] as Instance[] };
  beforeAll(async () => {
    holder.cluster = await startCluster(options);
    holder.instances = holder.cluster.instances;
  });
  return holder;
}
