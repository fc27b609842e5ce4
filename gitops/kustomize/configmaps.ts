import { isUtf8 } from "buffer";
import { createHash } from "crypto";
import * as path from "path";
import { K8sObject, SourceLocation } from "../model";
import { Repo } from "../read/repo";
import { isRecord } from "../read/yaml";
import { idNames } from "./selector";
import { clearNeedsHash, cloneJson, Json, markNeedsHash, needsHash, withBody } from "./objects";

/**
 * kustomize's `configMapGenerator` and `secretGenerator` (api/internal/generators/configmap.go,
 * secret.go, api/kv/kv.go) and the content hash appended to their names at the end of the top
 * build (api/hasher/hasher.go).
 */

export class GeneratorError extends Error {}

/** Global `generatorOptions` under a generator's own `options`: local keys win (api/types/generatoroptions.go). */
function mergedOptions(local: unknown, global: unknown): Json {
  const l = isRecord(local) ? local : {};
  const g = isRecord(global) ? global : {};
  const maps = (key: string) => {
    const a = isRecord(l[key]) ? (l[key] as Json) : undefined;
    const b = isRecord(g[key]) ? (g[key] as Json) : undefined;
    return a === undefined && b === undefined ? undefined : { ...(b ?? {}), ...(a ?? {}) };
  };
  return {
    labels: maps("labels"),
    annotations: maps("annotations"),
    disableNameSuffixHash: l.disableNameSuffixHash === true || g.disableNameSuffixHash === true,
    immutable: l.immutable === true || g.immutable === true,
  };
}

function removeQuotes(s: string): string {
  if (s.length < 2 || s[0] !== s[s.length - 1]) return s;
  return s[0] === '"' || s[0] === "'" ? s.slice(1, -1) : s;
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);

/** The key/value pairs of one generator: env files, then literals, then files (api/kv/kv.go Load). A file's value is its bytes. */
function pairsOf(repo: Repo, dir: string, g: Json): [string, string | Buffer][] {
  const pairs: [string, string | Buffer][] = [];
  const file = (ref: string) => {
    const at = repo.join(dir, ref);
    if (!repo.isFile(at)) throw new GeneratorError(`generator file ${ref} does not exist`);
    return at;
  };
  const read = (ref: string) => repo.readText(file(ref));
  for (const env of [...strings(g.envs), ...(typeof g.env === "string" ? [g.env] : [])]) {
    read(env).replace(/^\uFEFF/, "").split(/\r?\n/).forEach((raw) => {
      const line = raw.replace(/^\s+/, "");
      if (line === "" || line.startsWith("#")) return;
      const eq = line.indexOf("=");
      pairs.push(eq < 0 ? [line, ""] : [line.slice(0, eq), line.slice(eq + 1)]);
    });
  }
  for (const literal of strings(g.literals)) {
    const eq = literal.indexOf("=");
    if (eq <= 0) throw new GeneratorError(`invalid literal source ${literal}, expected key=value`);
    pairs.push([literal.slice(0, eq), removeQuotes(literal.slice(eq + 1))]);
  }
  for (const source of strings(g.files)) {
    const parts = source.split("=");
    if (parts.length > 2 || (parts.length === 2 && (parts[0] === "" || parts[1] === ""))) {
      throw new GeneratorError(`invalid file source ${source}`);
    }
    const [key, ref] = parts.length === 2 ? parts : [path.posix.basename(source), source];
    pairs.push([key, repo.readBytes(file(ref))]);
  }
  const seen = new Set<string>();
  for (const [key] of pairs) {
    if (!/^[-._a-zA-Z0-9]+$/.test(key)) throw new GeneratorError(`invalid key ${JSON.stringify(key)} in generator ${g.name}`);
    if (seen.has(key)) throw new GeneratorError(`generator ${g.name} illegally repeats the key \`${key}\``);
    seen.add(key);
  }
  return pairs;
}

/**
 * kyaml's base64 for generated values (kyaml/yaml/datamap.go encodeBase64, v0.21.1): standard
 * base64 cut into lines of 70 characters, each ended by `\n`, once it is 70 or longer. The hash
 * of the name is taken over these lines, so it must be the same text.
 */
