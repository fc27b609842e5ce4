import { parse } from "yaml";
import { GitopsInputError } from "../read/errors";
import { K8sObject, SourceLocation } from "../model";
import { AS_KUSTOMIZE_READS, MAX_ALIAS_COUNT, emptyValuedKeys, groupOf, isRecord, parseYamlDocuments } from "../read/yaml";
import { idNames, SelectorError, targetSelects, validateTarget } from "./selector";
import { Json, metadataOf, setSharedValues, sharedValuesOf, storePreviousId, withBody } from "./objects";

/** A patch and the objects it applies to. */
export interface Patch {
  /** Strategic merge (a mapping) or JSON 6902 operations (a list). */
  body: Json | unknown[];
  /** kustomize's selector; without one a strategic merge patch names its object by its own id. */
  target?: Json;
  /** Where the patch is written (for messages). */
  source?: SourceLocation;
  /** `patches[].options` (api/types/patch.go PatchArgs). */
  options?: { allowNameChange?: boolean; allowKindChange?: boolean };
}

/** Something kustomize would refuse while patching; the build of that directory fails there. */
export interface PatchProblem {
  message: string;
  source?: SourceLocation;
}

/**
 * The patches an entry of `patches:` (or Flux `spec.patches`) holds. A text that parses as a YAML
 * list is JSON 6902; mappings are strategic merge, one per document
 * (api/internal/builtins/PatchTransformer.go, Config).
 */
export function patchesFromText(text: string, file: string, target: Json | undefined, source?: SourceLocation, options?: Patch["options"]): Patch[] {
  const docs = parseYamlDocuments(text, file, AS_KUSTOMIZE_READS).map((d) => d.data);
  const out: Patch[] = [];
  for (const body of docs) {
    if (isRecord(body)) out.push({ body, target, source, options });
    else if (Array.isArray(body)) {
      // jsonPatchFromBytes: operations not written as JSON go through yaml.YAMLToJSON, which reads
      // YAML 1.1 (`yes` is true, `010` is 8).
      const ops = text.trimStart().startsWith("[") ? body : yaml11(text, body);
      out.push({ body: Array.isArray(ops) ? ops : body, target, source, options });
    }
  }
  return out;
}

/** The text read as YAML 1.1 (as sigs.k8s.io/yaml reads it), or `fallback` when that reading fails. */
function yaml11(text: string, fallback: unknown): unknown {
  try {
    return parse(text, { version: "1.1", maxAliasCount: MAX_ALIAS_COUNT });
  } catch {
    return fallback;
  }
}

/** A patch map that deletes the field holding it (`$patch: delete`, kyaml merge2/smpdirective.go). */
const deletes = (value: unknown): boolean => isRecord(value) && value.$patch === "delete";

/** A new subtree from the patch: it loses its nulls, its directives and the maps that delete themselves (kyaml merge2). */
function cleaned(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(cleaned);
  if (!isRecord(value)) return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === null || k.startsWith("$") || deletes(v)) continue;
    setKey(out, k, cleaned(v));
  }
  return out;
}

/** `out[key] = value`, a key named `__proto__` included. */
function setKey(out: Json, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(out, key, { value, writable: true, enumerable: true, configurable: true });
  else out[key] = value;
}
/**
 * Merge keys of the built-in types' lists (the `x-kubernetes-patch-merge-key` of kyaml's OpenAPI
 * schema); other lists, and every list of a custom resource, are replaced whole.
 */
const MERGE_KEYS: Record<string, string> = {
  containers: "name",
  initContainers: "name",
  ephemeralContainers: "name",
  env: "name",
  volumes: "name",
  volumeMounts: "mountPath",
  volumeDevices: "devicePath",
  imagePullSecrets: "name",
  hostAliases: "ip",
  ownerReferences: "uid",
  topologySpreadConstraints: "topologyKey",
  resourceClaims: "name",
};

/** Lists whose merge key depends on where they are: container ports by containerPort, Service ports by port. */
function mergeKeyOf(path: string[]): string | undefined {
  const field = path[path.length - 1];
  if (field === "ports") return path.includes("containers") || path.includes("initContainers") ? "containerPort" : path[0] === "spec" ? "port" : undefined;
  return MERGE_KEYS[field];
}

function isBuiltin(group: string): boolean {
  return group === "" || !group.includes(".") || group.endsWith(".k8s.io");
}

