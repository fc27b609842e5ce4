import { CLUSTER_VARS } from "../gitops/cluster-vars";
import { VerifyOptions } from "../gitops/model";
import { Settings } from "./types";

/** What the ordering check needs from a stack's settings; the program and `drift` share it. */
export function verifyOptionsFor(settings: Settings): VerifyOptions {
  return {
    // Rows from config name charts whose CRDs sit in the chart's crds/ directory, the common case.
    providers: settings.gitops.extraProviders.map((p) => ({ chart: p.chart, groups: p.groups, how: "crds" as const })),
    preinstalledGroups: settings.gitops.preinstalledGroups,
    clusterVars: [...CLUSTER_VARS],
    // The root this stack creates substitutes from cluster-vars; sources with its URL are the checkout.
    bootstrap: "stack",
    repoUrl: settings.flux.repoUrl,
    sources: settings.gitops.sources,
    bootstrapFiles: settings.gitops.bootstrapFiles,
    fluxVersion: settings.flux.version,
    kubernetesVersion: settings.cluster.kubernetesVersion,
    ...(settings.flux.components === undefined ? {} : { fluxComponents: settings.flux.components }),
  };
}
