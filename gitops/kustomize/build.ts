import * as path from "path";
import { GitopsInputError } from "../read/errors";
import { K8sObject, SourceLocation, Unresolved, UnresolvedReason } from "../model";
import { Repo } from "../read/repo";
import { AS_KUSTOMIZE_READS, isRecord, parseManifests, parseYamlDocuments, parseYamlMappingDocuments } from "../read/yaml";
import { GeneratorError, runGenerators, withHashSuffixes } from "./configmaps";
import { kustomizationTypeErrors, typeErrorsIn } from "./fields";
import { fixNameReferences } from "./namereference";
import { loadConfigurations, mergeConfig, NO_CONFIGURATIONS, TransformerConfig } from "./config";
import { generatedResources, KUSTOMIZATION_FILE_NAMES, kustomizationFileIn } from "./generator";
import { cloneJson, effectiveNamespace, idOf, Json, withBody } from "./objects";
import { applyPatches, fluxPatchLists, Patch, patchesFromText, patchObjects } from "./patches";
import { SelectorError } from "./selector";
import { optionsKey, ResolveOptions, SourceIgnore } from "../read/sourceignore";
import { TransformError, withAnnotations, withImages, withLabels, withNameAffixes, withNamespace, withReplicas } from "./transformers";
import { readsAlikeInYaml11 } from "./yaml11";

/** What a path applies: the objects kustomize would emit, and what could not be read offline. */
export interface Resolution {
  objects: K8sObject[];
  unresolved: Unresolved[];
  /** The field specs `configurations:` of this kustomization and everything it accumulates add. */
  config?: TransformerConfig;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/** Per-repository, per-options caches: each file is parsed once and each directory resolved once. */
interface Session {
  repo: Repo;
  ignore: SourceIgnore;
  manifests: Map<string, K8sObject[]>;
  /** Kustomization files as read, by file: a file both referenced and built is parsed once. */
  kustomizations: Map<string, KustomizationFile>;
  /** A directory's accumulated build, before the top build's hash suffixes. */
  directories: Map<string, Resolution>;
  /** resolvePath results. */
  built: Map<string, Resolution>;
  /** Directories being resolved, to refuse a kustomization that includes itself. */
  resolving: Set<string>;
}

const sessions = new WeakMap<Repo, Map<string, Session>>();

function sessionOf(repo: Repo, options: ResolveOptions | undefined): Session {
  let byOptions = sessions.get(repo);
  if (byOptions === undefined) {
    byOptions = new Map();
    sessions.set(repo, byOptions);
  }
  const key = optionsKey(options);
  let s = byOptions.get(key);
  if (s === undefined) {
    s = { repo, ignore: new SourceIgnore(repo, options), manifests: new Map(), kustomizations: new Map(), directories: new Map(), built: new Map(), resolving: new Set() };
    byOptions.set(key, s);
  }
  return s;
}

function manifestsOf(s: Session, file: string): K8sObject[] {
  let objects = s.manifests.get(file);
  if (objects === undefined) {
    objects = parseManifests(s.repo.readText(file), file, AS_KUSTOMIZE_READS);
    s.manifests.set(file, objects);
  }
  return objects;
}

/** A file's line starts, and the first line of each list item (`- item`), built once per text. */
interface LineIndex {
  text: string;
  starts: number[];
  items: Map<string, number>;
}

const lineIndexes = new WeakMap<Repo, Map<string, LineIndex>>();

/** A list item as written on its line: `- "a.yaml" # note` is a.yaml. */
const LIST_ITEM = /^\s*-\s+(?:"([^"\\]*)"|'([^']*)'|([^#\s][^#]*?))\s*(?:#.*)?$/;

