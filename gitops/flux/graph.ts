import { GitopsInputError } from "../read/errors";
import { ChartProvider, K8sObject, KustomizationNode, SourceLocation, Unresolved } from "../model";
import { CLUSTER_VARS_CONFIGMAP } from "./cluster-vars";
import { applyPatches, climbsAboveRoot, fluxPath, fluxSpecPatches, resolvePath } from "../kustomize";
import { holdsUnknownValue, withUnknownValuesAsVariables } from "../kustomize/varsub";
import { ClusterVarsOrigin, DataLookup, substitutedObject, substitutionOf } from "./substitution";
import { expandResourceSets } from "./resourceset";
import { BootstrapMode } from "../model";
import { SourceResolver, SourceVerdict, SourceView } from "../read/sources";
import { builtinGroups, chartNameOf, providerTable } from "../charts/table";
import { ChartKnowledge, releaseChart, ReleaseChart } from "../charts/release";
import { Repo } from "../read/repo";
import { isRecord } from "../read/yaml";

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
  /**
   * Whether the Kustomization's readiness includes this release's: `wait: true`, or a
   * `healthChecks` entry naming it. (`healthCheckExprs` only say how a checked object is judged,
   * so they add no coverage: kustomize-controller docs/spec/v1/kustomizations.md.)
   */
  waited: boolean;
  /** What the chart knowledge rests on, per group reasons, undecidable groups, a missing lock entry (gitops/charts/release.ts). */
  chartInfo?: ReleaseChart;
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
  /** Set on the root that applies the cluster path: how it was found. */
  root?: "committed" | "flux-instance" | "bootstrap";
  /** Where its source was read from, and what of the source could not be honoured offline. */
  sourceNotes: string[];
  /** What each ResourceSet it applies generated, or why it was not expanded, at the ResourceSet. */
  generatorNotes: { message: string; at: SourceLocation }[];
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

/** How the graph is read: which root runs the cluster path, and where sources are read from. */
export interface GraphOptions {
  bootstrap?: BootstrapMode;
  /** Resolves sourceRefs; by default only the bootstrap's GitRepository is this repository. */
  sources?: SourceResolver;
  /** The lock and charts fetched this run; without it charts are looked up in the table only. */
  charts?: ChartKnowledge;
  /** The variables the stack's cluster-vars supplies, when the stack bootstraps the cluster. */
  clusterVars?: ClusterVarsOrigin;
}

/** The root Kustomization that applies the cluster path, and how it was found. */
interface RootChoice {
  object: K8sObject;
  /** "committed": gotk-sync.yaml or a FluxInstance sync in the repository; "bootstrap": synthesised. */
  origin: "committed" | "flux-instance" | "bootstrap";
}

function fluxKustomizationObject(name: string, namespace: string, spec: Json, source: { file: string; line: number }): K8sObject {
  const body = { apiVersion: "kustomize.toolkit.fluxcd.io/v1", kind: "Kustomization", metadata: { name, namespace }, spec };
  return { apiVersion: body.apiVersion, kind: "Kustomization", group: "kustomize.toolkit.fluxcd.io", name, namespace, body, source };
}

/**
 * The FluxInstances of the cluster path: the objects, and those the `flux-instance` chart renders
 * from a HelmRelease's `values.instance` (its template writes `spec` from `.Values.instance.*`,
 * in the release's namespace).
 */
function fluxInstancesIn(objects: K8sObject[]): K8sObject[] {
  const lookup = (kind: string, namespace: string, name: string) => objects.find((o) => o.kind === kind && o.name === name && (o.namespace ?? namespace) === namespace);
  const instances: K8sObject[] = [];
  for (const o of objects) {
    if (o.kind === "FluxInstance" && o.group === "fluxcd.controlplane.io") instances.push(o);
    if (!isHelmRelease(o) || chartNameOf(o, lookup) !== "flux-instance") continue;
    const spec = isRecord(o.body.spec) ? o.body.spec : {};
    const values = isRecord(spec.values) ? spec.values : {};
    if (!isRecord(values.instance)) continue;
    const namespace = typeof spec.targetNamespace === "string" ? spec.targetNamespace : o.namespace ?? "flux-system";
    instances.push({ ...o, apiVersion: "fluxcd.controlplane.io/v1", kind: "FluxInstance", group: "fluxcd.controlplane.io", name: "flux", namespace, body: { spec: values.instance } });
  }
  return instances;
}

