/**
 * `gitops-cluster migrate`: rewrites a repository for the Flux and Kubernetes that will serve it.
 *
 * - apiVersions no longer served become the storage version of the target Flux release
 *   (gitops/flux/apis.ts) or the Kubernetes replacement where the migration guide lists no field
 *   change (gitops/flux/kube-apis.ts); others are reported, not guessed.
 * - Fields the new version removed are converted, from a diff of the CRDs' schemas (v1beta2 ->
 *   v1 Kustomization: patchesStrategicMerge/patchesJson6902 -> patches, validation dropped;
 *   v2beta1/v2beta2 -> v2 HelmRelease: chart.spec.valuesFile -> valuesFiles, postRenderers'
 *   kustomize patchesStrategicMerge/patchesJson6902 -> patches; v1beta2 -> v1 HelmChart:
 *   valuesFile -> valuesFiles; GitRepository gitImplementation dropped). `flux migrate -f`
 *   (fluxcd/flux2 cmd/flux/migrate.go, FileSystemMigrator) rewrites only the apiVersion lines;
 *   the fields are what it leaves for the API server to prune.
 * - Like `flux migrate -f`, every YAML file of the repository is read, so kustomize patch files
 *   that name the old apiVersion move with the objects they patch and every build still matches.
 * - With bootstrap "stack", `flux bootstrap`'s own install and sync manifests are removed and the
 *   patches of flux-system/kustomization.yaml are returned for the flux.kustomizePatches setting.
 *
 * Edits are spliced into the original text (gitops/edit/splice.ts), so comments and formatting
 * survive; each rewritten file is parsed again and must mean exactly the converted objects.
 */
import * as path from "path";
import { isDeepStrictEqual } from "util";
import { Document, LineCounter, Node, Pair, Scalar, YAMLMap, YAMLSeq, isMap, isScalar, isSeq, parse, stringify } from "yaml";
import { GitopsInputError } from "../read/errors";
import { utf8Text } from "./utf8";
import { FluxApis, fluxApisFor } from "../flux/apis";
import { bootstrapLeftoverKind } from "../flux/install";
import { removedKubeApi } from "../flux/kube-apis";
import { KUSTOMIZATION_FILE_NAMES } from "../kustomize";
import { documentData, groupOf, isRecord, parseCheckedDocuments, parseManifests } from "../read/yaml";
import { Repo } from "../read/repo";
import { FileChange, Splice, applySplices, scalarReplacement } from "./splice";

export interface MigrateOptions {
  /** The Flux version that will serve the objects, e.g. "2.9.2". */
  fluxVersion: string;
  /** Kubernetes minor, e.g. "1.35"; unset: every removal of the migration guide. */
  kubernetesVersion?: string;
  /** "stack": this stack bootstraps Flux, so the repository's own Flux install goes. */
  bootstrap: "committed" | "stack";
  /** The cluster path whose flux-system/ leftovers are removed (stack mode). */
  clusterPath?: string;
}

/** Something migrate did, or could not do, at a place. */
export interface MigrationNote {
  file: string;
  line: number;
  message: string;
}

/** A kustomize patch for the Flux controllers (FluxInstance spec.kustomize.patches). */
export interface ControllerPatch {
  patch: string;
  target?: Record<string, string>;
}

export interface MigrationPlan {
  files: FileChange[];
  done: MigrationNote[];
  /** Objects left alone because they cannot be converted safely. */
  unsafe: MigrationNote[];
  /** Patches that moved out of flux-system/kustomization.yaml: the flux.kustomizePatches setting. */
  kustomizePatches: ControllerPatch[];
}

/** Built-in kinds whose replacement apiVersion takes the same fields (per the migration guide). */
const SAFE_KUBE_MOVES = new Set([
  "batch/v1beta1/CronJob",
  "autoscaling/v2beta2/HorizontalPodAutoscaler",
  "policy/v1beta1/PodDisruptionBudget",
  "rbac.authorization.k8s.io/v1beta1/ClusterRole",
  "rbac.authorization.k8s.io/v1beta1/ClusterRoleBinding",
  "rbac.authorization.k8s.io/v1beta1/Role",
  "rbac.authorization.k8s.io/v1beta1/RoleBinding",
  "scheduling.k8s.io/v1beta1/PriorityClass",
  "storage.k8s.io/v1beta1/StorageClass",
  "storage.k8s.io/v1beta1/CSIDriver",
  "coordination.k8s.io/v1beta1/Lease",
  "node.k8s.io/v1beta1/RuntimeClass",
  "storage.k8s.io/v1beta1/CSIStorageCapacity",
]);