export function kustomizeBase64(bytes: Buffer): string {
  const encoded = bytes.toString("base64");
  if (encoded.length < 70) return encoded;
  let out = "";
  for (let i = 0; i < encoded.length; i += 70) out += `${encoded.slice(i, i + 70)}\n`;
  return out;
}

/**
 * A generated object's body (api/internal/generators/utils.go, kyaml datamap.go): a ConfigMap
 * value that is valid UTF-8 goes to `data` as text, any other to `binaryData` in base64
 * (makeConfigMapValueRNode: utf8.ValidString), so Flux's substitution never sees its bytes; a
 * Secret's values all go to `data` in base64.
 */
function generatedBody(kind: "ConfigMap" | "Secret", g: Json, pairs: [string, string | Buffer][], options: Json): Json {
  const metadata: Json = { name: g.name };
  if (typeof g.namespace === "string" && g.namespace !== "") metadata.namespace = g.namespace;
  if (isRecord(options.labels)) metadata.labels = { ...options.labels };
  if (isRecord(options.annotations)) metadata.annotations = { ...options.annotations };
  const body: Json = { apiVersion: "v1", kind, metadata };
  const bytes = (v: string | Buffer) => (typeof v === "string" ? Buffer.from(v, "utf8") : v);
  if (kind === "Secret") {
    body.type = typeof g.type === "string" && g.type !== "" ? g.type : "Opaque";
    if (pairs.length > 0) body.data = Object.fromEntries(pairs.map(([k, v]) => [k, kustomizeBase64(bytes(v))]));
  } else {
    const text = pairs.filter(([, v]) => typeof v === "string" || isUtf8(v));
    const binary = pairs.filter(([, v]) => typeof v !== "string" && !isUtf8(v));
    if (text.length > 0) body.data = Object.fromEntries(text.map(([k, v]) => [k, v.toString()]));
    if (binary.length > 0) body.binaryData = Object.fromEntries(binary.map(([k, v]) => [k, kustomizeBase64(bytes(v))]));
  }
  if (options.immutable === true) body.immutable = true;
  return body;
}

/**
 * Runs the generators of a kustomization over the accumulated objects: a new object is appended;
 * `behavior: merge|replace` changes the one it names (api/resmap/reswrangler.go appendReplaceOrMerge).
 */
