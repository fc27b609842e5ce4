import { CLUSTER_VARS } from "../gitops/flux/cluster-vars";
import { waitForTerminationPatch } from "../gitops/flux/deletion";
import { VerifyOptions } from "../gitops/model";
import { providerTable } from "../gitops/charts/table";
import { Settings } from "./types";

/** Charts the stack installs itself (components/platform-addons.ts), with the setting that switches each off. */
export function stackInstalledCharts(settings: Settings): { chart: string; setting: string }[] {
  return settings.addons.loadBalancerController
    ? [{ chart: "aws-load-balancer-controller", setting: "gitops-cluster:addons.loadBalancerController" }]
    : [];
}

/** What the ordering check needs from a stack's settings; the program and `drift` share it. */
export function verifyOptionsFor(settings: Settings): VerifyOptions {
  const charts = stackInstalledCharts(settings);
  const table = providerTable();
  // The root Kustomization depends on the stack's charts: their CRDs exist before Flux applies anything.
  const chartGroups = charts.flatMap((c) => table.get(c.chart)?.groups ?? []);
  return {
    // Rows from config name charts whose CRDs sit in the chart's crds/ directory, the common case.
    providers: settings.gitops.extraProviders.map((p) => ({ chart: p.chart, groups: p.groups, how: "crds" as const })),
    preinstalledGroups: [...settings.gitops.preinstalledGroups, ...chartGroups],
    clusterVars: [...CLUSTER_VARS],
    // The root this stack creates substitutes from cluster-vars; sources with its URL are the checkout.
    bootstrap: "stack",
    repoUrl: settings.flux.repoUrl,
    sources: settings.gitops.sources,
    bootstrapFiles: settings.gitops.bootstrapFiles,
    fluxVersion: settings.flux.version,
    kubernetesVersion: settings.cluster.kubernetesVersion,
    ...(settings.flux.components === undefined ? {} : { fluxComponents: settings.flux.components }),
    // components/flux-bootstrap.ts gives its root Kustomization exactly these patches.
    rootPatches: [waitForTerminationPatch()],
    stackInstalledCharts: charts,
    chartMirrors: settings.gitops.chartMirrors ?? [],
  };
}