function lineIndexOf(repo: Repo, file: string): LineIndex {
  let byFile = lineIndexes.get(repo);
  if (byFile === undefined) {
    byFile = new Map();
    lineIndexes.set(repo, byFile);
  }
  const text = repo.readText(file);
  let index = byFile.get(file);
  if (index === undefined || index.text !== text) {
    const starts = [0];
    const items = new Map<string, number>();
    for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
    starts.forEach((start, n) => {
      const end = n + 1 < starts.length ? starts[n + 1] - 1 : text.length;
      const m = LIST_ITEM.exec(text.slice(start, end));
      const item = m === null ? undefined : m[1] ?? m[2] ?? m[3];
      if (item !== undefined && !items.has(item)) items.set(item, n + 1);
    });
    index = { text, starts, items };
    byFile.set(file, index);
  }
  return index;
}

/**
 * The 1-based line of a reference in a file: the list item written as `needle`, else where `needle`
 * first appears. Indexed once per file, so a kustomization of 30,000 missing resources is pointed
 * at in linear time, not by scanning the file from its start for each one.
 */
function lineOf(repo: Repo, file: string, needle: string): number {
  const index = lineIndexOf(repo, file);
  const item = index.items.get(needle);
  if (item !== undefined) return item;
  const at = index.text.indexOf(needle);
  if (at < 0) return 1;
  let low = 0;
  let high = index.starts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (index.starts[mid] <= at) low = mid;
    else high = mid - 1;
  }
  return low + 1;
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
 * `options.ignore` is the source's `spec.ignore`. Cached per repository and options; the
 * returned arrays are shared, never mutate them.
 */
export function resolvePath(repo: Repo, p: string, options?: ResolveOptions, flux?: FluxFields): Resolution {
  const s = sessionOf(repo, options);
  const rel = repo.normalize(p);
  const written = flux === undefined ? undefined : writtenFluxFields(flux.spec);
  const key = written === undefined ? rel : `${rel}\0${JSON.stringify(written)}`;
  const cached = s.built.get(key);
  if (cached !== undefined) return cached;
  const where: SourceLocation = { file: rel, line: 1 };
  let result: Resolution;
  if (!repo.exists(rel) || s.ignore.ignored(rel, repo.isDirectory(rel))) {
    result = { objects: [], unresolved: [{ reason: "missing-path", ref: rel, source: where }] };
  } else if (repo.isFile(rel)) {
    result = { objects: manifestsOf(s, rel), unresolved: [] };
    // kustomize-controller only builds directories; for a file the fields are applied after.
    if (written !== undefined && flux !== undefined) result = fieldsAppliedToFile(result, flux);
  } else {
    const accumulated = written === undefined || flux === undefined ? resolveDirectory(s, rel) : fluxTopDirectory(s, rel, { ...flux, spec: written });
    // The content hash goes on last, once, over the final body, then references follow the new
    // names (api/internal/target/kusttarget.go, makeCustomizedResMap).
    const references = fixNameReferences(withHashSuffixes(accumulated.objects), accumulated.config?.nameReference);
    const top = kustomizationFileIn(repo, rel);
    const objects = withBuildMetadata(top === undefined ? {} : readKustomization(s, rel, top).k, rel, references.objects.map(withoutEmptyAnnotations));
    result = { objects, unresolved: [...accumulated.unresolved, ...references.unresolved] };
  }
  s.built.set(key, result);
  return result;
}

/**
 * The top kustomization's `buildMetadata` (api/krusty/kustomizer.go Run, after the customized
 * resource map): `originAnnotations` records where each object came from, relative to the built
 * directory (api/resource/origin.go: `path:` of its file, or `configuredIn`/`configuredBy` of the
 * generator that made it), `managedByLabel` labels every object with the kustomize that built it
 * (`kustomize-(devel)` for a kustomize embedded in another program, as kubectl and Flux embed it;
 * api/provenance). `transformerAnnotations` is declined by the build (listed in MODELLED_FIELDS'
 * unsupported details).
 */
const isKustomizationFileName = (name: string) => KUSTOMIZATION_FILE_NAMES.includes(name);