/**
 * The root that really runs the cluster path. With `bootstrap: "stack"` it is the one our
 * FluxBootstrap creates (substituted from cluster-vars). Otherwise the committed one: a Flux
 * Kustomization in the cluster path whose path is the cluster path (`flux bootstrap`'s
 * gotk-sync.yaml), or the Kustomization a FluxInstance `spec.sync` creates (named `sync.name`,
 * default flux-system, patched by `spec.kustomize.patches`), or, with neither, a root without
 * substitution.
 */
function chooseRoot(repo: Repo, cluster: string, objects: K8sObject[], mode: BootstrapMode, sources: SourceResolver): RootChoice {
  const at = { file: cluster, line: 0 };
  let committed: K8sObject | undefined;
  for (const o of objects) {
    if (!isFluxKustomization(o)) continue;
    const spec = isRecord(o.body.spec) ? o.body.spec : {};
    if (typeof spec.path !== "string" || spec.path.includes("${")) continue;
    let target: string;
    try {
      target = fluxPath(repo, spec.path);
    } catch {
      continue;
    }
    if (target !== cluster) continue;
    committed = o;
    const ref = isRecord(spec.sourceRef) ? spec.sourceRef : {};
    if (typeof ref.name === "string") {
      const kind = typeof ref.kind === "string" ? ref.kind : "GitRepository";
      const ns = typeof ref.namespace === "string" && ref.namespace !== "" ? ref.namespace : o.namespace ?? "flux-system";
      const id = `${kind}/${ns}/${ref.name}`;
      sources.addSelfSource(id, objects.find((s) => s.kind === kind && s.name === ref.name && (s.namespace ?? ns) === ns));
    }
    break;
  }
  let fromInstance: K8sObject | undefined;
  for (const o of fluxInstancesIn(objects)) {
    const spec = isRecord(o.body.spec) ? o.body.spec : {};
    if (!isRecord(spec.sync)) continue;
    const sync = spec.sync;
    const namespace = o.namespace ?? "flux-system";
    // The Flux Operator names the sync's source and Kustomization sync.name, by default the
    // FluxInstance's namespace (flux-operator internal/controller/fluxinstance_controller.go@17c6aea).
    const name = typeof sync.name === "string" && sync.name !== "" ? sync.name : namespace;
    const kind = typeof sync.kind === "string" ? sync.kind : "GitRepository";
    sources.addSelfSource(`${kind}/${namespace}/${name}`, undefined);
    if (typeof sync.url === "string" && kind === "GitRepository") {
      sources.addSelfSource(`${kind}/${namespace}/${name}`, { ...o, kind, body: { spec: { url: sync.url } } });
    }
    const ks = fluxKustomizationObject(name, namespace, {
      path: typeof sync.path === "string" ? sync.path : cluster,
      sourceRef: { kind, name },
    }, o.source);
    const kustomize = isRecord(spec.kustomize) ? spec.kustomize : {};
    fromInstance = applyPatches([ks], fluxSpecPatches({ patches: kustomize.patches }, o.source))[0] ?? ks;
    break;
  }
  if (mode === "stack") {
    // FluxBootstrap's root: the cluster path, substituted from cluster-vars (components/flux-bootstrap.ts).
    const name = committed?.name ?? "flux-system";
    const namespace = committed?.namespace ?? "flux-system";
    return {
      object: fluxKustomizationObject(name, namespace, {
        path: `./${cluster}`,
        sourceRef: { kind: "GitRepository", name: "flux-system" },
        postBuild: { substituteFrom: [{ kind: "ConfigMap", name: CLUSTER_VARS_CONFIGMAP }] },
      }, committed?.source ?? at),
      origin: "bootstrap",
    };
  }
  if (committed !== undefined) return { object: committed, origin: "committed" };
  if (fromInstance !== undefined) return { object: fromInstance, origin: "flux-instance" };
  return { object: fluxKustomizationObject("flux-system", "flux-system", { path: `./${cluster}`, sourceRef: { kind: "GitRepository", name: "flux-system" } }, at), origin: "bootstrap" };
}