function mergeList(dest: unknown[], patch: unknown[], key: string, path: string[], builtin: boolean): unknown[] {
  const keyOf = (e: unknown) => (isRecord(e) && e[key] !== undefined ? JSON.stringify(e[key]) : undefined);
  const destByKey = new Map<string, unknown>();
  for (const e of dest) {
    const k = keyOf(e);
    if (k !== undefined) destByKey.set(k, e);
  }
  const out: unknown[] = [];
  const used = new Set<string>();
  for (const p of patch) {
    const k = keyOf(p);
    if (k === undefined) {
      out.push(cleaned(p));
      continue;
    }
    used.add(k);
    if (deletes(p)) continue;
    const d = destByKey.get(k);
    out.push(d !== undefined && isRecord(d) && isRecord(p) ? mergeMap(d, p, path, builtin) : cleaned(p));
  }
  for (const e of dest) {
    const k = keyOf(e);
    if (k === undefined || !used.has(k)) out.push(walked(e, path, builtin));
  }
  return out;
}

/**
 * A field of the object the patch does not name, as kyaml's walker leaves it: the merge walks
 * every field of the destination (kyaml/yaml/walk/map.go walkMap), and a null whose text is
 * empty (`key:`) comes out of the walk as no value, so the field is cleared (merge2.go VisitMap:
 * only a null written `null` or `~` is kept, MakePersistentNullNode; fns.go FieldSetter clears the
 * rest). Lists without a merge key are not walked into.
 */
function walked(value: unknown, path: string[], builtin: boolean): unknown {
  if (Array.isArray(value)) {
    const key = builtin ? mergeKeyOf(path) : undefined;
    return key === undefined ? value : value.map((e) => walked(e, path, builtin));
  }
  if (!isRecord(value)) return value;
  const empty = emptyValuedKeys(value);
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === null && empty?.has(k)) continue;
    setKey(out, k, walked(v, [...path, k], builtin));
  }
  return out;
}

function mergeMap(dest: Json, patch: Json, path: string[], builtin: boolean): Json {
  if (patch.$patch === "replace") return cleaned(patch) as Json;
  const out = walked(dest, path, builtin) as Json;
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith("$")) continue;
    const here = [...path, key];
    const current = dest[key];
    if (value === null || deletes(value)) delete out[key];
    else if (isRecord(value) && isRecord(current)) setKey(out, key, mergeMap(current, value, here, builtin));
    else if (Array.isArray(value) && Array.isArray(current) && builtin && mergeKeyOf(here) !== undefined) {
      setKey(out, key, mergeList(current, value, mergeKeyOf(here) as string, here, builtin));
    } else setKey(out, key, cleaned(value));
  }
  return out;
}

/** A strategic merge patch applied to one body (kyaml merge2 with the built-in schema's list keys). */
export function strategicMerge(target: Json, patch: Json, group: string): Json | undefined {
  if (patch.$patch === "delete") return undefined;
  return mergeMap(target, patch, [], isBuiltin(group));
}

class JsonPatchError extends Error {}

function pointer(p: unknown): string[] {
  if (typeof p !== "string" || (p !== "" && !p.startsWith("/"))) throw new JsonPatchError(`invalid JSON pointer ${JSON.stringify(p)}`);
  return p === "" ? [] : p.split("/").slice(1).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function parentOf(doc: Json, keys: string[], path: unknown): { node: unknown; last: string } {
  if (keys.length === 0) throw new JsonPatchError(`operation on the whole document (${JSON.stringify(path)}) is not supported`);
  let node: unknown = doc;
  for (const key of keys.slice(0, -1)) {
    node = Array.isArray(node) ? node[Number(key)] : isRecord(node) ? node[key] : undefined;
    if (node === undefined) throw new JsonPatchError(`path ${path} does not exist`);
  }
  return { node, last: keys[keys.length - 1] };
}

function getAt(doc: Json, path: unknown): unknown {
  let node: unknown = doc;
  for (const key of pointer(path)) {
    node = Array.isArray(node) ? node[Number(key)] : isRecord(node) && Object.prototype.hasOwnProperty.call(node, key) ? node[key] : undefined;
    if (node === undefined) throw new JsonPatchError(`path ${path} does not exist`);
  }
  return node;
}

function index(list: unknown[], last: string, forAdd: boolean, path: unknown): number {
  if (forAdd && last === "-") return list.length;
  if (!/^(0|[1-9]\d*)$/.test(last)) throw new JsonPatchError(`invalid array index in ${path}`);
  const i = Number(last);
  if (i > list.length || (!forAdd && i === list.length)) throw new JsonPatchError(`array index out of range in ${path}`);
  return i;
}

function removeAt(doc: Json, path: unknown): unknown {
  const { node, last } = parentOf(doc, pointer(path), path);
  if (Array.isArray(node)) return node.splice(index(node, last, false, path), 1)[0];
  if (isRecord(node) && Object.prototype.hasOwnProperty.call(node, last)) {
    const v = node[last];
    delete node[last];
    return v;
  }
  throw new JsonPatchError(`path ${path} does not exist`);
}

function addAt(doc: Json, path: unknown, value: unknown): void {
  const { node, last } = parentOf(doc, pointer(path), path);
  if (Array.isArray(node)) node.splice(index(node, last, true, path), 0, value);
  else if (isRecord(node)) node[last] = value;
  else throw new JsonPatchError(`path ${path} does not exist`);
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (!isRecord(v)) return v;
  return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical(v[k])]));
}

