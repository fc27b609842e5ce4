import * as path from "path";
import ignore, { Ignore } from "ignore";
import { GitopsInputError } from "./errors";
import { K8sObject, SourceLocation, Unresolved } from "./model";
import { Repo } from "./repo";
import { isRecord, parseManifests, parseYamlDocuments, parseYamlMapping } from "./yaml";

/** What a path applies: the objects kustomize would emit, and what could not be read offline. */
export interface Resolution {
  objects: K8sObject[];
  unresolved: Unresolved[];
}

type Json = Record<string, unknown>;


function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/** The names kustomize recognises, in its order (sigs.k8s.io/kustomize/api/konfig). */
export const KUSTOMIZATION_FILE_NAMES = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/** The kustomization file of a directory, or undefined when it has none. */
export function kustomizationFileIn(repo: Repo, dir: string): string | undefined {
  for (const name of KUSTOMIZATION_FILE_NAMES) {
    const file = repo.join(dir, name);
    if (repo.isFile(file)) return file;
  }
  return undefined;
}

/**
 * Files source-controller leaves out of the artifact, so neither kustomize nor Flux's generator
 * ever sees them: the default patterns plus every `.sourceignore`, scoped to its directory
 * (https://github.com/fluxcd/pkg/blob/main/sourceignore/sourceignore.go).
 */
const DEFAULT_SOURCE_IGNORES = [
  ".git/", ".gitignore", ".gitmodules", ".gitattributes",
  "*.jpg", "*.jpeg", "*.gif", "*.png", "*.wmv", "*.flv", "*.tar.gz", "*.zip",
  ".github/", ".circleci/", ".travis.yml", ".gitlab-ci.yml", "appveyor.yml", ".drone.yml",
  "cloudbuild.yaml", "codeship-services.yml", "codeship-steps.yml",
  "**/.goreleaser.yml", "**/.sops.yaml", "**/.flux.yaml",
];

class SourceIgnore {
  private readonly matchers = new Map<string, Ignore | null>();

  constructor(private readonly repo: Repo) {}

  private matcherOf(dir: string): Ignore | null {
    let m = this.matchers.get(dir);
    if (m === undefined) {
      const file = this.repo.join(dir, ".sourceignore");
      const own = this.repo.isFile(file) ? this.repo.readText(file) : undefined;
      m = dir === "" ? ignore().add(DEFAULT_SOURCE_IGNORES) : own === undefined ? null : ignore();
      if (m !== null && own !== undefined) m.add(own);
      this.matchers.set(dir, m);
    }
    return m;
  }

  private readonly verdicts = new Map<string, boolean>();

  /** Whether `p` is left out of the artifact: it or a directory above it is ignored. */
  ignored(p: string, isDirectory: boolean): boolean {
    const parts = p.split("/");
    for (let k = 1; k <= parts.length; k++) {
      if (this.entryIgnored(parts.slice(0, k), k < parts.length || isDirectory)) return true;
    }
    return false;
  }

  /** One entry, against the root's and each ancestor's patterns; deeper files win, as in git. */
  private entryIgnored(parts: string[], isDirectory: boolean): boolean {
    const key = parts.join("/") + (isDirectory ? "/" : "");
    let result = this.verdicts.get(key);
    if (result === undefined) {
      result = false;
      for (let i = 0; i < parts.length; i++) {
        const m = this.matcherOf(parts.slice(0, i).join("/"));
        if (m === null) continue;
        const t = m.test(parts.slice(i).join("/") + (isDirectory ? "/" : ""));
        if (t.ignored) result = true;
        else if (t.unignored) result = false;
      }
      this.verdicts.set(key, result);
    }
    return result;
  }
}

/** Per-repository caches: each file is parsed once and each directory resolved once. */
interface Session {
  ignore: SourceIgnore;
  manifests: Map<string, K8sObject[]>;
  directories: Map<string, Resolution>;
  /** Directories being resolved, to refuse a kustomization that includes itself. */
  resolving: Set<string>;
}