/**
 * The Flux Kustomizations of a cluster: the root that applies `clusterPath` (a node of its own, so
 * the HelmReleases and custom resources directly in the cluster path are checked as its objects),
 * those it applies and, recursively, those their paths apply when their source can be read (this
 * repository under any name, a mapped directory, or an ExternalArtifact replayed from its
 * ArtifactGenerator). Other sources are recorded as unresolved. The root is the last node.
 */
export function buildClusterGraph(repo: Repo, clusterPath: string, providers: ChartProvider[] = [], options: GraphOptions = {}): GraphNode[] {
  const cluster = repo.normalize(clusterPath);
  if (!repo.isDirectory(cluster)) {
    throw new GitopsInputError(`cluster directory ${cluster || "."} does not exist in ${repo.root}`);
  }
  const sources = options.sources ?? new SourceResolver(repo, { rootSources: [BOOTSTRAP_SOURCE] });
  const rootResolution = resolvePath(repo, cluster);
  const choice = chooseRoot(repo, cluster, rootResolution.objects, options.bootstrap ?? "committed", sources);
  const rootSpec = isRecord(choice.object.body.spec) ? choice.object.body.spec : {};
  const rootNs = choice.object.namespace ?? "flux-system";
  // ConfigMaps and Secrets read so far, for the substituteFrom of the Kustomizations that apply
  // children; ResourceSetInputProviders, for the ResourceSets.
  const data = new Map<string, K8sObject>();
  const inputProviders = new Map<string, K8sObject>();
  const remember = (objects: K8sObject[], namespace: string) => {
    for (const o of objects) {
      if (o.group === "" && (o.kind === "ConfigMap" || o.kind === "Secret")) data.set(`${o.kind}/${o.namespace ?? namespace}/${o.name}`, o);
      if (o.kind === "ResourceSetInputProvider" && o.group === "fluxcd.controlplane.io") inputProviders.set(`${o.namespace ?? namespace}/${o.name}`, { ...o, namespace: o.namespace ?? namespace });
    }
  };
  const lookup: DataLookup = (kind, namespace, name) => data.get(`${kind}/${namespace}/${name}`);
  // What the ResourceSets a Kustomization applies generate, from the ResourceSets as it applies them (substituted).
  const withGenerated: ExpandObjects = (objects, spec, namespace) => {
    if (!objects.some((o) => o.kind === "ResourceSet")) return { objects, notes: [] };
    remember(objects, namespace);
    const substitution = substitutionOf(spec, namespace, lookup, options.clusterVars ?? {});
    const applied = objects.map((o) => (o.kind === "ResourceSet" ? substitutedObject({ ...o, namespace: o.namespace ?? namespace }, substitution) : o));
    const expansion = expandResourceSets(applied, (ns) => [...inputProviders.values()].filter((p) => p.namespace === ns));
    return { objects: [...objects, ...expansion.objects], notes: expansion.notes };
  };
  const rootRead = withGenerated(rootResolution.objects.filter((o) => o !== choice.object), rootSpec, rootNs);
  const rootObjects = rootRead.objects;
  const rootNode = nodeFromObjects(choice.object, rootSpec, rootNs, rootObjects, [...rootResolution.unresolved], undefined);
  rootNode.root = choice.origin;
  rootNode.generatorNotes = rootRead.notes;
  sources.register(rootObjects, rootNs);
  remember(rootObjects, rootNs);
  // A parent's post-build substitution runs over the child Kustomization objects it applies, before
  // the child is built: the child sees the parent's values, never its `${VAR}`s.
  const asApplied = (child: K8sObject, parent: GraphNode): K8sObject =>
    substitutedObject(child, substitutionOf(parent.spec, parent.namespace, lookup, options.clusterVars ?? {}));
  const rootId = rootNode.id;
  const nodes: GraphNode[] = [];
  const pending: { ks: K8sObject; parent: GraphNode; ancestors: Set<string> }[] = [];
  const visit = (ks: K8sObject, parent: GraphNode, ancestors: Set<string>, final: boolean): void => {
    const ref = sourceRefOf(ks);
    const verdict = ref === undefined ? { kind: "unread" as const, why: "(no sourceRef)" } : sources.resolve(ref) ?? (final ? sources.unknown(ref) : undefined);
    if (verdict === undefined) {
      pending.push({ ks, parent, ancestors });
      return;
    }
    const node = nodeOf(repo, ks, parent, cluster, verdict, withGenerated);
    nodes.push(node);
    sources.register(node.objects, node.namespace);
    remember(node.objects, node.namespace);
    if (ancestors.has(node.id)) return; // a Kustomization that applies itself: do not loop
    const inner = new Set(ancestors).add(node.id);
    for (const child of node.objects) if (isFluxKustomization(child)) visit(asApplied(child, node), node, inner, final);
  };
  const top = new Set([rootId]);
  for (const o of rootObjects) {
    if (!isFluxKustomization(o)) continue;
    // The committed root (or a copy of the bootstrap's) is the root node, not a child of it.
    if (`${o.namespace ?? "default"}/${o.name}` === rootId && choice.origin !== "flux-instance") continue;
    visit(asApplied(o, rootNode), rootNode, top, false);
  }
  // Sources defined by Kustomizations read later: retry until nothing new resolves, then give up.
  for (let before = Infinity; pending.length > 0;) {
    const retry = pending.splice(0);
    const final = retry.length >= before;
    before = retry.length;
    for (const p of retry) visit(p.ks, p.parent, p.ancestors, final);
  }
  nodes.push(rootNode);
  if (options.charts !== undefined) readLockedRemotes(nodes, options.charts);
  annotateProviders(nodes, providerTable(providers), options.charts, sources);
  return nodes;
}