export function runGenerators(repo: Repo, dir: string, k: Json, objects: K8sObject[], source: (name: string) => SourceLocation): K8sObject[] {
  let out = objects;
  const lists: [unknown, "ConfigMap" | "Secret"][] = [[k.configMapGenerator, "ConfigMap"], [k.secretGenerator, "Secret"]];
  for (const [list, kind] of lists) {
    if (!Array.isArray(list)) continue;
    for (const g of list) {
      if (!isRecord(g) || typeof g.name !== "string" || g.name === "") throw new GeneratorError(`a ${kind} generator must have a name`);
      const options = mergedOptions(g.options, k.generatorOptions);
      const body = generatedBody(kind, g, pairsOf(repo, dir, g), options);
      const behavior = typeof g.behavior === "string" && g.behavior !== "" ? g.behavior : "create";
      const id = { group: "", version: "v1", kind, name: g.name, namespace: typeof g.namespace === "string" ? g.namespace : "" };
      const matches = out.filter((o) => idNames(id, o));
      const fresh: K8sObject = {
        apiVersion: "v1", kind, group: "", name: g.name, namespace: id.namespace === "" ? undefined : id.namespace, body, source: source(g.name),
      };
      if (matches.length === 0) {
        if (behavior !== "create") throw new GeneratorError(`${kind} ${g.name} does not exist; cannot ${behavior} it`);
        out = [...out, options.disableNameSuffixHash === true ? fresh : markNeedsHash(fresh)];
        continue;
      }
      if (matches.length > 1) throw new GeneratorError(`more than one ${kind} ${g.name} could accept the ${behavior}`);
      if (behavior !== "merge" && behavior !== "replace") throw new GeneratorError(`${kind} ${g.name} already exists; behavior must be merge or replace`);
      const old = matches[0];
      const oldMeta = isRecord(old.body.metadata) ? old.body.metadata : {};
      const meta = body.metadata as Json;
      const labels = { ...(isRecord(oldMeta.labels) ? oldMeta.labels : {}), ...(isRecord(meta.labels) ? meta.labels : {}) };
      const annotations = { ...(isRecord(oldMeta.annotations) ? oldMeta.annotations : {}), ...(isRecord(meta.annotations) ? meta.annotations : {}) };
      const merged: Json = { ...body, metadata: { ...meta, name: oldMeta.name } };
      const mm = merged.metadata as Json;
      if (typeof oldMeta.namespace === "string" && oldMeta.namespace !== "") mm.namespace = oldMeta.namespace;
      else delete mm.namespace;
      if (Object.keys(labels).length > 0) mm.labels = labels;
      if (Object.keys(annotations).length > 0) mm.annotations = annotations;
      if (behavior === "merge") {
        for (const field of ["data", "binaryData"]) {
          const values = { ...(isRecord(old.body[field]) ? old.body[field] as Json : {}), ...(isRecord(body[field]) ? body[field] as Json : {}) };
          if (Object.keys(values).length > 0) merged[field] = values;
        }
      }
      // resource.go CopyMergeMetaDataFieldsFrom (kustomize v5.5.0): build annotations come from the
      // old object, and the hash mark stays only when the new generator asks for one too. A
      // replacement is the new generator's (its origin); a merge keeps the old one's.
      const hash = needsHash(old) && options.disableNameSuffixHash !== true;
      const next = withBody(old, merged);
      if (behavior === "replace") next.source = fresh.source;
      out = out.map((o) => (o === old ? (hash ? markNeedsHash(next) : clearNeedsHash(next)) : o));
    }
  }
  return out;
}

/** Go's encoding/json: sorted keys, and <, >, &, U+2028, U+2029 escaped. */
function goJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(goJson).join(",")}]`;
  if (isRecord(value)) {
    const keys = Object.keys(value).sort((a, b) => (Buffer.compare(Buffer.from(a), Buffer.from(b))));
    return `{${keys.map((k) => `${goString(k)}:${goJson(value[k])}`).join(",")}}`;
  }
  if (typeof value === "string") return goString(value);
  return JSON.stringify(value);
}

function goString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Map values as the hasher reads them (a missing field is ""; values as strings). */
function dataOf(value: unknown): unknown {
  if (!isRecord(value)) return "";
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, v === null ? "" : String(v)]));
}

/** hasher.encode: the first 10 hex digits of the sha256, with 0, 1, 3, a, e replaced to avoid words. */
export function contentHash(body: Json): string {
  // hasher.getNodeValues looks "metadata/name" up as ONE field name, which no object has: the name
  // always hashes as "" (checked against kubectl kustomize v5.5.0 by the differential test).
  const m: Json = { kind: body.kind, name: "", data: dataOf(body.data) };
  if (body.kind === "Secret") {
    m.type = typeof body.type === "string" ? body.type : "";
    if (isRecord(body.stringData)) m.stringData = dataOf(body.stringData);
  } else if (isRecord(body.binaryData)) {
    m.binaryData = dataOf(body.binaryData);
  }
  const hex = createHash("sha256").update(goJson(m)).digest("hex").slice(0, 10);
  return hex.replace(/[013ae]/g, (c) => ({ "0": "g", "1": "h", "3": "k", a: "m", e: "t" })[c] as string);
}

/** The top build's last step: `name-<hash>` for each generated object that keeps its hash. */
export function withHashSuffixes(objects: K8sObject[]): K8sObject[] {
  return objects.map((o) => {
    if (!needsHash(o)) return o;
    const body = cloneJson(o.body);
    (body.metadata as Json).name = `${o.name}-${contentHash(body)}`;
    return clearNeedsHash(withBody(o, body));
  });
}
