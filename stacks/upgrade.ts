/**
 * Kubernetes upgrades through `cluster.kubernetesVersion`: EKS moves a control plane one minor at
 * a time and never down (UpdateClusterVersion), and the nodes may not be newer than it.
 * https://docs.aws.amazon.com/eks/latest/userguide/update-cluster.html
 */

/** `[1, 35]` for "1.35" (also "1.35.2" or "v1.35", as EKS may report a version). */
function minorOf(version: string): [number, number] | undefined {
  const match = /^v?(\d+)\.(\d+)/.exec(version);
  return match ? [Number(match[1]), Number(match[2])] : undefined;
}

/**
 * Why the live cluster at `live` cannot go to `wanted` in one `up`, or undefined when it can
 * (the same minor, or the next one).
 */
export function upgradeProblem(live: string, wanted: string, clusterName: string): string | undefined {
  const [from, to] = [minorOf(live), minorOf(wanted)];
  if (!from || !to || from[0] !== to[0]) return `cannot compare the live version ${live} of ${clusterName} with ${wanted}`;
  const steps = to[1] - from[1];
  if (steps === 0 || steps === 1) return undefined;
  if (steps < 0) return `is ${wanted}, older than ${clusterName}'s live ${live}: EKS cannot downgrade a cluster`;
  const path = Array.from({ length: steps }, (_, i) => `${to[0]}.${from[1] + i + 1}`);
  return (
    `is ${wanted}, ${steps} minors above ${clusterName}'s live ${live}: EKS upgrades one minor at a time. ` +
    `Set ${path[0]} and run \`pulumi up\`, then each of ${path.slice(1).join(", ")} in turn`
  );
}