function sourceRefOf(ks: K8sObject): string | undefined {
  const spec = isRecord(ks.body.spec) ? ks.body.spec : {};
  const ref = isRecord(spec.sourceRef) ? spec.sourceRef : {};
  const namespace = ks.namespace ?? "default";
  return typeof ref.name === "string"
    ? `${typeof ref.kind === "string" ? ref.kind : "GitRepository"}/${typeof ref.namespace === "string" && ref.namespace !== "" ? ref.namespace : namespace}/${ref.name}`
    : undefined;
}

/** A Kustomization's objects with what its ResourceSets generate, and a note on each ResourceSet. */
type ExpandObjects = (objects: K8sObject[], spec: Json, namespace: string) => { objects: K8sObject[]; notes: GraphNode["generatorNotes"] };

function nodeOf(repo: Repo, ks: K8sObject, parent: GraphNode, cluster: string, verdict: SourceVerdict, withGenerated: ExpandObjects): GraphNode {
  const spec = isRecord(ks.body.spec) ? ks.body.spec : {};
  const namespace = ks.namespace ?? "default";
  const unresolved: Unresolved[] = [];
  const sourceRef = sourceRefOf(ks);
  const rawPath = typeof spec.path === "string" && spec.path.trim() !== "" ? spec.path : undefined;
  const path = rawPath;
  let objects: K8sObject[] = [];
  const notes: string[] = [];
  if (verdict.kind === "unread") {
    unresolved.push({ reason: "external-source", ref: sourceRef ?? "(no sourceRef)", source: ks.source });
    notes.push(verdict.why);
  } else if (path === undefined && verdict.view.repo === repo) {
    unresolved.push({ reason: "missing-path", ref: "(spec.path not set)", source: ks.source });
  } else if (path === undefined) {
    // An unset spec.path is the source's root: the usual form for an artifact built for one purpose.
    objects = readPath(repo, verdict.view, ".", ks, spec, cluster, unresolved);
  } else if (holdsUnknownValue(path)) {
    // Substituted by its parent, from a source whose values cannot be read offline.
    unresolved.push({ reason: "unsubstituted-path", ref: `${withUnknownValuesAsVariables(path)} (its parent substitutes it from values this check cannot read)`, source: ks.source });
  } else if (path.includes("${")) {
    unresolved.push({ reason: "unsubstituted-path", ref: path, source: ks.source });
  } else {
    objects = readPath(repo, verdict.view, path, ks, spec, cluster, unresolved);
    if (climbsAboveRoot(path)) {
      notes.push(`spec.path ${path} climbs above the source root; Flux joins it securely, so it reads ${fluxPath(verdict.view.repo, path) || "."}`);
    }
  }
  if (verdict.kind === "read") {
    notes.push(...verdict.notes);
  }
  const generated = withGenerated(objects, spec, namespace);
  const node = nodeFromObjects(ks, spec, namespace, generated.objects, unresolved, parent);
  node.generatorNotes = generated.notes;
  node.path = rawPath;
  node.sourceRef = sourceRef;
  node.sourceNotes = notes;
  return node;
}