function withBuildMetadata(k: Json, dir: string, objects: K8sObject[]): K8sObject[] {
  const options = strings(k.buildMetadata);
  const origin = options.includes("originAnnotations");
  const managedBy = options.includes("managedByLabel");
  if (!origin && !managedBy) return objects;
  return objects.map((o) => {
    const body = cloneJson(o.body);
    const meta = isRecord(body.metadata) ? body.metadata : (body.metadata = {});
    if (origin) {
      const from = path.posix.relative(dir === "." ? "" : dir, o.source.file);
      const generated = (o.kind === "ConfigMap" || o.kind === "Secret") && o.group === "" && isKustomizationFileName(path.posix.basename(o.source.file));
      const text = generated
        ? `configuredIn: ${from}\nconfiguredBy:\n  apiVersion: builtin\n  kind: ${o.kind}Generator\n`
        : `path: ${from}\n`;
      meta.annotations = { ...(isRecord(meta.annotations) ? meta.annotations : {}), "config.kubernetes.io/origin": text };
    }
    if (managedBy) meta.labels = { ...(isRecord(meta.labels) ? meta.labels : {}), "app.kubernetes.io/managed-by": "kustomize-(devel)" };
    return withBody(o, body);
  });
}

/**
 * kustomize clears `metadata.annotations` when it holds nothing (`annotations: null`, `{}`) as it
 * sets its own annotations on each resource (kyaml/yaml/kfns.go ClearEmptyAnnotations, called by
 * AnnotationSetter; kyaml v0.21.1); `labels: {}` stays.
 */
function withoutEmptyAnnotations(o: K8sObject): K8sObject {
  const meta = o.body.metadata;
  if (!isRecord(meta) || !("annotations" in meta)) return o;
  const annotations = meta.annotations;
  if ((isRecord(annotations) || Array.isArray(annotations)) && Object.keys(annotations).length > 0) return o;
  const { annotations: _, ...rest } = meta;
  return withBody(o, { ...o.body, metadata: rest });
}

/**
 * A Flux Kustomization's spec, for the fields kustomize-controller writes into the kustomization
 * file it builds (fluxcd/pkg kustomize/kustomize_generator.go, Generator.GenerateManifest):
 * `targetNamespace`, `namePrefix` and `nameSuffix` replace the file's own; `patches`,
 * `components`, the older `patchesStrategicMerge`/`patchesJson6902` and `images` are added to its
 * lists. So they take their place in kustomize's order: a `spec.patches` entry targets names
 * before the file's `namePrefix` is added, and `targetNamespace` is the namespace transformer's.
 */
export interface FluxFields {
  spec: Json;
  /** The Flux Kustomization, for pointing at a problem in its fields. */
  source: SourceLocation;
}

const WRITTEN_FIELDS = ["targetNamespace", "namePrefix", "nameSuffix", "patches", "patchesStrategicMerge", "patchesJson6902", "components", "ignoreMissingComponents", "images"];

/** The spec's fields the generator writes into the kustomization; undefined when it writes none. */
function writtenFluxFields(spec: Json): Json | undefined {
  const out: Json = {};
  for (const field of WRITTEN_FIELDS) {
    const value = spec[field];
    const set = typeof value === "string" ? value !== "" : Array.isArray(value) ? value.length > 0 : false;
    if (set) out[field] = value;
  }
  if (Object.keys(out).length === 0 || (Object.keys(out).length === 1 && out.ignoreMissingComponents !== undefined)) return undefined;
  if (spec.ignoreMissingComponents === true) out.ignoreMissingComponents = true;
  return out;
}

/** The kustomization's `images` with the spec's merged in by name, as the generator merges them. */
function mergedImages(own: unknown, spec: Json): unknown[] {
  const images = (Array.isArray(own) ? own : []).map((i) => (isRecord(i) ? { ...i } : i));
  for (const image of Array.isArray(spec.images) ? spec.images : []) {
    if (!isRecord(image) || typeof image.name !== "string") continue;
    const existing = images.find((i): i is Json => isRecord(i) && i.name === image.name);
    if (existing === undefined) {
      images.push({ ...image });
      continue;
    }
    if (typeof image.newName === "string" && image.newName !== "") existing.newName = image.newName;
    // The tag and the digest select the version together: setting one clears the other.
    if ((typeof image.newTag === "string" && image.newTag !== "") || (typeof image.digest === "string" && image.digest !== "")) {
      existing.newTag = image.newTag;
      existing.digest = image.digest;
    }
  }
  return images;
}

