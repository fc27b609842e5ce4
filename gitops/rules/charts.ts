import { Finding } from "../model";
import { describeRequest } from "../charts/sources";
import { Rule, findingAt } from "./context";

/**
 * `chart-not-locked`: a HelmRelease whose chart could be named but is not in the lock (or is
 * locked at a version its constraint does not accept), so what it installs was not read from the
 * chart: the table answered, or nothing did. A warning: the verdict is only as good as the table.
 */
export const chartNotLocked: Rule = (context) => {
  const findings: Finding[] = [];
  const seen = new Set<string>();
  for (const node of context.nodes) {
    if (seen.has(node.id)) continue;
    seen.add(node.id);
    for (const h of node.helmReleases) {
      const missing = h.chartInfo?.notLocked;
      // A repository with a lock has opted in: every chart must be in it. Without one, findings say they rest on the table.
      // A failed fetch is named too, unless the network is not there at all (no name resolution: a CI without network).
      if (missing === undefined) continue;
      const fetchFailed = missing.why.startsWith("fetching it failed") && !/ENOTFOUND|EAI_AGAIN/.test(missing.why);
      if (context.options?.charts?.lockPresent !== true && !fetchFailed) continue;
      const offline = context.options?.charts?.offline === true;
      const fallback = h.known ? `judged by ${h.chartInfo!.basis}` : "what it installs is unknown";
      findings.push(findingAt(
        "chart-not-locked", "warning", node,
        `HelmRelease ${h.object.name} (${h.object.source.file}:${h.object.source.line}) installs ${describeRequest(missing.request)}, which was not read: ${missing.why}${offline ? " (offline: not fetched)" : ""}; ${fallback}`,
        "run `gitops-cluster charts lock --repo DIR` where the chart repository can be reached, and commit .gitops-cluster/charts.lock.json",
        h.object.source,
      ));
    }
  }
  return findings;
};
