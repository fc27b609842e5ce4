import { Finding, K8sObject, KustomizationNode, VerifyResult } from "../../gitops/model";

/** A Kustomization as the analysis would report it; only what a test cares about is given. */
export function node(partial: Partial<KustomizationNode> & { name: string }): KustomizationNode {
  const namespace = partial.namespace ?? "flux-system";
  return {
    namespace,
    id: `${namespace}/${partial.name}`,
    source: { file: `clusters/development/${partial.name}.yaml`, line: 1 },
    path: `./infrastructure/${partial.name}`,
    dependsOn: [],
    waits: true,
    objects: [],
    providesGroups: [],
    consumesGroups: [],
    unresolved: [],
    ...partial,
  };
}

export function object(kind: string, apiVersion: string, name: string, file: string, line: number): K8sObject {
  const slash = apiVersion.indexOf("/");
  return {
    apiVersion,
    kind,
    group: slash < 0 ? "" : apiVersion.slice(0, slash),
    name,
    body: { apiVersion, kind, metadata: { name } },
    source: { file, line },
  };
}

/** Totals as the analysis computes them, so a hand-built result is self-consistent. */
export function result(kustomizations: KustomizationNode[], findings: Finding[]): VerifyResult {
  return {
    repo: "examples/gitops",
    cluster: "clusters/development",
    kustomizations,
    findings,
    summary: {
      errors: findings.filter((f) => f.severity === "error").length,
      warnings: findings.filter((f) => f.severity === "warning").length,
      unread: 0,
      kustomizations: kustomizations.length,
      objects: kustomizations.reduce((n, k) => n + k.objects.length, 0),
    },
  };
}

/**
 * The seed's classic mistake: kustomized-infra applies a ClusterIssuer without waiting for
 * cert-manager-install, and apps waits for a Kustomization nobody defined.
 */
export function brokenResult(): VerifyResult {
  const sources = node({ name: "sources", objects: [object("HelmRepository", "source.toolkit.fluxcd.io/v1", "jetstack", "infrastructure/sources/jetstack.yaml", 1)] });
  const certManager = node({
    name: "cert-manager-install",
    dependsOn: ["flux-system/sources"],
    providesGroups: ["cert-manager.io", "acme.cert-manager.io"],
    objects: [object("HelmRelease", "helm.toolkit.fluxcd.io/v2", "cert-manager", "infrastructure/kustomized/base/cert-manager/install/helm-release.yaml", 1)],
  });
  const infra = node({
    name: "kustomized-infra",
    dependsOn: ["flux-system/sources"],
    consumesGroups: ["cert-manager.io", "monitoring.example.com"],
    path: undefined,
    objects: [
      object("ClusterIssuer", "cert-manager.io/v1", "letsencrypt", "infrastructure/kustomized/overlays/development/issuer.yaml", 3),
      object("Widget", "monitoring.example.com/v1", "w", "infrastructure/kustomized/overlays/development/widget.yaml", 1),
    ],
    unresolved: [{ reason: "remote-resource", ref: "https://example.com/x.yaml", source: { file: "infrastructure/kustomized/overlays/development/kustomization.yaml", line: 5 } }],
  });
  const apps = node({ name: "apps", dependsOn: ["flux-system/kustomized-infra", "flux-system/ghost"], waits: false });
  const findings: Finding[] = [
    {
      rule: "missing-dependency",
      severity: "error",
      kustomization: "flux-system/apps",
      message: "apps depends on flux-system/ghost, which does not exist",
      file: "clusters/development/apps.yaml",
      line: 9,
      fix: "remove `- name: ghost` from spec.dependsOn, or define the Kustomization flux-system/ghost",
    },
    {
      rule: "consumer-without-provider",
      severity: "error",
      kustomization: "flux-system/kustomized-infra",
      message: "kustomized-infra applies ClusterIssuer (cert-manager.io) but does not depend on cert-manager-install, which installs its CRD",
      file: "infrastructure/kustomized/overlays/development/issuer.yaml",
      line: 3,
      fix: "add `- name: cert-manager-install` to spec.dependsOn of kustomized-infra",
    },
    {
      rule: "unknown-group",
      severity: "warning",
      kustomization: "flux-system/kustomized-infra",
      message: "no known chart or CRD provides monitoring.example.com (Widget)",
      file: "infrastructure/kustomized/overlays/development/widget.yaml",
      line: 1,
      fix: "declare its chart with --providers FILE, or the group with --preinstalled monitoring.example.com",
    },
  ];
  return result([sources, certManager, infra, apps], findings);
}