/** A spec.path that is a file: the spec's patches and targetNamespace on its objects. */
function fieldsAppliedToFile(result: Resolution, flux: FluxFields): Resolution {
  const lists = fluxPatchLists(flux.spec, flux.source);
  let objects = applyPatches(result.objects, [...lists.strategicMerge, ...lists.patches, ...lists.json6902]);
  if (typeof flux.spec.targetNamespace === "string") objects = withNamespace(objects, flux.spec.targetNamespace);
  return { ...result, objects };
}

/** The top directory of a Flux spec.path, built from the kustomization the generator writes there. */
function fluxTopDirectory(s: Session, dir: string, flux: FluxFields): Resolution {
  const kfile = kustomizationFileIn(s.repo, dir);
  s.resolving.add(dir);
  try {
    return kustomizationDirectory(s, dir, kfile, undefined, flux);
  } finally {
    s.resolving.delete(dir);
  }
}

/** A directory's build: its kustomization file, or the one Flux generates when it has none. */
function resolveDirectory(s: Session, dir: string): Resolution {
  const cached = s.directories.get(dir);
  if (cached !== undefined) return cached;
  const kfile = kustomizationFileIn(s.repo, dir);
  if (s.resolving.has(dir)) {
    throw new GitopsInputError(`kustomization includes itself (cycle through ${dir})`, kfile ?? dir, 1);
  }
  s.resolving.add(dir);
  try {
    const result = kfile === undefined ? generatedDirectory(s, dir) : kustomizationDirectory(s, dir, kfile, undefined);
    s.directories.set(dir, result);
    return result;
  } finally {
    s.resolving.delete(dir);
  }
}

function generatedDirectory(s: Session, dir: string): Resolution {
  const result: Resolution = { objects: [], unresolved: [] };
  for (const r of generatedResources(s.repo, dir, s.ignore)) {
    if (r.isDirectory) append(result, resolveDirectory(s, r.path));
    else result.objects.push(...manifestsOf(s, r.path));
  }
  return result;
}

function append(into: Resolution, from: Resolution): void {
  for (const o of from.objects) into.objects.push(o);
  for (const u of from.unresolved) into.unresolved.push(u);
  if (from.config !== undefined) into.config = mergeConfig(into.config ?? NO_CONFIGURATIONS, from.config);
}

/** A kustomization file as read, with what its build needs to point at lines. */
interface KustomizationFile {
  dir: string;
  file: string;
  k: Json;
  /** Whether YAML 1.1, as kustomize reads the file, gives the same data (so `k` serves its type check). */
  alikeInYaml11: boolean;
}

function readKustomization(s: Session, dir: string, file: string): KustomizationFile {
  let kf = s.kustomizations.get(file);
  if (kf === undefined) {
    const { data, docs } = parseYamlMappingDocuments(s.repo.readText(file), file);
    kf = { dir, file, k: data, alikeInYaml11: readsAlikeInYaml11(docs) };
    s.kustomizations.set(file, kf);
  }
  return kf;
}

const isComponentFile = (kf: KustomizationFile) => kf.k.kind === "Component";

