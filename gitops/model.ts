/**
 * The data model shared by the stages of the `gitops/` pipeline:
 * repo (safe reading) -> kustomize (what a path applies) -> graph (Flux Kustomizations and
 * their edges) -> rules (findings) -> report (text, JSON, SARIF, Mermaid).
 *
 * Pure data: no Pulumi import anywhere under `gitops/`.
 */
import type { FluxComponent } from "./flux/apis";

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

/**
 * Why part of a path could not be resolved offline:
 * - `missing-path`: a path or reference that is not in the source artifact;
 * - `not-a-kustomization`: a directory resource without a kustomization file (kustomize refuses it);
 * - `remote-resource`: a URL or remote base;
 * - `helm-charts`: kustomize `helmCharts` (needs the chart);
 * - `external-source`: a Flux source other than this repository;
 * - `unsubstituted-path`: a `spec.path` that still holds `${VAR}` after substitution;
 * - `unsupported-kustomize`: a kustomize feature the resolver does not model (openapi, replacements,
 *   vars, KRM function plugins...): the build of that directory may differ from kustomize's;
 * - `kustomize-error`: kustomize itself would fail (a patch with no target, a component that is not one...).
 */
export type UnresolvedReason =
  | "missing-path"
  | "not-a-kustomization"
  | "remote-resource"
  | "helm-charts"
  | "external-source"
  | "unsubstituted-path"
  | "unsupported-kustomize"
  | "kustomize-error"
  /** spec.path is missing here but exists under an ancestor: the Flux source root is probably a subdirectory. */
  | "outside-source-root";

/** Something a path refers to that cannot be resolved offline; recorded, never guessed. */
export interface Unresolved {
  reason: UnresolvedReason;
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

/** Every rule id a finding can carry (the closed set the reports describe). */
export type RuleId =
  | "missing-dependency"
  | "dependency-cycle"
  | "duplicate-kustomization"
  | "consumer-without-provider"
  | "provider-not-ready"
  | "crs-with-their-helmrelease"
  | "crds-skipped"
  | "unknown-group"
  /** A HelmRelease whose chart (resolved version) the lock does not hold, so it was judged by the table (gitops/rules/charts.ts). */
  | "chart-not-locked"
  | "missing-path"
  /** kustomize itself fails to build a path (a `kustomize-error`): Flux reports BuildFailed and applies nothing of it. */
  | "build-failed"
  | "unsubstituted-variable"
  | "unresolved-reference"
  /** Where a source the cluster reads came from, or why it could not be read (gitops/read/sources.ts). */
  | "source-read"
  /** CRD groups a bootstrap step (helmfile, `--bootstrap-file`) installs before Flux (gitops/read/helmfile.ts). */
  | "installed-before-flux"
  /** An apiVersion the target Flux or Kubernetes no longer serves (gitops/rules/api-versions.ts). */
  | "removed-api-version"
  /** A Flux object the serving version's schema prunes or rejects (gitops/rules/api-versions.ts). */
  | "schema-violation"
  /** `flux bootstrap`'s own install and sync manifests under a stack that owns Flux. */
  | "flux-bootstrap-leftover"
  /** A Flux kind whose controller the FluxInstance does not run. */
  | "controller-not-installed"
  /** AWS-backed objects whose deletion would not wait (gitops/rules/deletion.ts). */
  | "deletion-not-waited"
  /** A chart the repository installs that the stack installs already (gitops/rules/deletion.ts). */
  | "chart-installed-by-stack";

export interface Finding {
  /** Stable rule id, e.g. "consumer-without-provider". */
  rule: RuleId;
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
  /** Kustomizations whose source could not be read (an unmapped OCIRepository, another repository...). */
  unread: number;
}

/** The result of verifying one cluster path of one repository. */
export interface VerifyResult {
  /** The Flux controllers the checked install runs (the stack's FluxInstance components in stack mode). */
  fluxComponents?: FluxComponent[];
  /** The repository root as given. */
  repo: string;
  /** The cluster path, e.g. "clusters/development". */
  cluster: string;
  kustomizations: KustomizationNode[];
  findings: Finding[];
  summary: VerifySummary;
  /** Manifest URLs applied before Flux (Talos extraManifests, bootstrap files by URL) that the lock lacks. */
  bootstrapRemotes?: string[];
}

/** A chart's CRD groups; see gitops/charts/table.ts for the shipped table. */
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
  /** The chart's controller calls AWS: the Pod Identity it needs (see gitops/charts/pod-identities.ts). */
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
   * Which root Kustomization runs the cluster path. "committed" (the CLI default): the repository as
   * committed, i.e. the root's postBuild from `flux-system/gotk-sync.yaml` or a FluxInstance
   * `spec.sync` in the repository, or no substitution. "stack": as this stack bootstraps it, the
   * root substituted from `cluster-vars` (gitops/flux/cluster-vars.ts).
   */
  bootstrap?: BootstrapMode;
  /**
   * The URL the cluster's own GitRepository clones (stack `flux.repoUrl`, `--repo-url`, or the
   * checkout's `origin`): any source with this URL reads the checkout.
   */
  repoUrl?: string;
  /** Sources read from a local directory: `--source KIND/NAMESPACE/NAME=DIR`, stack `gitops.sources`. */
  sources?: SourceMapping[];
  /**
   * Files a bootstrap step applies before Flux (helmfiles, or manifests holding CRDs), repo-relative
   * or absolute: `--bootstrap-file FILE`, stack `gitops.bootstrapFiles`. Helmfiles in the
   * repository's usual places are found without being named.
   */
  bootstrapFiles?: string[];
  /** The Flux version that serves the objects; wins over the repository's own install. */
  fluxVersion?: string;
  /** The stack's Flux version: used when neither `fluxVersion` nor the repository's own install names one. */
  stackFluxVersion?: string;
  /** Kubernetes minor of the cluster, e.g. "1.35"; unset: every removal the migration guide lists applies. */
  kubernetesVersion?: string;
  /** The controllers the Flux install runs; unset: the repository's own install, else what it needs. */
  fluxComponents?: FluxComponent[];
  /**
   * Stack mode: the Flux `spec.patches` of the bootstrap's root Kustomization, which live outside
   * the repository and patch every object of the cluster path (the deletion rule reads them).
   */
  rootPatches?: unknown[];
  /** Stack `gitops.chartMirrors`: chart repository URL prefixes fetched from a mirror instead. */
  chartMirrors?: import("./charts/sources").ChartMirror[];
  /** The chart lock and charts fetched this run (gitops/charts/release.ts); unset: the chart table only. */
  charts?: import("./charts/release").ChartKnowledge;
  /** Stack mode: charts the stack installs itself, and the setting that switches each off. */
  stackInstalledCharts?: { chart: string; setting: string }[];
}

export type BootstrapMode = "committed" | "stack";

/** A Flux source that is read from a local directory instead of its remote. */
export interface SourceMapping {
  /** "Kind/namespace/name", e.g. "OCIRepository/flux-system/apps". */
  source: string;
  /** The directory holding the source's artifact (absolute, or relative to the repository). */
  dir: string;
}
