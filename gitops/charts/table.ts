import { ChartProvider, K8sObject } from "../model";
import { isRecord } from "../read/yaml";

/**
 * API groups that exist on every cluster we create: Kubernetes' own (only the ones served by the
 * API server; `gateway.networking.k8s.io`, `snapshot.storage.k8s.io` and `autoscaling.k8s.io`
 * are CRDs), Flux's toolkit (installed by the bootstrap before any Kustomization runs) and the
 * Flux Operator's, which the bootstrap installs.
 * Flux's groups stay here so the ordering rules do not ask for a Kustomization installing them;
 * whether the Flux install runs the controller of each Flux kind is the controller-not-installed
 * rule's (gitops/rules/controllers.ts), per kind, against the FluxInstance's components.
 */
export const builtinGroups: ReadonlySet<string> = new Set([
  "", "apps", "batch", "autoscaling", "policy", "extensions",
  "networking.k8s.io", "rbac.authorization.k8s.io", "storage.k8s.io", "admissionregistration.k8s.io",
  "apiextensions.k8s.io", "apiregistration.k8s.io", "coordination.k8s.io", "discovery.k8s.io",
  "events.k8s.io", "node.k8s.io", "scheduling.k8s.io", "certificates.k8s.io",
  "flowcontrol.apiserver.k8s.io", "resource.k8s.io", "authentication.k8s.io", "authorization.k8s.io",
  "internal.apiserver.k8s.io", "storagemigration.k8s.io",
  "source.toolkit.fluxcd.io", "kustomize.toolkit.fluxcd.io", "helm.toolkit.fluxcd.io",
  "notification.toolkit.fluxcd.io", "image.toolkit.fluxcd.io", "source.extensions.fluxcd.io",
  "fluxcd.controlplane.io",
]);

/**
 * Groups EKS itself installs on every new cluster (the VPC CNI's ENIConfig and the VPC resource
 * controller's CRDs), so custom resources of them need no provider in the repository.
 */
export const eksGroups: readonly string[] = ["crd.k8s.amazonaws.com", "vpcresources.k8s.aws"];

const row = (
  chart: string,
  groups: string[],
  how: ChartProvider["how"],
  extra: Partial<Pick<ChartProvider, "crdsValue" | "unverified" | "podIdentity">> = {},
): ChartProvider => ({ chart, groups, how, ...extra });

const unverified = { unverified: true } as const;
const ISTIO = ["networking.istio.io", "security.istio.io", "telemetry.istio.io", "extensions.istio.io"];
const TRAEFIK = ["traefik.io", "traefik.containo.us", "hub.traefik.io"];
const KYVERNO = ["kyverno.io", "policies.kyverno.io", "reports.kyverno.io", "wgpolicyk8s.io"];

/**
 * Which CRD groups a chart installs and how. The first rows were checked against the charts'
 * sources (see /work/shared/FLUX-FACTS.md); rows marked `unverified` come from the charts' docs
 * and memory, and users override any row with `--providers FILE` or stack config.
 * A row with no groups records a chart known to install no CRDs.
 */