/** A `resources`/`bases`/`components` entry: a file, a directory with a kustomization, or remote. */
function resolveReference(s: Session, kf: KustomizationFile, ref: string, asComponent: Resolution | undefined, from?: SourceLocation): Resolution {
  const { repo } = s;
  const source = (): SourceLocation => from ?? { file: kf.file, line: lineOf(repo, kf.file, ref) };
  const unresolved = (reason: UnresolvedReason, what = ref): Resolution => ({ objects: asComponent?.objects ?? [], unresolved: [...(asComponent?.unresolved ?? []), { reason, ref: what, source: source() }] });
  if (isRemote(repo, kf.dir, ref)) return unresolved("remote-resource");
  let target: string;
  let exists: boolean;
  try {
    target = repo.join(kf.dir, ref);
    exists = repo.exists(target) && !s.ignore.ignored(target, repo.isDirectory(target));
  } catch (e) {
    // A reference out of the repository (`../..`, a symlink): say which kustomization line holds it.
    if (e instanceof GitopsInputError) throw new GitopsInputError(e.message, kf.file, source().line);
    throw e;
  }
  if (!exists) return unresolved("missing-path");
  if (repo.isFile(target)) {
    if (asComponent !== undefined) return unresolved("kustomize-error", `component ${ref} must be a directory`);
    return { objects: manifestsOf(s, target), unresolved: [] };
  }
  // kustomize refuses a directory resource without a kustomization file; only the top of a
  // Flux spec.path gets a generated one.
  const kfile = kustomizationFileIn(repo, target);
  if (kfile === undefined) return unresolved("not-a-kustomization");
  const sub = readKustomization(s, target, kfile);
  // api/internal/target/kusttarget.go accumulateDirectory: a Component only under components, and the reverse.
  if (asComponent === undefined && isComponentFile(sub)) return unresolved("kustomize-error", `${ref} is a Component: list it under components, not resources`);
  if (asComponent !== undefined && !isComponentFile(sub)) return unresolved("kustomize-error", `${ref} is listed under components but its kind is not Component`);
  if (asComponent === undefined) return resolveDirectory(s, target);
  if (s.resolving.has(target)) throw new GitopsInputError(`kustomization includes itself (cycle through ${target})`, kfile, 1);
  s.resolving.add(target);
  try {
    return kustomizationDirectory(s, target, kfile, asComponent);
  } finally {
    s.resolving.delete(target);
  }
}

/**
 * Fields of a kustomization this resolver builds. Anything else changes the output in ways it does
 * not model (api/types/kustomization.go), so it is named as `unsupported-kustomize`.
 */
const MODELLED_FIELDS = new Set([
  "apiVersion", "kind", "metadata", "resources", "bases", "components", "namespace", "namePrefix", "nameSuffix",
  "commonLabels", "labels", "commonAnnotations", "patches", "patchesStrategicMerge", "patchesJson6902", "images",
  "replicas", "configMapGenerator", "secretGenerator", "generatorOptions", "sortOptions", "helmCharts", "configurations",
  "buildMetadata",
]);

/** Generator and image options the resolver does not model. */
function unsupportedDetails(k: Json): string[] {
  const out: string[] = [];
  for (const i of Array.isArray(k.images) ? k.images : []) if (isRecord(i) && i.tagSuffix !== undefined) out.push("images[].tagSuffix");
  for (const l of Array.isArray(k.labels) ? k.labels : []) if (isRecord(l) && l.fields !== undefined) out.push("labels[].fields");
  if (strings(k.buildMetadata).includes("transformerAnnotations")) out.push("buildMetadata transformerAnnotations");
  const lists = [k.configMapGenerator, k.secretGenerator];
  for (const list of lists) for (const g of Array.isArray(list) ? list : []) if (isRecord(g) && (g.kvSources !== undefined)) out.push("kvSources");
  return out;
}