/** The objects `specPath` applies in a readable source, after the Kustomization's own patches and namespace. */
function readPath(repo: Repo, view: SourceView, specPath: string, ks: K8sObject, spec: Json, cluster: string, unresolved: Unresolved[]): K8sObject[] {
  let target: string;
  try {
    target = fluxPath(view.repo, specPath);
  } catch (e) {
    if (e instanceof GitopsInputError) throw new GitopsInputError(`spec.path ${specPath}: ${e.message}`, ks.source.file, ks.source.line);
    throw e;
  }
  // The bootstrap's own Kustomization, when committed (flux bootstrap's gotk-sync.yaml), is the root.
  if (view.repo === repo && target === cluster) return [];
  // The spec's patches, targetNamespace, name affixes, components and images go into the
  // kustomization kustomize-controller builds, so they take their place in kustomize's order.
  const resolved = resolvePath(view.repo, target, view.ignore === undefined ? {} : { ignore: view.ignore }, { spec, source: ks.source });
  const fromElsewhere = view.repo !== repo;
  const relocate = <T extends { source: { file: string; line: number } }>(x: T): T =>
    fromElsewhere && view.origin !== undefined ? { ...x, source: { ...x.source, file: view.origin(x.source.file) } } : x;
  for (const u of resolved.unresolved) {
    unresolved.push(u.reason === "missing-path" && u.ref === target ? { ...u, ref: specPath, source: ks.source } : relocate(u));
  }
  return withCommonMetadata(resolved.objects.map(relocate), spec.commonMetadata);
}

/**
 * `spec.commonMetadata`, which kustomize-controller sets on every object after the build
 * (kustomization_controller.go, fluxcd/pkg ssa/utils SetCommonMetadata): labels and annotations
 * added to the metadata only, the spec's winning over the object's.
 */