const SKIP_DIRS = new Set([".git", "node_modules"]);

function yamlFiles(repo: Repo, dir = ""): string[] {
  const out: string[] = [];
  for (const entry of repo.list(dir)) {
    const rel = dir === "" ? entry.name : `${dir}/${entry.name}`;
    if (entry.isDirectory) {
      if (!SKIP_DIRS.has(entry.name)) out.push(...yamlFiles(repo, rel));
    } else if (/\.ya?ml$/.test(entry.name)) {
      out.push(rel);
    }
  }
  return out;
}

/** What to rewrite; writes nothing. */
export function planMigration(repoDir: string, options: MigrateOptions): MigrationPlan {
  const apis = fluxApisFor(options.fluxVersion);
  if (apis === undefined) throw new GitopsInputError(`Flux version ${JSON.stringify(options.fluxVersion)} is not a Flux 2 version (expected e.g. 2.9.2)`);
  const repo = new Repo(repoDir);
  const plan: MigrationPlan = { files: [], done: [], unsafe: [], kustomizePatches: [] };
  const deleted = new Set<string>();
  if (options.bootstrap === "stack" && options.clusterPath !== undefined) planLeftovers(repo, repo.normalize(options.clusterPath), plan, deleted);
  for (const file of yamlFiles(repo)) {
    if (deleted.has(file)) continue;
    const before = repo.readText(file);
    const after = migrateFile(file, before, apis, options, plan);
    // A file to rewrite must be UTF-8 that round-trips, or it would be written back changed elsewhere.
    if (after !== before) plan.files.push({ file, before: utf8Text(repo.readBytes(file), file), after });
  }
  plan.files.sort((a, b) => a.file.localeCompare(b.file));
  return plan;
}

// ---------------------------------------------------------------------------------------------
// One file.

interface Ctx {
  apis?: FluxApis;
  file: string;
  text: string;
  lines: LineCounter;
  splices: Splice[];
  plan: MigrationPlan;
}

function lineOf(ctx: Ctx, node: Node | undefined): number {
  return ctx.lines.linePos(node?.range?.[0] ?? 0).line;
}

/**
 * A file's documents with their source tokens, or undefined when it is not YAML migrate can edit
 * (a parse error, an undefined or self-containing alias, nesting past the limit, an alias
 * explosion): such a file is verify's to report, with file:line, and migrate leaves it alone.
 */
function editableDocuments(text: string, file: string): { docs: Document.Parsed[]; lines: LineCounter; data: unknown[] } | undefined {
  try {
    const { docs, lineCounter } = parseCheckedDocuments(text, file, { keepSourceTokens: true });
    return { docs, lines: lineCounter, data: docs.map((d) => documentData(d, file, 1)) };
  } catch (err) {
    if (err instanceof GitopsInputError) return undefined;
    throw err;
  }
}

function migrateFile(file: string, before: string, apis: FluxApis, options: MigrateOptions, plan: MigrationPlan): string {
  if (!/apiVersion/.test(before)) return before;
  const parsed = editableDocuments(before, file);
  if (parsed === undefined) return before;
  const { docs, lines } = parsed;
  const ctx: Ctx = { apis, file, text: before, lines, splices: [], plan };
  const wanted: unknown[] = [];
  docs.forEach((doc, i) => {
    const data = parsed.data[i];
    wanted.push(migrateDocument(ctx, doc, data, apis, options) ?? data);
  });
  if (ctx.splices.length === 0) return before;
  const after = applySplices(before, ctx.splices);
  // The guard: the rewritten file must mean exactly the converted objects.
  const reread = editableDocuments(after, file);
  if (reread === undefined || !isDeepStrictEqual(normalize(reread.data), normalize(wanted))) {
    plan.unsafe.push({ file, line: 1, message: "the rewrite would change more than intended, so this file was left alone; migrate it by hand" });
    plan.done = plan.done.filter((n) => n.file !== file);
    return before;
  }
  return after;
}