/** RFC 6902 on one body (kustomize uses evanphx/json-patch: api/filters/patchjson6902). */
export function jsonPatch(target: Json, ops: unknown[]): Json {
  const out = structuredClone(target);
  for (const op of ops) {
    if (!isRecord(op)) throw new JsonPatchError("a JSON 6902 operation must be a mapping");
    try {
      applyOperation(out, op);
    } catch (e) {
      if (e instanceof JsonPatchError) throw new JsonPatchError(`JSON 6902 ${String(op.op)}: ${e.message}`);
      throw e;
    }
  }
  return out;
}

function applyOperation(out: Json, op: Json): void {
  switch (op.op) {
    case "add":
      addAt(out, op.path, structuredClone(op.value));
      break;
    case "remove":
      removeAt(out, op.path);
      break;
    case "replace": {
      const { node, last } = parentOf(out, pointer(op.path), op.path);
      // evanphx/json-patch v4 (patch.go replace, v4.12.0): an object's get of a missing key is no
      // error, so replacing it adds it; an array index must exist.
      if (Array.isArray(node)) node[index(node, last, false, op.path)] = structuredClone(op.value);
      else if (isRecord(node)) node[last] = structuredClone(op.value);
      else throw new JsonPatchError(`replace: path ${op.path} does not exist`);
      break;
    }
    case "move":
      addAt(out, op.path, removeAt(out, op.from));
      break;
    case "copy":
      addAt(out, op.path, structuredClone(getAt(out, op.from)));
      break;
    case "test":
      if (!deepEqual(getAt(out, op.path), op.value)) throw new JsonPatchError(`test failed at ${op.path}`);
      break;
    default:
      throw new JsonPatchError(`unknown operation ${JSON.stringify(op.op)}`);
  }
}

/**
 * After a JSON 6902 patch kustomize sets the annotations back from a map of strings
 * (PatchTransformer.go transformJson6902: GetAnnotations/SetAnnotations), so a `true` added there
 * comes out as "true".
 */
function annotationsAsStrings(body: Json): Json {
  const meta = isRecord(body.metadata) ? body.metadata : undefined;
  if (meta === undefined || !isRecord(meta.annotations)) return body;
  meta.annotations = Object.fromEntries(Object.entries(meta.annotations).map(([k, v]) => [k, v === null ? "" : typeof v === "string" ? v : JSON.stringify(v)]));
  return body;
}

/** The strategic merge patch's own id: what an untargeted patch names. */
function patchId(body: Json) {
  const apiVersion = typeof body.apiVersion === "string" ? body.apiVersion : "";
  const meta = isRecord(body.metadata) ? body.metadata : {};
  return {
    group: groupOf(apiVersion),
    version: apiVersion.slice(apiVersion.indexOf("/") + 1),
    kind: typeof body.kind === "string" ? body.kind : "",
    name: typeof meta.name === "string" ? meta.name : "",
    namespace: typeof meta.namespace === "string" ? meta.namespace : "",
  };
}

/**
 * ApplySmPatch (api/resource/resource.go): the merge cannot change the object's name, namespace
 * or kind (unless `allowNameChange`/`allowKindChange`); the apiVersion is the object's.
 */
function smPatched(o: K8sObject, patch: Patch & { body: Json }): K8sObject | undefined {
  const merged = strategicMerge(o.body, patch.body, o.group);
  if (merged === undefined) return undefined;
  const meta = metadataOf(merged);
  merged.apiVersion = o.body.apiVersion;
  if (!patch.options?.allowKindChange) merged.kind = o.body.kind;
  const before = isRecord(o.body.metadata) ? o.body.metadata : {};
  if (!patch.options?.allowNameChange) {
    if (before.name === undefined) delete meta.name;
    else meta.name = before.name;
  }
  if (before.namespace === undefined || before.namespace === "") delete meta.namespace;
  else meta.namespace = before.namespace;
  // A value the patch sets is the patch's node now, no longer shared with other fields.
  const links = sharedValuesOf(o)
    .map((l) => ({ key: l.key, paths: l.paths.filter((at) => !patchSets(patch.body, at, l.key)) }))
    .filter((l) => l.paths.length > 1);
  return setSharedValues(withBody(o, merged), links);
}

function patchSets(patch: Json, at: string, key: string): boolean {
  let node: unknown = patch;
  for (const part of at.split("/")) {
    if (Array.isArray(node)) return true; // a list in the patch: assume it replaces the value
    node = isRecord(node) ? node[part] : undefined;
    if (node === undefined) return false;
  }
  return isRecord(node) && Object.prototype.hasOwnProperty.call(node, key);
}

