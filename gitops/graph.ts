import { GitopsInputError } from "./errors";
import { ChartProvider, K8sObject, KustomizationNode, Unresolved } from "./model";
import { applyPatches, fluxPath, fluxSpecPatches, resolvePath, substituteKnown, withNamespace } from "./kustomize";
import { builtinGroups, chartNameOf, helmReleaseCrds, providerTable } from "./providers";
import { Repo } from "./repo";
import { isRecord } from "./yaml";

type Json = Record<string, unknown>;


/** The GitRepository `flux bootstrap` (and our FluxBootstrap) creates: the cluster's own source. */
export const BOOTSTRAP_SOURCE = "GitRepository/flux-system/flux-system";
/** The root Kustomization the bootstrap creates outside the repository; it applies the cluster path. */
export const BOOTSTRAP_KUSTOMIZATION = "flux-system/flux-system";

export function isFluxKustomization(o: K8sObject): boolean {
  return o.kind === "Kustomization" && o.group === "kustomize.toolkit.fluxcd.io";
}

function isHelmRelease(o: K8sObject): boolean {
  return o.kind === "HelmRelease" && o.group === "helm.toolkit.fluxcd.io";
}

function isCrd(o: K8sObject): boolean {
  return o.kind === "CustomResourceDefinition" && o.group === "apiextensions.k8s.io";
}

/** A HelmRelease a Kustomization applies and the CRD groups its chart brings. */
export interface HelmReleaseInfo {
  object: K8sObject;
  /** Chart name, when it can be named offline. */
  chart?: string;
  /** False when the chart is not in the provider table: its CRDs are unknown. */
  known: boolean;
  groups: string[];
  /** Groups switched off by `install.crds: Skip`. */
  skipped: string[];
}

/** A KustomizationNode with what the rules need beyond the shared model. */
export interface GraphNode extends KustomizationNode {
  /** The Flux Kustomization object as applied (after its parent's patches and namespace). */
  object: K8sObject;
  spec: Json;
  helmReleases: HelmReleaseInfo[];
  /** Groups of the CustomResourceDefinition objects it applies. */
  crdGroups: string[];
  /** Ids of the Kustomizations it applies. */
  children: string[];
  /** Children whose readiness is part of this one's (wait: true, or a health check on them). */
  waitedChildren: Set<string>;
}

/** A child's `spec.path` as its parent applies it: the parent's known substitutions and defaults. */
function substitutionValues(parent: GraphNode | undefined): Map<string, string> {
  const values = new Map<string, string>();
  const postBuild = parent !== undefined && isRecord(parent.spec.postBuild) ? parent.spec.postBuild : {};
  if (isRecord(postBuild.substitute)) {
    for (const [k, v] of Object.entries(postBuild.substitute)) if (typeof v === "string") values.set(k, v);
  }
  return values;
}

function dependsOnIds(spec: Json, namespace: string): string[] {
  const out: string[] = [];
  for (const d of Array.isArray(spec.dependsOn) ? spec.dependsOn : []) {
    if (!isRecord(d) || typeof d.name !== "string") continue;
    // An empty dependsOn[].namespace means the dependent's own namespace.
    const ns = typeof d.namespace === "string" && d.namespace !== "" ? d.namespace : namespace;
    out.push(`${ns}/${d.name}`);
  }
  return out;
}

interface HealthCheck {
  kind?: string;
  name?: string;
  namespace?: string;
}

function healthChecksOf(spec: Json): HealthCheck[] {
  return (Array.isArray(spec.healthChecks) ? spec.healthChecks : []).filter(isRecord) as HealthCheck[];
}

function covered(checks: HealthCheck[], o: { kind: string; name: string; namespace: string }): boolean {
  return checks.some((c) => c.kind === o.kind && c.name === o.name && (c.namespace ?? o.namespace) === o.namespace);
}

/**
 * The Flux Kustomizations of a cluster: those in `clusterPath` (applied by the bootstrap's root
 * Kustomization) and, recursively, those their paths apply when their source is the cluster's
 * own GitRepository. Other sources cannot be read offline and are recorded as unresolved.
 */
export function buildClusterGraph(repo: Repo, clusterPath: string, providers: ChartProvider[] = []): GraphNode[] {
  const cluster = repo.normalize(clusterPath);
  if (!repo.isDirectory(cluster)) {
    throw new GitopsInputError(`cluster directory ${cluster || "."} does not exist in ${repo.root}`);
  }
  const root = resolvePath(repo, cluster);
  const nodes: GraphNode[] = [];
  const visit = (ks: K8sObject, parent: GraphNode | undefined, ancestors: Set<string>): void => {
    const node = nodeOf(repo, ks, parent, cluster);
    nodes.push(node);
    if (ancestors.has(node.id)) return; // a Kustomization that applies itself: do not loop
    const inner = new Set(ancestors).add(node.id);
    for (const child of node.objects) if (isFluxKustomization(child)) visit(child, node, inner);
  };
  for (const o of root.objects) if (isFluxKustomization(o)) visit(o, undefined, new Set());
  annotateProviders(nodes, providerTable(providers));
  return nodes;
}