export const chartProviders: ChartProvider[] = [
  row("cert-manager", ["cert-manager.io", "acme.cert-manager.io"], "templates", {
    crdsValue: { paths: ["crds.enabled", "installCRDs"], default: false },
    // Only a Route 53 DNS-01 solver calls AWS: https://cert-manager.io/docs/configuration/acme/dns01/route53/
    podIdentity: { policy: "cert-manager-route53", serviceAccountValue: "serviceAccount.name", onlyWhen: "route53-solver" },
  }),
  row("kube-prometheus-stack", ["monitoring.coreos.com"], "crds", { crdsValue: { paths: ["crds.enabled"], default: true } }),
  row("prometheus-operator-crds", ["monitoring.coreos.com"], "templates"),
  // Service account: values serviceAccount.name, else the chart's fullname (templates/_helpers.tpl).
  row("aws-load-balancer-controller", ["elbv2.k8s.aws", "gateway.k8s.aws", "aga.k8s.aws"], "crds", {
    podIdentity: { policy: "aws-load-balancer-controller", serviceAccountValue: "serviceAccount.name" },
  }),
  row("kiali-operator", ["kiali.io"], "crds"),
  row("kiali-server", [], "templates"),
  row("flagger", ["flagger.app"], "crds"),
  row("external-secrets", ["external-secrets.io", "generators.external-secrets.io"], "templates", {
    crdsValue: { paths: ["installCRDs"], default: true },
  }),
  row("base", ISTIO, "templates"),
  row("istio-base", ISTIO, "templates"),
  row("istiod", [], "templates"),
  row("traefik", TRAEFIK, "crds"),
  row("traefik-crds", TRAEFIK, "templates"),
  row("cilium", ["cilium.io"], "runtime"),
  row("karpenter", ["karpenter.sh", "karpenter.k8s.aws"], "crds"),
  row("karpenter-crd", ["karpenter.sh", "karpenter.k8s.aws"], "templates"),
  row("velero", ["velero.io"], "crds"),
  row("kyverno", KYVERNO, "templates", { crdsValue: { paths: ["crds.install"], default: true } }),
  row("gateway-helm", ["gateway.envoyproxy.io", "gateway.networking.k8s.io"], "crds"),
  row("argo-rollouts", ["argoproj.io"], "templates", { crdsValue: { paths: ["installCRDs"], default: true }, ...unverified }),
  row("argo-cd", ["argoproj.io"], "templates", { crdsValue: { paths: ["crds.install"], default: true }, ...unverified }),
  row("keda", ["keda.sh", "eventing.keda.sh"], "templates", { crdsValue: { paths: ["crds.install"], default: true }, ...unverified }),
  row("crossplane", ["apiextensions.crossplane.io", "pkg.crossplane.io", "ops.crossplane.io", "protection.crossplane.io"], "crds", unverified),
  row("sealed-secrets", ["bitnami.com"], "crds", unverified),
  row("external-dns", ["externaldns.k8s.io"], "templates", {
    crdsValue: { paths: ["crd.create"], default: false },
    podIdentity: { policy: "external-dns", serviceAccountValue: "serviceAccount.name" },
    ...unverified,
  }),
  row("cloudnative-pg", ["postgresql.cnpg.io"], "templates", { crdsValue: { paths: ["crds.create"], default: true }, ...unverified }),
  row("strimzi-kafka-operator", ["kafka.strimzi.io", "core.strimzi.io"], "crds", unverified),
  row("opentelemetry-operator", ["opentelemetry.io"], "templates", { crdsValue: { paths: ["crds.create"], default: true }, ...unverified }),
  row("grafana-operator", ["grafana.integreatly.org"], "crds", unverified),
  row("snapshot-controller", ["snapshot.storage.k8s.io", "groupsnapshot.storage.k8s.io"], "crds", unverified),
  row("vpa", ["autoscaling.k8s.io"], "crds", unverified),
  row("vertical-pod-autoscaler", ["autoscaling.k8s.io"], "templates", unverified),
  row("metallb", ["metallb.io"], "templates", { crdsValue: { paths: ["crds.enabled"], default: true }, ...unverified }),
  row("linkerd-crds", ["linkerd.io", "policy.linkerd.io", "workload.linkerd.io"], "templates", unverified),
  row("longhorn", ["longhorn.io"], "templates", unverified),
  row("rook-ceph", ["ceph.rook.io", "objectbucket.io"], "templates", { crdsValue: { paths: ["crds.enabled"], default: true }, ...unverified }),
  row("secrets-store-csi-driver", ["secrets-store.csi.x-k8s.io"], "templates", unverified),
  row("chaos-mesh", ["chaos-mesh.org"], "crds", unverified),
  row("nginx-ingress", ["k8s.nginx.org", "appprotect.f5.com", "appprotectdos.f5.com", "externaldns.nginx.org"], "crds", unverified),
  row("tekton-pipeline", ["tekton.dev", "resolution.tekton.dev"], "templates", unverified),
  row("gatekeeper", ["templates.gatekeeper.sh", "config.gatekeeper.sh", "mutations.gatekeeper.sh", "status.gatekeeper.sh", "expansion.gatekeeper.sh", "externaldata.gatekeeper.sh"], "templates", unverified),
  row("trust-manager", ["trust.cert-manager.io"], "templates", { crdsValue: { paths: ["crds.enabled"], default: true }, ...unverified }),
  row("victoria-metrics-operator", ["operator.victoriametrics.com"], "crds", unverified),
  row("vault-secrets-operator", ["secrets.hashicorp.com"], "crds", unverified),
  row("ingress-nginx", [], "templates", unverified),
  row("metrics-server", [], "templates", unverified),
  row("cluster-autoscaler", [], "templates", unverified),
  row("aws-ebs-csi-driver", [], "templates", {
    podIdentity: { policy: "ebs-csi-driver", serviceAccountValue: "controller.serviceAccount.name", defaultServiceAccount: "ebs-csi-controller-sa" },
    ...unverified,
  }),
  // Charts community bootstrap helmfiles install before Flux (gitops/read/helmfile.ts looks them up).
  row("coredns", [], "templates", unverified),
  row("spegel", [], "templates", unverified),
  row("flux-operator", ["fluxcd.controlplane.io"], "templates", unverified),
  row("flux-instance", [], "templates", unverified),
  row("connect", [], "templates", unverified),
];