function withCommonMetadata(objects: K8sObject[], common: unknown): K8sObject[] {
  if (!isRecord(common)) return objects;
  const strings = (value: unknown): Record<string, string> =>
    isRecord(value) ? Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === "string")) : {};
  const labels = strings(common.labels);
  const annotations = strings(common.annotations);
  if (Object.keys(labels).length === 0 && Object.keys(annotations).length === 0) return objects;
  return objects.map((o) => {
    const metadata = isRecord(o.body.metadata) ? { ...o.body.metadata } : {};
    if (Object.keys(labels).length > 0) metadata.labels = { ...(isRecord(metadata.labels) ? metadata.labels : {}), ...labels };
    if (Object.keys(annotations).length > 0) metadata.annotations = { ...(isRecord(metadata.annotations) ? metadata.annotations : {}), ...annotations };
    return { ...o, body: { ...o.body, metadata } };
  });
}

/** A graph node over objects already read. */
function nodeFromObjects(ks: K8sObject, spec: Json, namespace: string, objects: K8sObject[], unresolved: Unresolved[], parent: GraphNode | undefined): GraphNode {
  const id = `${namespace}/${ks.name}`;
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
    if (childId === id) continue;
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
    path: typeof spec.path === "string" ? spec.path : undefined,
    sourceRef: sourceRefOf(ks),
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
    sourceNotes: [],
    generatorNotes: [],
  };
}

/**
 * Remote resources (https:// in a kustomization) the lock has read: the CRD groups each defines
 * count as the Kustomization's own, exactly, and the resource is no longer hidden.
 */
function readLockedRemotes(nodes: GraphNode[], charts: ChartKnowledge): void {
  if (charts.remote.length === 0) return;
  const byUrl = new Map(charts.remote.map((r) => [r.url, r]));
  for (const n of nodes) {
    if (!n.unresolved.some((u) => u.reason === "remote-resource")) continue;
    const groups = new Set(n.crdGroups);
    n.unresolved = n.unresolved.filter((u) => {
      const locked = u.reason === "remote-resource" ? byUrl.get(u.ref) : undefined;
      if (locked === undefined) return true;
      for (const g of locked.groups) groups.add(g);
      n.sourceNotes.push(`remote resource ${u.ref} read from the lock (${locked.digest}): ${locked.groups.length === 0 ? "no CRDs" : `CRDs of ${locked.groups.join(", ")}`}`);
      return false;
    });
    n.crdGroups = [...groups].sort();
  }
}

/** Kinds a HelmRelease's chart and values may come from, looked up across the whole graph. */
const CHART_INPUT_KINDS = new Set(["OCIRepository", "HelmChart", "HelmRepository", "ConfigMap", "Secret"]);

/**
 * Fills in the HelmReleases' chart groups: from the chart itself when it is read (the lock, a chart
 * in a readable source), else from the table (gitops/charts/release.ts). chartRef sources, and the
 * ConfigMaps and Secrets of `valuesFrom`, may live in any Kustomization.
 */
function annotateProviders(nodes: GraphNode[], table: Map<string, ChartProvider>, charts: ChartKnowledge | undefined, sources: SourceResolver): void {
  const objects = new Map<string, K8sObject>();
  for (const n of nodes) {
    for (const o of n.objects) {
      if (CHART_INPUT_KINDS.has(o.kind)) objects.set(`${o.kind}/${o.namespace ?? n.namespace}/${o.name}`, o);
    }
  }
  const lookup = (kind: string, namespace: string, name: string) => objects.get(`${kind}/${namespace}/${name}`);
  for (const n of nodes) {
    const provides = new Set(n.crdGroups);
    for (const object of n.objects) {
      if (!isHelmRelease(object)) continue;
      const info = releaseChart(object, lookup, table, charts, sources, chartNameOf(object, lookup));
      const waited = n.spec.wait === true
        || covered(healthChecksOf(n.spec), { kind: "HelmRelease", name: object.name, namespace: object.namespace ?? n.namespace });
      n.helmReleases.push({ object, chart: info.chart, known: info.known, groups: info.groups, skipped: info.skipped, waited, chartInfo: info });
      for (const g of info.groups) provides.add(g);
    }
    n.providesGroups = [...provides].sort();
  }
}