/** fluxcd/pkg kustomize IsLocalRelativePath: no remote prefix, not absolute (`..` is allowed). */
function isLocalRelativePath(ref: string): boolean {
  const lower = ref.toLowerCase();
  if (["git::", "gh:", "ssh://", "https://", "http://", "git@", "github.com:", "github.com/"].some((p) => p.length < ref.length && lower.startsWith(p))) return false;
  return !path.posix.isAbsolute(ref) && !path.posix.isAbsolute(lower.replace(/^file:\/\//, ""));
}

/** A kustomization's fields after the generator wrote the spec's replacements and images in. */
function withFluxFields(k: Json, spec: Json): Json {
  const out: Json = { ...k };
  for (const field of ["targetNamespace", "namePrefix", "nameSuffix"] as const) {
    const value = spec[field];
    if (typeof value === "string" && value !== "") out[field === "targetNamespace" ? "namespace" : field] = value;
  }
  if (Array.isArray(spec.images) && spec.images.length > 0) out.images = mergedImages(k.images, spec);
  return out;
}

/**
 * One kustomization, as kustomize's KustTarget.accumulateTarget builds it
 * (api/internal/target/kusttarget.go): resources (and bases), generators, components (each
 * applied to the objects accumulated so far), then the builtin transformers in kustomize's order
 * (kusttarget_configplugin.go configureBuiltinTransformers): patchesStrategicMerge, patches,
 * namespace, namePrefix, nameSuffix, labels, annotations, patchesJson6902, replicas, images.
 * A Component starts from its parent's accumulated objects (`parent`).
 */
function kustomizationDirectory(s: Session, dir: string, kfile: string | undefined, parent: Resolution | undefined, flux?: FluxFields): Resolution {
  const { repo } = s;
  // No file: the top of a Flux spec.path, whose generated kustomization lists what generator.ts finds.
  const kf: KustomizationFile = kfile === undefined ? { dir, file: dir, k: {}, alikeInYaml11: true } : readKustomization(s, dir, kfile);
  const k: Json = flux === undefined ? kf.k : withFluxFields(kf.k, flux.spec);
  const at = (needle: string): SourceLocation => (kfile === undefined ? { file: dir, line: 1 } : { file: kfile, line: lineOf(repo, kfile, needle) });
  const result: Resolution = { objects: [...(parent?.objects ?? [])], unresolved: [...(parent?.unresolved ?? [])], ...(parent?.config === undefined ? {} : { config: parent.config }) };
  const fail = (reason: UnresolvedReason, ref: string, source: SourceLocation): void => {
    result.unresolved.push({ reason, ref, source });
  };
  if (kfile !== undefined) {
    for (const problem of kf.alikeInYaml11 ? typeErrorsIn(kf.k) : kustomizationTypeErrors(repo.readText(kfile))) {
      fail("kustomize-error", problem, at(problem.replace(/[.[].*$/, "")));
    }
  }
  for (const field of Object.keys(kf.k)) {
    if (!MODELLED_FIELDS.has(field)) fail("unsupported-kustomize", field, at(`${field}:`));
  }
  for (const detail of unsupportedDetails(k)) fail("unsupported-kustomize", detail, at(detail.replace(/.*[.\]]/, "")));
  if (kfile === undefined) append(result, generatedDirectory(s, dir));
  for (const ref of [...strings(kf.k.resources), ...strings(kf.k.bases)]) append(result, resolveReference(s, kf, ref, undefined));
  // configurations: after the resources, before generators and transformers (kusttarget.go accumulateTarget).
  const configurations = strings(kf.k.configurations);
  if (configurations.length > 0) {
    const loaded = loadConfigurations(repo, dir, configurations);
    for (const problem of loaded.problems) fail("kustomize-error", problem, at("configurations"));
    for (const section of loaded.unmodelled) fail("unsupported-kustomize", `configurations ${section}`, at("configurations"));
    result.config = mergeConfig(result.config ?? NO_CONFIGURATIONS, loaded.config);
  }
  if (Array.isArray(k.helmCharts)) {
    for (const chart of k.helmCharts) {
      const name = isRecord(chart) && typeof chart.name === "string" ? chart.name : "?";
      fail("helm-charts", name, at(name));
    }
  }
  let objects = result.objects;
  try {
    objects = runGenerators(repo, dir, k, objects, (name) => at(`name: ${name}`));
  } catch (e) {
    if (!(e instanceof GeneratorError)) throw e;
    fail("kustomize-error", e.message, at("Generator"));
  }
  result.objects = objects;
  const conflict = (step: string): boolean => {
    const id = duplicateId(objects);
    if (id !== undefined) fail("kustomize-error", `${step} produces two objects with the id ${id}`, { file: kf.file, line: 1 });
    return id !== undefined;
  };
  if (conflict("accumulating resources")) return result;
  for (const ref of strings(kf.k.components)) {
    const next = resolveReference(s, kf, ref, result);
    result.objects = next.objects;
    result.unresolved = next.unresolved;
    if (next.config !== undefined) result.config = next.config;
  }
  if (flux !== undefined) {
    for (const ref of strings(flux.spec.components)) {
      // The generator refuses a component that is not local and relative, and skips a missing one
      // when the spec says ignoreMissingComponents (kustomize_generator.go, IsLocalRelativePath).
      if (!isLocalRelativePath(ref)) {
        fail("kustomize-error", `component path '${ref}' must be local and relative`, flux.source);
        continue;
      }
      if (flux.spec.ignoreMissingComponents === true && !repo.exists(repo.join(dir, ref))) continue;
      const next = resolveReference(s, kf, ref, result, flux.source);
      result.objects = next.objects;
      result.unresolved = next.unresolved;
      if (next.config !== undefined) result.config = next.config;
    }
  }
  objects = result.objects;
  const patch = (patches: Patch[]) => {
    const r = patchObjects(objects, patches);
    for (const p of r.problems) fail("kustomize-error", p.message, p.source ?? { file: kf.file, line: 1 });
    objects = r.objects;
  };
  try {
    const own = kfile === undefined ? { strategicMerge: [], patches: [], json6902: [], missing: [] } : kustomizationPatches(s, kf);
    if (own.missing.length > 0) {
      result.unresolved.push(...own.missing);
      return result;
    }
    const added = flux === undefined ? { strategicMerge: [], patches: [], json6902: [] } : fluxPatchLists(flux.spec, flux.source);
    const loaded = {
      strategicMerge: [...own.strategicMerge, ...added.strategicMerge],
      patches: [...own.patches, ...added.patches],
      json6902: [...own.json6902, ...added.json6902],
    };
    patch(loaded.strategicMerge);
    patch(loaded.patches);
    if (typeof k.namespace === "string" && k.namespace !== "") objects = withNamespace(objects, k.namespace);
    if (conflict("the namespace transformation")) return { ...result, objects };
    objects = withNameAffixes(objects, typeof k.namePrefix === "string" ? k.namePrefix : "", "");
    objects = withNameAffixes(objects, "", typeof k.nameSuffix === "string" ? k.nameSuffix : "");
    const config = result.config ?? NO_CONFIGURATIONS;
    objects = withLabels(objects, k, config.commonLabels);
    if (isRecord(k.commonAnnotations)) objects = withAnnotations(objects, k.commonAnnotations, config.commonAnnotations);
    patch(loaded.json6902);
    if (Array.isArray(k.replicas)) objects = withReplicas(objects, k.replicas, config.replicas);
    if (Array.isArray(k.images)) objects = withImages(objects, k.images, config.images);
  } catch (e) {
    if (!(e instanceof SelectorError || e instanceof TransformError)) throw e;
    fail("kustomize-error", e.message, at(e instanceof TransformError ? "replicas" : "patches"));
  }
  result.objects = objects;
  return result;
}

/** The first id two objects share (kustomize's ResMap refuses that: api/resmap/reswrangler.go Append). */
function duplicateId(objects: K8sObject[]): string | undefined {
  const seen = new Set<string>();
  for (const o of objects) {
    const id = idOf(o);
    const key = `${id.group}/${id.version}/${id.kind} ${effectiveNamespace(id)}/${id.name}`;
    if (seen.has(key)) return `${o.apiVersion} ${o.kind} ${o.namespace ?? ""}/${o.name}`.replace(" /", " ");
    seen.add(key);
  }
  return undefined;
}

/** The three patch lists of a kustomization, loaded (files relative to its directory). */
function kustomizationPatches(s: Session, kf: KustomizationFile): { strategicMerge: Patch[]; patches: Patch[]; json6902: Patch[]; missing: Unresolved[] } {
  const { repo } = s;
  const { k, dir, file: kfile } = kf;
  // A missing patch file fails the build (PatchTransformer.go Config: "failed to get the patch file").
  const missing: Unresolved[] = [];
  const load = (ref: string): { text: string; file: string } | undefined => {
    const file = repo.join(dir, ref);
    if (repo.isFile(file)) return { text: repo.readText(file), file };
    missing.push({ reason: "kustomize-error", ref: `patch file ${ref} does not exist`, source: { file: kfile, line: lineOf(repo, kfile, ref) } });
    return undefined;
  };
  const strategicMerge: Patch[] = [];
  for (const ref of strings(k.patchesStrategicMerge)) {
    const source = { file: kfile, line: lineOf(repo, kfile, ref.split("\n")[0]) };
    const loaded = ref.includes("\n") || ref.trimStart().startsWith("{") ? { text: ref, file: kfile } : load(ref);
    if (loaded === undefined) continue;
    const { text, file } = loaded;
    for (const d of parseYamlDocuments(text, file, AS_KUSTOMIZE_READS)) if (isRecord(d.data)) strategicMerge.push({ body: d.data, source });
  }
  const entries = (list: unknown): Patch[] => {
    const out: Patch[] = [];
    for (const entry of Array.isArray(list) ? list : []) {
      if (!isRecord(entry)) continue;
      const target = isRecord(entry.target) ? entry.target : undefined;
      const options = isRecord(entry.options) ? { allowNameChange: entry.options.allowNameChange === true, allowKindChange: entry.options.allowKindChange === true } : undefined;
      const needle = typeof entry.path === "string" ? entry.path : typeof entry.patch === "string" ? entry.patch.split("\n")[0] : "patch";
      const source = { file: kfile, line: lineOf(repo, kfile, needle) };
      // PatchTransformer.go Config: an inline patch is trimmed first (strings.TrimSpace), so a block
      // scalar on its last line ends the text without a line break.
      if (typeof entry.patch === "string" && entry.patch.trim() !== "") out.push(...patchesFromText(entry.patch.trim(), kfile, target, source, options));
      else if (typeof entry.path === "string") {
        const loaded = load(entry.path);
        if (loaded !== undefined) out.push(...patchesFromText(loaded.text, loaded.file, target, source, options));
      }
    }
    return out;
  };
  return { strategicMerge, patches: entries(k.patches), json6902: entries(k.patchesJson6902), missing };
}

/**
 * Joins a source-relative Flux `spec.path` ("./apps/dev", "apps/dev/", "./") to a repo path as
 * kustomize-controller does: securejoin.SecureJoin(artifact dir, spec.path)
 * (internal/controller/kustomization_controller.go@186fb3b; cyphar/filepath-securejoin v0.6.1),
 * where `..` stops at the source root instead of leaving it: `../components/x` is `components/x`.
 */
export function fluxPath(repo: Repo, specPath: string): string {
  return repo.normalize(securelyJoined(specPath) || ".");
}

/** A `spec.path` joined to the source root as SecureJoin joins it, without the repository ("" is the root). */
export function securelyJoined(specPath: string): string {
  const segments: string[] = [];
  for (const segment of specPath.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") segments.pop();
    else segments.push(segment);
  }
  return segments.join("/");
}

/** Whether a `spec.path` climbs above the source root, where SecureJoin holds it (see fluxPath). */
export function climbsAboveRoot(specPath: string): boolean {
  let depth = 0;
  for (const segment of specPath.split("/")) {
    if (segment === "..") depth -= 1;
    else if (segment !== "" && segment !== ".") depth += 1;
    if (depth < 0) return true;
  }
  return false;
}