/** A dotted path into a values tree: `crds.enabled` -> values.crds.enabled. */
export function valueAt(values: unknown, dotted: string): unknown {
  let node = values;
  for (const key of dotted.split(".")) {
    if (!isRecord(node)) return undefined;
    node = node[key];
  }
  return node;
}

/** Looks up a source object defined in the repository ("Kind", namespace, name). */
export type SourceLookup = (kind: string, namespace: string, name: string) => K8sObject | undefined;

/** The last segment of a chart reference: "oci://ghcr.io/x/charts/cert-manager" or "./charts/app/" -> name. */
function chartBaseName(ref: string): string {
  const segments = ref.replace(/[:@][^/]*$/, "").split("/").filter((s) => s !== "" && s !== ".");
  return segments[segments.length - 1] ?? ref;
}

/**
 * The chart name a HelmRelease installs: `spec.chart.spec.chart`, or through `spec.chartRef` the
 * OCIRepository (last segment of its URL) or HelmChart (its `spec.chart`) defined in the repo.
 * Undefined when the chart cannot be named offline.
 */
export function chartNameOf(helmRelease: K8sObject, lookup: SourceLookup): string | undefined {
  const spec = isRecord(helmRelease.body.spec) ? helmRelease.body.spec : {};
  const template = isRecord(spec.chart) && isRecord(spec.chart.spec) ? spec.chart.spec : undefined;
  if (template !== undefined && typeof template.chart === "string") return chartBaseName(template.chart);
  const ref = isRecord(spec.chartRef) ? spec.chartRef : undefined;
  if (ref === undefined || typeof ref.kind !== "string" || typeof ref.name !== "string") return undefined;
  const namespace = typeof ref.namespace === "string" ? ref.namespace : helmRelease.namespace ?? "default";
  const source = lookup(ref.kind, namespace, ref.name);
  const sourceSpec = source !== undefined && isRecord(source.body.spec) ? source.body.spec : {};
  if (ref.kind === "OCIRepository" && typeof sourceSpec.url === "string") return chartBaseName(sourceSpec.url);
  if (ref.kind === "HelmChart" && typeof sourceSpec.chart === "string") return chartBaseName(sourceSpec.chart);
  return undefined;
}

/** The table a verification uses: user rows win over shipped rows of the same chart. */
export function providerTable(extra: ChartProvider[] = []): Map<string, ChartProvider> {
  const table = new Map<string, ChartProvider>();
  for (const p of [...chartProviders, ...extra]) table.set(p.chart, p);
  return table;
}

/** The table row of the chart a HelmRelease installs, or undefined when the chart is unknown. */
export function chartFor(
  helmRelease: K8sObject,
  lookup: SourceLookup,
  table: Map<string, ChartProvider> = providerTable(),
): ChartProvider | undefined {
  const name = chartNameOf(helmRelease, lookup);
  return name === undefined ? undefined : table.get(name);
}

/** What a HelmRelease of a known chart does about CRDs. */
export interface HelmCrds {
  /** Groups it installs. */
  groups: string[];
  /** Groups its chart would install but `install.crds: Skip` switches off. */
  skipped: string[];
}

/**
 * The groups a HelmRelease installs: `install.crds: Skip` drops a chart's `crds/` directory
 * (https://fluxcd.io/flux/components/helm/helmreleases/#install-configuration); charts that
 * template their CRDs switch them with values, read from `spec.values` (values from `valuesFrom`
 * cannot be read offline, so the chart default applies).
 */
export function helmReleaseCrds(helmRelease: K8sObject, provider: ChartProvider): HelmCrds {
  const spec = isRecord(helmRelease.body.spec) ? helmRelease.body.spec : {};
  if (provider.crdsValue !== undefined) {
    const set = provider.crdsValue.paths.map((p) => valueAt(spec.values, p)).filter((v) => v !== undefined);
    const on = set.length === 0 ? provider.crdsValue.default : set.some((v) => v === true || v === "true");
    if (!on) return { groups: [], skipped: [] };
  }
  const install = isRecord(spec.install) ? spec.install : {};
  if (provider.how === "crds" && install.crds === "Skip") return { groups: [], skipped: provider.groups };
  return { groups: provider.groups, skipped: [] };
}
