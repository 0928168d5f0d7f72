/**
 * @module app/cluster
 * The cluster a server dispatches queued runs to (`--executor ray|kubernetes`): its
 * adapter, made from the server's options, and how its nodes start Reprise's runner.
 */
import { RepriseError } from '../core/errors.js';
import type { ClusterExecutor } from '../ports/cluster-executor.js';
import { join } from 'node:path';
import { INSTALL_DIR } from './assemble.js';

export const EXECUTORS = ['local', 'ray', 'kubernetes'] as const;
export type ExecutorName = (typeof EXECUTORS)[number];

export interface ClusterSettings {
  readonly executor: Exclude<ExecutorName, 'local'>;
  /** `--ray-address`: Ray's job API (the dashboard's address). */
  readonly rayAddress?: string;
  /** `--k8s-namespace`, `--k8s-image`, `KUBECONFIG` / in-cluster account. */
  readonly namespace?: string;
  readonly image?: string;
  readonly env: NodeJS.ProcessEnv;
}

export function checkExecutorName(text: string): ExecutorName {
  if ((EXECUTORS as readonly string[]).includes(text)) return text as ExecutorName;
  throw new RepriseError('REPRISE_ERR_EXECUTOR_INVALID', `--executor ${JSON.stringify(text)}: expected one of ${EXECUTORS.join(', ')}`, { details: { option: '--executor' } });
}

/** The adapter, loaded only by a server that dispatches to a cluster. */
export async function clusterExecutor(s: ClusterSettings): Promise<ClusterExecutor> {
  if (s.executor === 'ray') {
    const { parseRayAddress, RayJobExecutor } = await import('../adapters/cluster-executor/ray/ray-job-executor.js');
    if (!s.rayAddress) {
      throw new RepriseError('REPRISE_ERR_EXECUTOR_INVALID', '--executor ray needs --ray-address http://HEAD:8265 (or REPRISE_RAY_ADDRESS): the address of Ray\'s job API', { details: { option: '--ray-address' } });
    }
    return new RayJobExecutor({ address: parseRayAddress(s.rayAddress) });
  }
  const { KubernetesExecutor } = await import('../adapters/cluster-executor/kubernetes/kubernetes-executor.js');
  return new KubernetesExecutor({
    ...(s.namespace ? { namespace: s.namespace } : {}),
    ...(s.image ? { image: s.image } : {}),
    ...(s.env.KUBECONFIG ? { kubeconfig: s.env.KUBECONFIG } : {}),
  });
}

/**
 * How the cluster's nodes start Reprise: Ray's nodes run processes directly, so by default
 * as this server does (the same Node and installation, where nodes share its paths);
 * Kubernetes pods run the image, whose `reprise` is on PATH.
 */
export function defaultRunner(executor: ClusterSettings['executor']): string[] {
  return executor === 'ray' ? [process.execPath, join(INSTALL_DIR, 'bin', 'reprise.js')] : ['reprise'];
}