const sessions = new WeakMap<Repo, Session>();

function sessionOf(repo: Repo): Session {
  let s = sessions.get(repo);
  if (s === undefined) {
    s = { ignore: new SourceIgnore(repo), manifests: new Map(), directories: new Map(), resolving: new Set() };
    sessions.set(repo, s);
  }
  return s;
}

function manifestsOf(repo: Repo, file: string): K8sObject[] {
  const s = sessionOf(repo);
  let objects = s.manifests.get(file);
  if (objects === undefined) {
    objects = parseManifests(repo.readText(file), file);
    s.manifests.set(file, objects);
  }
  return objects;
}

/** The 1-based line where `needle` first appears in a file (for pointing at a reference). */
function lineOf(repo: Repo, file: string, needle: string): number {
  const text = repo.readText(file);
  const at = text.indexOf(needle);
  if (at < 0) return 1;
  let line = 1;
  for (let i = 0; i < at; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** A remote base or resource: a URL, a git shorthand, or a host-qualified path not in the repo. */
function isRemote(repo: Repo, dir: string, ref: string): boolean {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(ref) || ref.startsWith("git@") || ref.startsWith("git::")) return true;
  if (!/^[a-z0-9-]+(\.[a-z0-9-]+)+\//i.test(ref)) return false;
  try {
    return !repo.exists(repo.join(dir, ref));
  } catch {
    return true;
  }
}

/**
 * What `path` applies when Flux points a Kustomization at it: the kustomize build of its
 * kustomization file or, when it has none, of the file Flux's kustomize-controller generates.
 * Cached per repository; the returned arrays are shared, never mutate them.
 */
export function resolvePath(repo: Repo, p: string): Resolution {
  const rel = repo.normalize(p);
  const where: SourceLocation = { file: rel, line: 1 };
  if (!repo.exists(rel) || sessionOf(repo).ignore.ignored(rel, repo.isDirectory(rel))) {
    return { objects: [], unresolved: [{ reason: "missing-path", ref: rel, source: where }] };
  }
  if (repo.isFile(rel)) return { objects: manifestsOf(repo, rel), unresolved: [] };
  return resolveDirectory(repo, rel);
}

/** A directory's build: its kustomization file, or the one Flux generates when it has none. */
function resolveDirectory(repo: Repo, dir: string): Resolution {
  const s = sessionOf(repo);
  const cached = s.directories.get(dir);
  if (cached !== undefined) return cached;
  const kfile = kustomizationFileIn(repo, dir);
  if (s.resolving.has(dir)) {
    throw new GitopsInputError(`kustomization includes itself (cycle through ${dir})`, kfile ?? dir, 1);
  }
  s.resolving.add(dir);
  try {
    const result = kfile === undefined ? generatedDirectory(repo, dir) : kustomizationDirectory(repo, dir, kfile);
    s.directories.set(dir, result);
    return result;
  } finally {
    s.resolving.delete(dir);
  }
}

/**
 * The kustomization Flux generates for a directory without one: walk the tree in lexical order,
 * a subdirectory holding a kustomization file is one directory resource (not descended into),
 * other files count only when they end in `.yaml` or `.yml`
 * (https://github.com/fluxcd/pkg/blob/main/kustomize/kustomize_generator.go, generateKustomization).
 */
function generatedDirectory(repo: Repo, dir: string): Resolution {
  const s = sessionOf(repo);
  const result: Resolution = { objects: [], unresolved: [] };
  const walk = (current: string): void => {
    for (const entry of repo.list(current)) {
      if (s.ignore.ignored(entry.path, entry.isDirectory)) continue;
      if (entry.isDirectory) {
        if (kustomizationFileIn(repo, entry.path) !== undefined) append(result, resolveDirectory(repo, entry.path));
        else walk(entry.path);
      } else if (entry.name.endsWith(".yaml") || entry.name.endsWith(".yml")) {
        result.objects.push(...manifestsOf(repo, entry.path));
      }
    }
  };
  walk(dir);
  return result;
}

function append(into: Resolution, from: Resolution): void {
  for (const o of from.objects) into.objects.push(o);
  for (const u of from.unresolved) into.unresolved.push(u);
}

/** A `resources`/`bases`/`components` entry: a file, a directory with a kustomization, or remote. */
function resolveReference(repo: Repo, dir: string, kfile: string, ref: string): Resolution {
  const source = (): SourceLocation => ({ file: kfile, line: lineOf(repo, kfile, ref) });
  const unresolved = (reason: string): Resolution => ({ objects: [], unresolved: [{ reason, ref, source: source() }] });
  if (isRemote(repo, dir, ref)) return unresolved("remote-resource");
  let target: string;
  let exists: boolean;
  try {
    target = repo.join(dir, ref);
    exists = repo.exists(target) && !sessionOf(repo).ignore.ignored(target, repo.isDirectory(target));
  } catch (e) {
    // A reference out of the repository (`../..`, a symlink): say which kustomization line holds it.
    if (e instanceof GitopsInputError) throw new GitopsInputError(e.message, kfile, source().line);
    throw e;
  }
  if (!exists) return unresolved("missing-path");
  if (repo.isFile(target)) return { objects: manifestsOf(repo, target), unresolved: [] };
  // kustomize refuses a directory resource without a kustomization file; only the top of a
  // Flux spec.path gets a generated one.
  if (kustomizationFileIn(repo, target) === undefined) return unresolved("not-a-kustomization");
  return resolveDirectory(repo, target);
}

function kustomizationDirectory(repo: Repo, dir: string, kfile: string): Resolution {
  const { data: k } = parseYamlMapping(repo.readText(kfile), kfile);
  const result: Resolution = { objects: [], unresolved: [] };
  for (const ref of [...strings(k.resources), ...strings(k.bases)]) {
    append(result, resolveReference(repo, dir, kfile, ref));
  }
  for (const ref of strings(k.components)) append(result, resolveReference(repo, dir, kfile, ref));
  if (Array.isArray(k.helmCharts)) {
    for (const chart of k.helmCharts) {
      const name = isRecord(chart) && typeof chart.name === "string" ? chart.name : "?";
      result.unresolved.push({ reason: "helm-charts", ref: name, source: { file: kfile, line: lineOf(repo, kfile, name) } });
    }
  }
  const generated = generatedObjects(k, kfile, (name) => lineOf(repo, kfile, `name: ${name}`));
  let objects = [...result.objects, ...generated];
  objects = applyPatches(objects, kustomizationPatches(repo, dir, kfile, k));
  if (typeof k.namespace === "string" && k.namespace !== "") objects = withNamespace(objects, k.namespace);
  const prefix = typeof k.namePrefix === "string" ? k.namePrefix : "";
  const suffix = typeof k.nameSuffix === "string" ? k.nameSuffix : "";
  if (prefix !== "" || suffix !== "") objects = withNameAffixes(objects, prefix, suffix);
  result.objects = objects;
  return result;
}

/**
 * ConfigMaps and Secrets from `configMapGenerator`/`secretGenerator`. Names are given without
 * kustomize's content-hash suffix (computing it needs every literal and file byte-exact);
 * `behavior: merge|replace` changes an existing object and creates none.
 */
function generatedObjects(k: Json, kfile: string, lineOfName: (name: string) => number): K8sObject[] {
  const out: K8sObject[] = [];
  const generators: [unknown, string][] = [[k.configMapGenerator, "ConfigMap"], [k.secretGenerator, "Secret"]];
  for (const [list, kind] of generators) {
    if (!Array.isArray(list)) continue;
    for (const g of list) {
      if (!isRecord(g) || typeof g.name !== "string") continue;
      if (g.behavior === "merge" || g.behavior === "replace") continue;
      const namespace = typeof g.namespace === "string" && g.namespace !== "" ? g.namespace : undefined;
      const metadata: Json = { name: g.name, ...(namespace === undefined ? {} : { namespace }) };
      out.push({
        apiVersion: "v1",
        kind,
        group: "",
        name: g.name,
        namespace,
        body: { apiVersion: "v1", kind, metadata },
        source: { file: kfile, line: lineOfName(g.name) },
      });
    }
  }
  return out;
}

/** A patch and the objects it applies to. */
export interface Patch {
  /** Strategic merge (a mapping) or JSON 6902 operations (a list). */
  body: Json | unknown[];
  target?: Json;
}

function kustomizationPatches(repo: Repo, dir: string, kfile: string, k: Json): Patch[] {
  const patches: Patch[] = [];
  const load = (ref: string): unknown[] => {
    if (ref.includes("\n")) return parseYamlDocuments(ref, kfile).map((d) => d.data);
    const file = repo.join(dir, ref);
    if (!repo.isFile(file)) {
      throw new GitopsInputError(`patch file ${ref} does not exist`, kfile, lineOf(repo, kfile, ref));
    }
    return parseYamlDocuments(repo.readText(file), file).map((d) => d.data);
  };
  for (const ref of strings(k.patchesStrategicMerge)) {
    for (const body of load(ref)) if (isRecord(body)) patches.push({ body });
  }
  const entries = [
    ...(Array.isArray(k.patches) ? k.patches : []),
    ...(Array.isArray(k.patchesJson6902) ? k.patchesJson6902 : []),
  ];
  for (const entry of entries) {
    if (!isRecord(entry)) continue;
    const target = isRecord(entry.target) ? entry.target : undefined;
    const bodies = typeof entry.patch === "string" ? parseYamlDocuments(entry.patch, kfile).map((d) => d.data)
      : typeof entry.path === "string" ? load(entry.path) : [];
    for (const body of bodies) {
      if (isRecord(body) || Array.isArray(body)) patches.push({ body, target });
    }
  }
  return patches;
}

/** The patches of a Flux Kustomization's spec (`patches`, and the older `patchesStrategicMerge`/`patchesJson6902`). */
export function fluxSpecPatches(spec: Json): Patch[] {
  const patches: Patch[] = [];
  for (const body of Array.isArray(spec.patchesStrategicMerge) ? spec.patchesStrategicMerge : []) {
    if (isRecord(body)) patches.push({ body });
  }
  for (const entry of [
    ...(Array.isArray(spec.patches) ? spec.patches : []),
    ...(Array.isArray(spec.patchesJson6902) ? spec.patchesJson6902 : []),
  ]) {
    if (!isRecord(entry)) continue;
    const target = isRecord(entry.target) ? entry.target : undefined;
    let bodies: unknown[] = [];
    if (typeof entry.patch === "string") bodies = parseYamlDocuments(entry.patch, "<spec.patches>").map((d) => d.data);
    else if (Array.isArray(entry.patch)) bodies = [entry.patch];
    for (const body of bodies) if (isRecord(body) || Array.isArray(body)) patches.push({ body, target });
  }
  return patches;
}

/** A kustomize selector field: a regular expression matched against the whole value. */
function selectorMatches(pattern: unknown, value: string): boolean {
  if (typeof pattern !== "string" || pattern === "") return true;
  try {
    return new RegExp(`^(?:${pattern})$`).test(value);
  } catch {
    return pattern === value;
  }
}

function labelSelectorMatches(selector: unknown, labels: unknown): boolean {
  if (typeof selector !== "string" || selector.trim() === "") return true;
  const have = isRecord(labels) ? labels : {};
  return selector.split(",").every((term) => {
    const [key, value] = term.split("=").map((x) => x.trim());
    return value === undefined ? key in have : have[key] === value;
  });
}

function patchApplies(patch: Patch, o: K8sObject): boolean {
  const meta = isRecord(o.body.metadata) ? o.body.metadata : {};
  if (patch.target !== undefined) {
    const t = patch.target;
    const version = o.apiVersion.slice(o.apiVersion.indexOf("/") + 1);
    return selectorMatches(t.kind, o.kind) && selectorMatches(t.name, o.name)
      && selectorMatches(t.namespace, o.namespace ?? "") && (t.group === undefined || t.group === o.group)
      && (t.version === undefined || t.version === version)
      && labelSelectorMatches(t.labelSelector, meta.labels)
      && labelSelectorMatches(t.annotationSelector, meta.annotations);
  }
  if (Array.isArray(patch.body)) return false; // JSON 6902 needs a target
  const pmeta = isRecord(patch.body.metadata) ? patch.body.metadata : {};
  return patch.body.kind === o.kind && pmeta.name === o.name
    && (typeof pmeta.namespace !== "string" || pmeta.namespace === (o.namespace ?? ""));
}

/** Strategic merge as far as Flux and Helm objects need it: maps merge, lists and scalars replace, null deletes. */
function mergePatch(target: Json, patch: Json): Json {
  const out: Json = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (key === "$patch") continue;
    if (value === null) delete out[key];
    else if (isRecord(value) && isRecord(out[key])) out[key] = mergePatch(out[key] as Json, value);
    else out[key] = structuredClone(value);
  }
  return out;
}

function pointer(p: unknown): string[] {
  if (typeof p !== "string") return [];
  return p.split("/").slice(1).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** JSON 6902 `add`, `replace` and `remove` (the operations that change what an object says). */
function jsonPatch(target: Json, ops: unknown[]): Json {
  const out = structuredClone(target);
  for (const op of ops) {
    if (!isRecord(op)) continue;
    const keys = pointer(op.path);
    const last = keys.pop();
    if (last === undefined) continue;
    let node: unknown = out;
    for (const key of keys) {
      node = Array.isArray(node) ? node[Number(key)] : isRecord(node) ? node[key] : undefined;
    }
    if (Array.isArray(node)) {
      const index = last === "-" ? node.length : Number(last);
      if (op.op === "add") node.splice(index, 0, structuredClone(op.value));
      else if (op.op === "replace") node[index] = structuredClone(op.value);
      else if (op.op === "remove") node.splice(index, 1);
    } else if (isRecord(node)) {
      if (op.op === "add" || op.op === "replace") node[last] = structuredClone(op.value);
      else if (op.op === "remove") delete node[last];
    }
  }
  return out;
}

/** The object as read after its body changed: identity fields follow the new body. */
function rebuilt(o: K8sObject, body: Json): K8sObject {
  const meta = isRecord(body.metadata) ? body.metadata : {};
  return {
    ...o,
    body,
    name: typeof meta.name === "string" ? meta.name : o.name,
    namespace: typeof meta.namespace === "string" && meta.namespace !== "" ? meta.namespace : o.namespace,
  };
}

/**
 * A targeted patch's body without name and namespace: kustomize gives the patch the identity of
 * each object the target selects (api/krusty PatchTransformer), so the `_` placeholder of the
 * target-patch idiom never renames anything.
 */
function withoutIdentity(body: Json): Json {
  if (!isRecord(body.metadata)) return body;
  const { name: _name, namespace: _namespace, ...metadata } = body.metadata;
  return { ...body, metadata };
}

/** Objects after the patches; a strategic merge with `$patch: delete` removes its object. */
export function applyPatches(objects: K8sObject[], patches: Patch[]): K8sObject[] {
  if (patches.length === 0) return objects;
  const out: K8sObject[] = [];
  for (const o of objects) {
    let current: K8sObject | undefined = o;
    for (const patch of patches) {
      if (current === undefined || !patchApplies(patch, current)) continue;
      if (Array.isArray(patch.body)) current = rebuilt(current, jsonPatch(current.body, patch.body));
      else if (patch.body.$patch === "delete") current = undefined;
      else current = rebuilt(current, mergePatch(current.body, patch.target === undefined ? patch.body : withoutIdentity(patch.body)));
    }
    if (current !== undefined) out.push(current);
  }
  return out;
}

/** Kubernetes' cluster-scoped kinds: kustomize's namespace transformer leaves them alone. */
const CLUSTER_SCOPED_KINDS = new Set([
  "Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
  "StorageClass", "PriorityClass", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration",
  "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "MutatingAdmissionPolicy",
  "MutatingAdmissionPolicyBinding", "APIService", "CSIDriver", "CSINode", "VolumeAttachment", "IngressClass",
  "RuntimeClass", "PodSecurityPolicy", "CertificateSigningRequest", "FlowSchema", "PriorityLevelConfiguration",
  "ComponentStatus", "VolumeAttributesClass", "DeviceClass", "ClusterTrustBundle", "IPAddress", "ServiceCIDR",
]);

/** kustomize `namespace:`; it also renames Namespace objects to that namespace (kustomize v5). */
export function withNamespace(objects: K8sObject[], namespace: string): K8sObject[] {
  return objects.map((o) => {
    if (o.kind === "Namespace" && o.group === "") {
      return { ...o, name: namespace };
    }
    const builtin = o.group === "" || !o.group.includes(".") || o.group.endsWith(".k8s.io");
    if (builtin && CLUSTER_SCOPED_KINDS.has(o.kind)) return o;
    return { ...o, namespace };
  });
}

/** kustomize `namePrefix`/`nameSuffix`; CRDs, APIServices and Namespaces keep their names. */
function withNameAffixes(objects: K8sObject[], prefix: string, suffix: string): K8sObject[] {
  return objects.map((o) =>
    o.kind === "CustomResourceDefinition" || o.kind === "APIService" || (o.kind === "Namespace" && o.group === "")
      ? o
      : { ...o, name: `${prefix}${o.name}${suffix}` },
  );
}

/** Joins a source-relative Flux `spec.path` ("./apps/dev", "apps/dev/") to a repo path. */
export function fluxPath(repo: Repo, specPath: string): string {
  return repo.normalize(path.posix.normalize(specPath.replace(/^\.?\/+/, "") || "."));
}

/** A `${NAME}` reference in a manifest, as Flux's post-build substitution reads it. */
export interface VariableUse {
  name: string;
  /** `${NAME:=x}`, `${NAME:-x}`, `${NAME=x}`, `${NAME-x}`: never left empty. */
  hasDefault: boolean;
}

/** `$${NAME}` is Flux's escape for a literal `${NAME}`, so it is not a use. */
const VARIABLE = /\$(\$?)\{([_a-zA-Z][_a-zA-Z0-9]*)([^}]*)\}/g;

/**
 * The variables a string uses under Flux's postBuild substitution
 * (https://fluxcd.io/flux/components/kustomize/kustomizations/#post-build-variable-substitution).
 */
export function variableUses(text: string): VariableUse[] {
  if (!text.includes("${")) return [];
  const uses: VariableUse[] = [];
  for (const m of text.matchAll(VARIABLE)) {
    if (m[1] === "$") continue;
    uses.push({ name: m[2], hasDefault: /^:?[=-]/.test(m[3]) });
  }
  return uses;
}

/** The string with the variables whose values are known replaced (defaults apply); others stay. */
export function substituteKnown(text: string, values: ReadonlyMap<string, string>): string {
  if (!text.includes("${")) return text;
  return text.replace(VARIABLE, (whole, escape: string, name: string, rest: string) => {
    if (escape === "$") return whole;
    const value = values.get(name);
    if (value !== undefined) return value;
    const fallback = /^:?[=-](.*)$/.exec(rest);
    return fallback !== null ? fallback[1] : whole;
  });
}
