/**
 * The data model shared by the stages of the `gitops/` pipeline:
 * repo (safe reading) -> kustomize (what a path applies) -> graph (Flux Kustomizations and
 * their edges) -> rules (findings) -> report (text, JSON, SARIF, Mermaid).
 *
 * Pure data: no Pulumi import anywhere under `gitops/`.
 */

/** A place in the repository; `file` is relative to the repository root, `line` is 1-based. */
export interface SourceLocation {
  file: string;
  line: number;
}

/** One Kubernetes object as read from a manifest file. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  /** API group ("" for the core group), derived from apiVersion. */
  group: string;
  name: string;
  /** As written (or as set by a kustomize `namespace:`); undefined for cluster-scoped or unset. */
  namespace?: string;
  /** The parsed document. */
  body: Record<string, unknown>;
  /** Where the document starts. */
  source: SourceLocation;
}

/** Something a path refers to that cannot be resolved offline; recorded, never guessed. */
export interface Unresolved {
  /** e.g. "remote-resource", "helm-charts", "external-source", "missing-path". */
  reason: string;
  /** The reference as written (URL, chart name, source kind/name, path). */
  ref: string;
  source: SourceLocation;
}

/** A Flux Kustomization (kustomize.toolkit.fluxcd.io, any version) in the cluster graph. */
export interface KustomizationNode {
  name: string;
  namespace: string;
  /** "namespace/name": the graph key. */
  id: string;
  source: SourceLocation;
  /** spec.path as written (after the parent's patches and substitution); undefined when missing. */
  path?: string;
  /** sourceRef as "Kind/namespace/name". */
  sourceRef?: string;
  /** dependsOn targets as "namespace/name" (namespace defaulted to the dependent's). */
  dependsOn: string[];
  /** True when a dependent waits for this Kustomization's objects to be healthy. */
  waits: boolean;
  /** The objects its path applies (empty when unresolved). */
  objects: K8sObject[];
  /** API groups whose CRDs it installs (CRD objects and HelmReleases via the chart table). */
  providesGroups: string[];
  /** API groups of custom resources it applies. */
  consumesGroups: string[];
  unresolved: Unresolved[];
  /** The Kustomization that applies this one ("namespace/name"); undefined for the roots. */
  parent?: string;
}

export type Severity = "error" | "warning" | "note";

export interface Finding {
  /** Stable rule id, e.g. "consumer-without-provider". */
  rule: string;
  severity: Severity;
  /** The Kustomization the finding is about ("namespace/name"), when there is one. */
  kustomization?: string;
  message: string;
  file: string;
  line: number;
  /** What to change, concretely (e.g. "add `- name: cert-manager-install` to spec.dependsOn"). */
  fix: string;
}

export interface VerifySummary {
  errors: number;
  warnings: number;
  kustomizations: number;
  objects: number;
}

/** The result of verifying one cluster path of one repository. */
export interface VerifyResult {
  /** The repository root as given. */
  repo: string;
  /** The cluster path, e.g. "clusters/development". */
  cluster: string;
  kustomizations: KustomizationNode[];
  findings: Finding[];
  summary: VerifySummary;
}

/** A chart's CRD groups; see gitops/providers.ts for the shipped table. */
export interface ChartProvider {
  /** Chart name as in HelmRelease spec.chart.spec.chart (or the OCI repository's last segment). */
  chart: string;
  groups: string[];
  /**
   * When the chart installs its CRDs only if a value is set: the dotted value paths that switch
   * them on (any one true enables), and whether CRDs are on when the value is absent.
   */
  crdsValue?: { paths: string[]; default: boolean };
  /** "crds" (chart crds/ dir, subject to install.crds), "templates", or "runtime" (operator). */
  how: "crds" | "templates" | "runtime";
  /** Not checked against the chart's source. */
  unverified?: boolean;
  /** The chart's controller calls AWS: the Pod Identity it needs (see gitops/pod-identities.ts). */
  podIdentity?: ChartPodIdentity;
}

/** Least-privilege AWS access a chart's controller needs; the stack turns it into a role. */
export type AwsPolicyKind = "aws-load-balancer-controller" | "external-dns" | "cert-manager-route53" | "ebs-csi-driver";

/** Where a chart's service account is, and the policy it needs. */
export interface ChartPodIdentity {
  policy: AwsPolicyKind;
  /**
   * Dotted value path of the service account name; when unset the chart's `fullname` (release name,
   * or `<release>-<chart>` when the release name does not contain the chart's) is used.
   */
  serviceAccountValue: string;
  /** The name the chart gives its service account when the value is unset, if not its fullname. */
  defaultServiceAccount?: string;
  /** Only when the repository also asks for it (cert-manager: an Issuer with a Route 53 solver). */
  onlyWhen?: "route53-solver";
}

/** Inputs to a verification beyond the repository and cluster path. */
export interface VerifyOptions {
  /** Extra chart rows (stack config `gitopsProviders`, CLI --providers FILE); they win over the table. */
  providers?: ChartProvider[];
  /** API groups installed outside Flux (a bootstrap step), treated as always present. */
  preinstalledGroups?: string[];
  /** Variables the bootstrap's `cluster-vars` ConfigMap supplies (for the substitution rule). */
  clusterVars?: string[];
  /**
   * Stack mode: the Flux `spec.patches` of the bootstrap's root Kustomization, which live outside
   * the repository and patch every object of the cluster path (the deletion rule reads them).
   */
  rootPatches?: unknown[];
  /** Stack mode: charts the stack installs itself, and the setting that switches each off. */
  stackInstalledCharts?: { chart: string; setting: string }[];
}
