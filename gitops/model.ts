/**
 * The data model shared by the stages of the `gitops/` pipeline:
 * repo (safe reading) -> kustomize (what a path applies) -> graph (Flux Kustomizations and
 * their edges) -> rules (findings) -> report (text, JSON, SARIF, Mermaid).
 *
 * Pure data: no Pulumi import anywhere under `gitops/`.
 */
import type { FluxComponent } from "./flux-apis";

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
  /** The Flux controllers the checked install runs (the stack's FluxInstance components in stack mode). */
  fluxComponents?: FluxComponent[];
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
   * "stack": verifying as this stack bootstraps it (Flux is the stack's; the repository's own
   * Flux install and sync manifests are leftovers). "committed" (default): the repository as committed.
   */
  bootstrap?: "committed" | "stack";
  /** The Flux version that serves the objects; wins over the repository's own install. */
  fluxVersion?: string;
  /** The stack's Flux version: used when neither `fluxVersion` nor the repository's own install names one. */
  stackFluxVersion?: string;
  /** Kubernetes minor of the cluster, e.g. "1.35"; unset: every removal the migration guide lists applies. */
  kubernetesVersion?: string;
  /** The controllers the Flux install runs; unset: the repository's own install, else what it needs. */
  fluxComponents?: FluxComponent[];
}