/** Patch strings compared by what they parse to, not by their formatting. */
function normalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalize);
  if (isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = k === "patch" && typeof v === "string" ? safeParse(v) : normalize(v);
    }
    return out;
  }
  return value;
}

function safeParse(text: string): unknown {
  try {
    return parse(text);
  } catch {
    return text;
  }
}

/** The converted data of one document, or undefined when it does not change. */
function migrateDocument(ctx: Ctx, doc: Document, data: unknown, apis: FluxApis, options: MigrateOptions): unknown {
  if (!isRecord(data) || typeof data.apiVersion !== "string" || typeof data.kind !== "string" || !isMap(doc.contents)) return undefined;
  const root = doc.contents as YAMLMap;
  const apiVersionNode = root.get("apiVersion", true);
  if (!isScalar(apiVersionNode)) return undefined;
  const group = groupOf(data.apiVersion);
  const version = data.apiVersion.slice(group === "" ? 0 : group.length + 1);
  const name = isRecord(data.metadata) && typeof data.metadata.name === "string" ? data.metadata.name : "";
  const what = `${data.kind} ${name} (${data.apiVersion})`;
  const line = lineOf(ctx, root);
  const flux = apis.kinds.get(`${group}/${data.kind}`);
  let target = data.apiVersion;
  if (flux !== undefined) {
    if (!flux.served.includes(version)) target = `${group}/${flux.storage}`;
  } else {
    const removed = removedKubeApi(data.apiVersion, data.kind, options.kubernetesVersion ?? "1.99");
    if (removed !== undefined) {
      if (removed.replacement === undefined || !SAFE_KUBE_MOVES.has(`${data.apiVersion}/${data.kind}`)) {
        ctx.plan.unsafe.push({ file: ctx.file, line, message: `${what}: Kubernetes ${removed.removedIn} removed ${data.apiVersion}${removed.replacement === undefined ? " without a replacement" : `; ${removed.replacement} changes fields, convert it by hand (https://kubernetes.io/docs/reference/using-api/deprecation-guide/)`}` });
        return undefined;
      }
      target = removed.replacement;
    }
  }
  const converted = structuredClone(data);
  const docSplices: Splice[] = [];
  const notes: string[] = [];
  const unsafe: string[] = [];
  const targetVersion = target.slice(group === "" ? 0 : target.indexOf("/") + 1);
  if (flux !== undefined) convertFields(ctx, root, converted, group, data.kind, targetVersion, docSplices, notes, unsafe);
  if (unsafe.length > 0) {
    for (const u of unsafe) ctx.plan.unsafe.push({ file: ctx.file, line, message: `${what}: ${u}; left alone` });
    return undefined;
  }
  if (target !== data.apiVersion) {
    docSplices.push(scalarReplacement(doc, apiVersionNode as Scalar, target));
    converted.apiVersion = target;
    notes.unshift(`apiVersion ${data.apiVersion} -> ${target}`);
  }
  if (docSplices.length === 0) return undefined;
  ctx.splices.push(...docSplices);
  ctx.plan.done.push({ file: ctx.file, line, message: `${data.kind} ${name}: ${notes.join("; ")}` });
  return converted;
}

// ---------------------------------------------------------------------------------------------
// Field conversions, from the CRD schema diffs (see the file comment).

function convertFields(
  ctx: Ctx, root: YAMLMap, data: Record<string, unknown>, group: string, kind: string, version: string,
  splices: Splice[], notes: string[], unsafe: string[],
): void {
  const spec = root.get("spec", true);
  if (!isMap(spec) || !isRecord(data.spec)) return;
  const specData = data.spec;
  if (group === "kustomize.toolkit.fluxcd.io" && kind === "Kustomization" && version === "v1") {
    convertPatches(ctx, spec, specData, "spec", splices, notes, unsafe);
    if (spec.has("validation")) {
      splices.push(removePair(ctx, spec, "validation"));
      delete specData.validation;
      notes.push("spec.validation dropped (v1 always validates server-side)");
    }
  }
  if (group === "helm.toolkit.fluxcd.io" && kind === "HelmRelease" && version === "v2") {
    const chart = spec.get("chart", true);
    const chartSpec = isMap(chart) ? chart.get("spec", true) : undefined;
    const chartData = isRecord(specData.chart) && isRecord(specData.chart.spec) ? specData.chart.spec : undefined;
    if (isMap(chartSpec) && chartData !== undefined) valuesFileToValuesFiles(ctx, chartSpec, chartData, "spec.chart.spec", splices, notes, unsafe);
    const renderers = spec.get("postRenderers", true);
    if (isSeq(renderers) && Array.isArray(specData.postRenderers)) {
      renderers.items.forEach((item, i) => {
        const kustomize = isMap(item) ? item.get("kustomize", true) : undefined;
        const kData = (specData.postRenderers as unknown[])[i];
        if (isMap(kustomize) && isRecord(kData) && isRecord(kData.kustomize)) {
          convertPatches(ctx, kustomize, kData.kustomize, `spec.postRenderers[${i}].kustomize`, splices, notes, unsafe);
        }
      });
    }
  }
  if (group === "source.toolkit.fluxcd.io" && version === "v1") {
    if (kind === "HelmChart") valuesFileToValuesFiles(ctx, spec, specData, "spec", splices, notes, unsafe);
    if (kind === "GitRepository" && spec.has("gitImplementation")) {
      splices.push(removePair(ctx, spec, "gitImplementation"));
      delete specData.gitImplementation;
      notes.push("spec.gitImplementation dropped (go-git is the only implementation since Flux 2.0)");
    }
    if (spec.has("accessFrom")) unsafe.push("spec.accessFrom has no v1 equivalent (cross-namespace access is set on the controller)");
  }
}

/** The text of a node's source, dedented to column 0 (a patch kept as it was written). */
function sourceBlock(ctx: Ctx, node: Node): string {
  const [start, end] = [node.range![0], node.range![1]];
  const lineStart = ctx.text.lastIndexOf("\n", start - 1) + 1;
  const column = start - lineStart;
  const raw = " ".repeat(column) + ctx.text.slice(start, end).replace(/\s+$/, "");
  const lines = raw.split("\n");
  const indent = Math.min(...lines.filter((l) => l.trim() !== "").map((l) => l.length - l.trimStart().length));
  return `${lines.map((l) => l.slice(indent)).join("\n")}\n`;
}

/** patchesStrategicMerge and patchesJson6902 -> patches, appended after any patches already there. */
function convertPatches(
  ctx: Ctx, map: YAMLMap, data: Record<string, unknown>, at: string,
  splices: Splice[], notes: string[], unsafe: string[],
): void {
  const smp = map.get("patchesStrategicMerge", true);
  const json = map.get("patchesJson6902", true);
  if (smp === undefined && json === undefined) return;
  const entries: { node: unknown; data: Record<string, unknown> }[] = [];
  if (smp !== undefined) {
    if (!isSeq(smp)) return void unsafe.push(`${at}.patchesStrategicMerge is not a list`);
    for (const item of smp.items) {
      if (!isMap(item) || item.flow) return void unsafe.push(`${at}.patchesStrategicMerge holds an entry that is not a block mapping`);
      entries.push({ node: item, data: { patch: withServedApiVersion(ctx, sourceBlock(ctx, item)) } });
    }
  }
  if (json !== undefined) {
    if (!isSeq(json)) return void unsafe.push(`${at}.patchesJson6902 is not a list`);
    for (const item of json.items) {
      const patch = isMap(item) ? item.get("patch", true) : undefined;
      const target = isMap(item) ? (item.toJSON() as Record<string, unknown>).target : undefined;
      if (!isSeq(patch) || !isRecord(target)) return void unsafe.push(`${at}.patchesJson6902 holds an entry without an inline patch list and a target`);
      entries.push({ node: item, data: { patch: sourceBlock(ctx, patch), target: withServedTargetVersion(ctx, target) } });
    }
  }
  const existing = map.get("patches", true);
  if (existing !== undefined && !isSeq(existing)) return void unsafe.push(`${at}.patches is not a list`);
  const newPatches = [...(Array.isArray(data.patches) ? data.patches : []), ...entries.map((e) => e.data)];
  // Rewrite: the first of the old keys becomes `patches` (holding the old and new entries), the others go.
  const first = ([smp, json, existing] as unknown[]).filter((n): n is YAMLSeq => isSeq(n))
    .sort((a, b) => a.range![0] - b.range![0])[0];
  const firstKey = ["patchesStrategicMerge", "patchesJson6902", "patches"].find((k) => (map.get(k, true) as unknown) === first)!;
  splices.push(replacePair(ctx, map, firstKey, "patches", newPatches));
  for (const key of ["patchesStrategicMerge", "patchesJson6902", "patches"]) {
    if (key !== firstKey && map.has(key)) splices.push(removePair(ctx, map, key));
  }
  delete data.patchesStrategicMerge;
  delete data.patchesJson6902;
  data.patches = newPatches;
  notes.push(`${at}.patchesStrategicMerge/patchesJson6902 -> ${at}.patches (${entries.length} moved)`);
}

/** The Flux version a patch must name to keep matching the objects migrate moves to it. */
function servedVersion(ctx: Ctx, group: string, kind: string, version: string): string {
  const flux = ctx.apis?.kinds.get(`${group}/${kind}`);
  return flux !== undefined && !flux.served.includes(version) ? flux.storage : version;
}

/** A strategic-merge patch's own `apiVersion:` line, moved like the objects it patches. */
function withServedApiVersion(ctx: Ctx, patch: string): string {
  const data = safeParse(patch);
  if (!isRecord(data) || typeof data.apiVersion !== "string" || typeof data.kind !== "string") return patch;
  const group = groupOf(data.apiVersion);
  const version = data.apiVersion.slice(group.length + 1);
  const served = servedVersion(ctx, group, data.kind, version);
  return served === version ? patch : patch.replace(/^apiVersion:[ \t]*\S+/m, `apiVersion: ${group}/${served}`);
}

function withServedTargetVersion(ctx: Ctx, target: Record<string, unknown>): Record<string, unknown> {
  if (typeof target.group !== "string" || typeof target.version !== "string" || typeof target.kind !== "string") return target;
  return { ...target, version: servedVersion(ctx, target.group, target.kind, target.version) };
}

function valuesFileToValuesFiles(
  ctx: Ctx, map: YAMLMap, data: Record<string, unknown>, at: string,
  splices: Splice[], notes: string[], unsafe: string[],
): void {
  if (!map.has("valuesFile")) return;
  if (map.has("valuesFiles")) return void unsafe.push(`${at} has both valuesFile and valuesFiles; merge them by hand`);
  if (typeof data.valuesFile !== "string") return void unsafe.push(`${at}.valuesFile is not a string`);
  const files = [data.valuesFile];
  splices.push(replacePair(ctx, map, "valuesFile", "valuesFiles", files));
  delete data.valuesFile;
  data.valuesFiles = files;
  notes.push(`${at}.valuesFile -> ${at}.valuesFiles`);
}

// ---------------------------------------------------------------------------------------------
// Pair-level splices in block mappings.

function pairOf(map: YAMLMap, key: string): Pair<Node, Node> {
  const pair = map.items.find((p) => isScalar(p.key) && p.key.value === key) as Pair<Node, Node> | undefined;
  if (pair === undefined) throw new Error(`internal: no ${key}`);
  if (map.flow) throw new GitopsInputError(`${key} is in a flow mapping; migrate it by hand`);
  return pair;
}

/** The lines a pair occupies: from the start of its key's line to the end of its value's last line. */
function pairLines(ctx: Ctx, pair: Pair<Node, Node>): { start: number; end: number; column: number; comments: string[] } {
  const keyStart = pair.key.range![0];
  const start = ctx.text.lastIndexOf("\n", keyStart - 1) + 1;
  const valueEnd = pair.value?.range?.[1] ?? pair.key.range![1];
  const nl = ctx.text.indexOf("\n", Math.max(valueEnd - 1, keyStart));
  const end = nl < 0 ? ctx.text.length : nl + 1;
  // Full-line comments inside the pair are kept, above the replacement.
  const comments = ctx.text.slice(start, end).split("\n").slice(1).filter((l) => /^\s*#/.test(l)).map((l) => l.trim());
  return { start, end, column: keyStart - start, comments };
}

function removePair(ctx: Ctx, map: YAMLMap, key: string): Splice {
  const { start, end, column, comments } = pairLines(ctx, pairOf(map, key));
  return { start, end, text: comments.map((c) => `${" ".repeat(column)}${c}\n`).join("") };
}

function replacePair(ctx: Ctx, map: YAMLMap, key: string, newKey: string, value: unknown): Splice {
  const pair = pairOf(map, key);
  const { start, end, column, comments } = pairLines(ctx, pair);
  // Keep the file's list style: "- " at the key's column or indented under it.
  const seq = isSeq(pair.value) ? pair.value : undefined;
  const seqColumn = seq?.items[0] !== undefined ? ctx.text.lastIndexOf("-", (seq.items[0] as Node).range![0]) - (ctx.text.lastIndexOf("\n", (seq.items[0] as Node).range![0]) + 1) : column + 2;
  const rendered = stringify({ [newKey]: value }, { lineWidth: 0, indentSeq: seqColumn > column, blockQuote: "literal" });
  const text = [...comments, ...rendered.replace(/\n$/, "").split("\n")].map((l) => (l === "" ? l : " ".repeat(column) + l)).join("\n");
  return { start, end, text: `${text}\n` };
}

// ---------------------------------------------------------------------------------------------
// flux bootstrap's leftovers (stack mode).

function kustomizationFile(repo: Repo, dir: string): string | undefined {
  return KUSTOMIZATION_FILE_NAMES.map((n) => (dir === "" ? n : `${dir}/${n}`)).find((f) => repo.isFile(f));
}

function planLeftovers(repo: Repo, cluster: string, plan: MigrationPlan, deleted: Set<string>): void {
  const walk = (dir: string): string[] => yamlFiles(repo, dir);
  for (const file of repo.isDirectory(cluster) ? walk(cluster) : []) {
    if (KUSTOMIZATION_FILE_NAMES.includes(path.posix.basename(file))) continue;
    let objects;
    try {
      objects = parseManifests(repo.readText(file), file);
    } catch {
      continue;
    }
    const leftovers = objects.filter((o) => bootstrapLeftoverKind(o) !== undefined || isRecord(o.body.metadata) && isRecord(o.body.metadata.labels) && o.body.metadata.labels["app.kubernetes.io/part-of"] === "flux");
    if (!objects.some((o) => bootstrapLeftoverKind(o) !== undefined)) continue;
    if (leftovers.length === 0) continue;
    if (leftovers.length < objects.length) {
      plan.unsafe.push({ file, line: leftovers[0].source.line, message: `holds Flux's own install or sync manifests and other objects; remove the Flux ones by hand` });
      continue;
    }
    deleted.add(file);
    plan.files.push({ file, before: repo.readText(file), after: null });
    plan.done.push({ file, line: 1, message: `removed: flux bootstrap's ${leftovers.length} Flux install/sync object(s); this stack installs and owns Flux` });
  }
  // Each kustomization file that listed a removed file: drop the entries; if nothing is left, the file goes too.
  const dirs = [...new Set([...deleted].map((f) => path.posix.dirname(f)))];
  for (const dir of dirs) {
    const kfile = kustomizationFile(repo, dir);
    if (kfile === undefined) continue;
    editKustomization(repo, kfile, dir, deleted, plan, cluster);
  }
}

function editKustomization(repo: Repo, kfile: string, dir: string, deleted: Set<string>, plan: MigrationPlan, cluster: string): void {
  const before = repo.readText(kfile);
  const parsed = editableDocuments(before, kfile);
  if (parsed === undefined) return;
  const { docs: doc, lines } = parsed;
  if (doc.length !== 1 || !isMap(doc[0].contents)) return;
  const root = doc[0].contents as YAMLMap;
  const data = parsed.data[0] as Record<string, unknown>;
  const resources = Array.isArray(data.resources) ? (data.resources as unknown[]) : [];
  const remaining = resources.filter((r) => typeof r !== "string" || !deleted.has(repo.join(dir, r)));
  // Patches there customise the controllers flux bootstrap installed: they move to the FluxInstance.
  const patchKeys = ["patches", "patchesStrategicMerge", "patchesJson6902"].filter((k) => root.has(k));
  const ctx: Ctx = { file: kfile, text: before, lines, splices: [], plan };
  for (const key of patchKeys) {
    const list = Array.isArray(data[key]) ? (data[key] as unknown[]) : [];
    for (const p of list) {
      if (key === "patches" && isRecord(p) && typeof p.patch === "string") {
        plan.kustomizePatches.push({ patch: p.patch, ...(isRecord(p.target) ? { target: p.target as Record<string, string> } : {}) });
      } else if (key === "patchesStrategicMerge" && isRecord(p)) {
        plan.kustomizePatches.push({ patch: stringify(p) });
      } else {
        plan.unsafe.push({ file: kfile, line: lineOf(ctx, root.get(key, true) as Node), message: `${key} entry ${JSON.stringify(p).slice(0, 60)} is not an inline patch: move it to flux.kustomizePatches by hand` });
      }
    }
  }
  const otherKeys = Object.keys(data).filter((k) => !["apiVersion", "kind", "resources", ...patchKeys].includes(k));
  if (remaining.length === 0 && otherKeys.length === 0) {
    plan.files.push({ file: kfile, before, after: null });
    plan.done.push({ file: kfile, line: 1, message: `removed: it listed only flux bootstrap's manifests${patchKeys.length > 0 ? "; its patches are now flux.kustomizePatches" : ""}` });
    deleted.add(kfile);
    // The directory is now empty of manifests: a kustomization above that lists it must not.
    if (dir !== cluster) dropDirectoryEntry(repo, dir, plan);
    return;
  }
  const resourcesNode = root.get("resources", true);
  if (isSeq(resourcesNode)) {
    for (const item of resourcesNode.items) {
      if (isScalar(item) && typeof item.value === "string" && deleted.has(repo.join(dir, item.value))) ctx.splices.push(seqItemRemoval(ctx, item));
    }
  }
  for (const key of patchKeys) ctx.splices.push(removePair(ctx, root, key));
  plan.files.push({ file: kfile, before, after: applySplices(before, ctx.splices) });
  plan.done.push({ file: kfile, line: 1, message: `dropped the removed files from resources${patchKeys.length > 0 ? "; its patches are now flux.kustomizePatches" : ""}` });
}

/** Removes `- item` (one line) from a block sequence. */
function seqItemRemoval(ctx: Ctx, item: Node): Splice {
  const start = ctx.text.lastIndexOf("\n", item.range![0] - 1) + 1;
  const nl = ctx.text.indexOf("\n", item.range![0]);
  return { start, end: nl < 0 ? ctx.text.length : nl + 1, text: "" };
}

function dropDirectoryEntry(repo: Repo, dir: string, plan: MigrationPlan): void {
  const parent = path.posix.dirname(dir) === "." ? "" : path.posix.dirname(dir);
  const kfile = kustomizationFile(repo, parent);
  if (kfile === undefined) return; // Flux generates the parent's kustomization: nothing lists the directory
  const before = repo.readText(kfile);
  const parsed = editableDocuments(before, kfile);
  if (parsed === undefined) return;
  const { docs, lines } = parsed;
  if (!isMap(docs[0]?.contents)) return;
  const resources = (docs[0].contents as YAMLMap).get("resources", true);
  if (!isSeq(resources)) return;
  const ctx: Ctx = { file: kfile, text: before, lines, splices: [], plan };
  for (const item of resources.items) {
    if (isScalar(item) && typeof item.value === "string" && repo.join(parent, item.value) === dir) ctx.splices.push(seqItemRemoval(ctx, item));
  }
  if (ctx.splices.length === 0) return;
  plan.files.push({ file: kfile, before, after: applySplices(before, ctx.splices) });
  plan.done.push({ file: kfile, line: 1, message: `dropped ${path.posix.basename(dir)} from resources` });
}