function nodeOf(repo: Repo, ks: K8sObject, parent: GraphNode | undefined, cluster: string): GraphNode {
  const spec = isRecord(ks.body.spec) ? ks.body.spec : {};
  const namespace = ks.namespace ?? "default";
  const id = `${namespace}/${ks.name}`;
  const unresolved: Unresolved[] = [];
  const ref = isRecord(spec.sourceRef) ? spec.sourceRef : {};
  const sourceRef = typeof ref.name === "string"
    ? `${typeof ref.kind === "string" ? ref.kind : "GitRepository"}/${typeof ref.namespace === "string" && ref.namespace !== "" ? ref.namespace : namespace}/${ref.name}`
    : undefined;
  const rawPath = typeof spec.path === "string" && spec.path.trim() !== "" ? spec.path : undefined;
  const path = rawPath === undefined ? undefined : substituteKnown(rawPath, substitutionValues(parent));
  let objects: K8sObject[] = [];
  if (sourceRef !== BOOTSTRAP_SOURCE) {
    unresolved.push({ reason: "external-source", ref: sourceRef ?? "(no sourceRef)", source: ks.source });
  } else if (path === undefined) {
    unresolved.push({ reason: "missing-path", ref: "(spec.path not set)", source: ks.source });
  } else if (path.includes("${")) {
    unresolved.push({ reason: "unsubstituted-path", ref: path, source: ks.source });
  } else {
    let target: string;
    try {
      target = fluxPath(repo, path);
    } catch (e) {
      if (e instanceof GitopsInputError) throw new GitopsInputError(`spec.path ${path}: ${e.message}`, ks.source.file, ks.source.line);
      throw e;
    }
    // The bootstrap's own Kustomization, when committed (flux bootstrap's gotk-sync.yaml), is the root.
    if (target !== cluster) {
      const resolved = resolvePath(repo, target);
      for (const u of resolved.unresolved) {
        unresolved.push(u.reason === "missing-path" && u.ref === target ? { ...u, ref: path, source: ks.source } : u);
      }
      objects = applyPatches(resolved.objects, fluxSpecPatches(spec));
      if (typeof spec.targetNamespace === "string" && spec.targetNamespace !== "") {
        objects = withNamespace(objects, spec.targetNamespace);
      }
    }
  }
  const checks = healthChecksOf(spec);
  const helmObjects = objects.filter(isHelmRelease);
  const waitAll = spec.wait === true;
  const waits = waitAll || (helmObjects.length > 0
    && helmObjects.every((h) => covered(checks, { kind: "HelmRelease", name: h.name, namespace: h.namespace ?? namespace })));
  const children: string[] = [];
  const waitedChildren = new Set<string>();
  for (const o of objects) {
    if (!isFluxKustomization(o)) continue;
    const childId = `${o.namespace ?? "default"}/${o.name}`;
    children.push(childId);
    if (waitAll || covered(checks, { kind: "Kustomization", name: o.name, namespace: o.namespace ?? "default" })) {
      waitedChildren.add(childId);
    }
  }
  const crdGroups = new Set<string>();
  const consumes = new Set<string>();
  for (const o of objects) {
    if (isCrd(o) && isRecord(o.body.spec) && typeof o.body.spec.group === "string") crdGroups.add(o.body.spec.group);
    if (!builtinGroups.has(o.group)) consumes.add(o.group);
  }
  return {
    name: ks.name,
    namespace,
    id,
    source: ks.source,
    path: rawPath,
    sourceRef,
    dependsOn: dependsOnIds(spec, namespace),
    waits,
    objects,
    providesGroups: [],
    consumesGroups: [...consumes].sort(),
    unresolved,
    parent: parent?.id,
    object: ks,
    spec,
    helmReleases: [],
    crdGroups: [...crdGroups].sort(),
    children,
    waitedChildren,
  };
}

/** Fills in the HelmReleases' chart groups; chartRef sources may live in any Kustomization. */
function annotateProviders(nodes: GraphNode[], table: Map<string, ChartProvider>): void {
  const sources = new Map<string, K8sObject>();
  for (const n of nodes) {
    for (const o of n.objects) {
      if (o.kind === "OCIRepository" || o.kind === "HelmChart") sources.set(`${o.kind}/${o.namespace ?? n.namespace}/${o.name}`, o);
    }
  }
  const lookup = (kind: string, namespace: string, name: string) => sources.get(`${kind}/${namespace}/${name}`);
  for (const n of nodes) {
    const provides = new Set(n.crdGroups);
    for (const object of n.objects) {
      if (!isHelmRelease(object)) continue;
      const chart = chartNameOf(object, lookup);
      const provider = chart === undefined ? undefined : table.get(chart);
      const crds = provider === undefined ? { groups: [], skipped: [] } : helmReleaseCrds(object, provider);
      n.helmReleases.push({ object, chart, known: provider !== undefined, ...crds });
      for (const g of crds.groups) provides.add(g);
    }
    n.providesGroups = [...provides].sort();
  }
}