/**
 * Objects after the patches, each patch over all objects in turn, as kustomize's PatchTransformer
 * does. A targeted patch applies to every object its selector picks (the body's name, namespace
 * and kind are ignored: `_` is the usual placeholder); an untargeted strategic merge patch must
 * name exactly one object by any id it has had; `$patch: delete` removes the object.
 */
export function patchObjects(objects: K8sObject[], patches: Patch[]): { objects: K8sObject[]; problems: PatchProblem[] } {
  const problems: PatchProblem[] = [];
  let current = objects;
  for (const patch of patches) {
    try {
      current = applyOne(current, patch);
    } catch (e) {
      if (!(e instanceof JsonPatchError || e instanceof SelectorError)) throw e;
      problems.push({ message: e.message, source: patch.source });
    }
  }
  return { objects: current, problems };
}

function applyOne(objects: K8sObject[], patch: Patch): K8sObject[] {
  if (patch.target !== undefined) {
    validateTarget(patch.target);
    const body = patch.body;
    return objects.flatMap((o) => {
      if (!targetSelects(patch.target as Json, o)) return [o];
      // A JSON 6902 patch round-trips the object through JSON: no value node stays shared.
      // PatchTransformer.go transformJson6902 stores each target's id first; ApplySmPatch only when
      // the patch may change the name or kind.
      const next = Array.isArray(body)
        ? setSharedValues(withBody(storePreviousId(o), annotationsAsStrings(jsonPatch(o.body, body))), [])
        : smPatched(patch.options?.allowNameChange || patch.options?.allowKindChange ? storePreviousId(o) : o, { ...patch, body });
      return next === undefined ? [] : [next];
    });
  }
  if (Array.isArray(patch.body)) throw new JsonPatchError("a JSON 6902 patch needs a target");
  const body = patch.body;
  const id = patchId(body);
  const matches = objects.filter((o) => idNames(id, o));
  if (matches.length !== 1) {
    const where = `${id.kind} ${id.namespace === "" ? "" : `${id.namespace}/`}${id.name}`;
    throw new JsonPatchError(matches.length === 0 ? `no resource matches strategic merge patch ${where}` : `more than one resource matches strategic merge patch ${where}`);
  }
  return objects.flatMap((o) => {
    if (o !== matches[0]) return [o];
    const next = smPatched(o, { ...patch, body });
    return next === undefined ? [] : [next];
  });
}

/** Objects after the patches; what kustomize would refuse is left out of the result silently. */
export function applyPatches(objects: K8sObject[], patches: Patch[]): K8sObject[] {
  return patches.length === 0 ? objects : patchObjects(objects, patches).objects;
}

/**
 * A Flux spec's patch lists (`patches`, and the older `patchesStrategicMerge`/`patchesJson6902`),
 * each as kustomize-controller's generator appends it to the kustomization's list of that kind.
 * `source` is where the spec is written: a patch that is not YAML is reported there.
 */
export function fluxPatchLists(spec: Json, source: SourceLocation): { strategicMerge: Patch[]; patches: Patch[]; json6902: Patch[] } {
  const strategicMerge: Patch[] = [];
  for (const body of Array.isArray(spec.patchesStrategicMerge) ? spec.patchesStrategicMerge : []) {
    if (isRecord(body)) strategicMerge.push({ body, source });
  }
  const entries = (field: string, list: unknown): Patch[] => {
    const out: Patch[] = [];
    (Array.isArray(list) ? list : []).forEach((entry, i) => {
      if (!isRecord(entry)) return;
      const target = isRecord(entry.target) ? entry.target : undefined;
      if (Array.isArray(entry.patch)) out.push({ body: entry.patch, target, source });
      if (typeof entry.patch !== "string" || entry.patch.trim() === "") return;
      try {
        out.push(...patchesFromText(entry.patch.trim(), source.file, target, source));
      } catch (e) {
        // The patch is a string inside the Kustomization: its own line numbers mean nothing in the file.
        if (!(e instanceof GitopsInputError)) throw e;
        throw new GitopsInputError(`spec.${field}[${i}].patch: ${e.message.replace(/^.*?:\d+: /, "")}`, source.file, source.line);
      }
    });
    return out;
  };
  return { strategicMerge, patches: entries("patches", spec.patches), json6902: entries("patchesJson6902", spec.patchesJson6902) };
}

/** A Flux spec's patches in one list, in the order kustomize applies the three kinds. */
export function fluxSpecPatches(spec: Json, source: SourceLocation): Patch[] {
  const lists = fluxPatchLists(spec, source);
  return [...lists.strategicMerge, ...lists.patches, ...lists.json6902];
}
