import { Alias, Document, DocumentOptions, LineCounter, Node, Pair, ParseOptions, SchemaOptions, isAlias, isMap, isPair, isScalar, isSeq, parseAllDocuments } from "yaml";
import { GitopsInputError } from "./errors";
import { goYamlScalars } from "./go-yaml-scalars";
import { K8sObject } from "./model";

/** The API group of an apiVersion: "apps/v1" -> "apps", "v1" -> "" (core). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? "" : apiVersion.slice(0, slash);
}

/** A YAML mapping as plain data. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Deeper than this, a document is not a manifest but an attack on recursive code (ours and the parser's). */
export const MAX_YAML_DEPTH = 256;
/**
 * Aliases a document may expand, in eemeli/yaml's measure (`maxAliasCount`: resolved nodes per
 * alias). Its default, 100, is what stops a "billion laughs" document from exhausting memory.
 */
export const MAX_ALIAS_COUNT = 100;

/**
 * Every document of a YAML stream, checked so that later work on it is bounded: a parse error,
 * an alias to an anchor not defined before it, an alias inside its own anchor (a cycle no
 * recursive walk survives), or nesting deeper than MAX_YAML_DEPTH is a GitopsInputError naming
 * `file`:line. The parser's own "Maximum call stack size exceeded" is reported the same way.
 */
export function parseCheckedDocuments(
  text: string,
  file: string,
  options: ParseOptions & DocumentOptions & SchemaOptions = {},
): { docs: Document.Parsed[]; lineCounter: LineCounter } {
  const lineCounter = new LineCounter();
  let docs: Document.Parsed[];
  try {
    // uniqueKeys off: eemeli/yaml compares each key with every earlier one (quadratic: a map of
    // 80,000 keys took two minutes); checkStructure does the same check with a Set.
    const parsed = parseAllDocuments(text, { ...options, lineCounter, prettyErrors: false, uniqueKeys: false });
    docs = Array.isArray(parsed) ? parsed : []; // an empty stream
  } catch (err) {
    if (err instanceof RangeError) throw new GitopsInputError(`YAML nested too deeply to parse (${err.message})`, file, deepestLine(text));
    throw err;
  }
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error !== undefined) {
      const line = error.code === "RESOURCE_EXHAUSTION" ? deepestLine(text) : error.linePos?.[0].line ?? lineCounter.linePos(error.pos[0]).line;
      throw new GitopsInputError(`YAML parse error: ${error.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "")}`, file, line);
    }
    checkStructure(doc, file, lineCounter);
  }
  return { docs, lineCounter };
}

/**
 * One iterative pass over a document's nodes, in document order: depth, and every alias against
 * the anchors defined before it (YAML 1.2 §7.1: an alias refers to the most recent preceding anchor).
 */
function checkStructure(doc: Document.Parsed, file: string, lineCounter: LineCounter): void {
  if (doc.contents === null) return;
  const anchors = new Map<string, Node>();
  const lineOf = (node: Node): number => lineCounter.linePos(node.range?.[0] ?? 0).line;
  const stack: { node: unknown; depth: number }[] = [{ node: doc.contents, depth: 1 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (isPair(node)) {
      // Keys before values, so anchors in keys are seen first.
      stack.push({ node: node.value, depth }, { node: node.key, depth });
      continue;
    }
    if (node === null || typeof node !== "object") continue;
    const n = node as Node;
    if (depth > MAX_YAML_DEPTH) {
      throw new GitopsInputError(`YAML nested more than ${MAX_YAML_DEPTH} levels deep`, file, lineOf(n));
    }
    if (isAlias(n)) {
      checkAlias(n, anchors, file, lineOf(n));
      continue;
    }
    if (n.anchor) anchors.set(n.anchor, n);
    if (isMap(n)) checkUniqueKeys(n.items, file, lineOf);
    if (isMap(n) || isSeq(n)) {
      const items = n.items as unknown[];
      for (let i = items.length - 1; i >= 0; i--) stack.push({ node: items[i], depth: depth + 1 });
    }
  }
}

/** YAML 1.2 §3.2.1.1: the keys of a mapping are unique. Scalars compare by value, as eemeli/yaml's own check does. */
function checkUniqueKeys(pairs: Pair[], file: string, lineOf: (node: Node) => number): void {
  if (pairs.length < 2) return;
  const seen = new Set<unknown>();
  for (const pair of pairs) {
    const key = isScalar(pair.key) ? pair.key.value : pair.key;
    if (seen.has(key)) {
      throw new GitopsInputError(`YAML parse error: Map keys must be unique (${JSON.stringify(String(key)).slice(0, 80)} repeats)`, file, lineOf((pair.key ?? pair.value ?? {}) as Node));
    }
    seen.add(key);
  }
}

function checkAlias(alias: Alias, anchors: Map<string, Node>, file: string, line: number): void {
  const target = anchors.get(alias.source);
  if (target === undefined) {
    throw new GitopsInputError(`YAML alias *${alias.source} refers to no anchor &${alias.source} before it`, file, line);
  }
  const [start, , end] = target.range ?? [0, 0, 0];
  const at = alias.range?.[0] ?? -1;
  if (at >= start && at < end) {
    throw new GitopsInputError(`YAML alias *${alias.source} is inside the node its anchor names: the value would contain itself`, file, line);
  }
}

/** The line with the deepest indentation or bracket nesting: where a too-deep document goes too deep. */
function deepestLine(text: string): number {
  let best = 1;
  let bestDepth = -1;
  let brackets = 0;
  let line = 1;
  let lineStart = true;
  let indent = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      line++;
      lineStart = true;
      indent = 0;
      continue;
    }
    if (lineStart && (c === 32 || c === 45)) indent++; // spaces and "- " both nest a block
    else lineStart = false;
    if (c === 91 || c === 123) brackets++;
    else if (c === 93 || c === 125) brackets--;
    const depth = brackets + indent;
    if (depth > bestDepth) {
      bestDepth = depth;
      best = line;
    }
  }
  return best;
}

/** Every document of a YAML stream as plain data with its 1-based start line; empty ones dropped. */
/**
 * How kustomize reads resources and patches, with go-yaml v3: plain scalars resolved as it
 * resolves them (`0644` is 420, a date is an RFC 3339 string; gitops/go-yaml-scalars.ts), and
 * `<<` merge keys merged (a selector written `<<: *labels` has those labels).
 */
export const AS_KUSTOMIZE_READS: SchemaOptions = { customTags: (tags) => [goYamlScalars, ...tags], merge: true };

export function parseYamlDocuments(text: string, file: string, options: SchemaOptions = {}): { data: unknown; line: number }[] {
  const { docs, lineCounter } = parseCheckedDocuments(text, file, options);
  const out: { data: unknown; line: number }[] = [];
  for (const doc of docs) {
    if (doc.contents === null) continue;
    const line = lineCounter.linePos(doc.contents.range[0]).line;
    out.push({ data: documentData(doc, file, line), line });
  }
  return out;
}

/** A checked document as plain data; an alias expansion past MAX_ALIAS_COUNT is an input error. */
export function documentData(doc: Document, file: string, line: number): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    if (err instanceof ReferenceError || err instanceof RangeError) {
      throw new GitopsInputError(`YAML document cannot be expanded: ${err.message.split("\n")[0]}`, file, line);
    }
    throw err;
  }
}

/** One document that must be a mapping (a kustomization file, a providers file). */
export function parseYamlMapping(text: string, file: string): { data: Record<string, unknown>; line: number } {
  const docs = parseYamlDocuments(text, file);
  const first = docs[0];
  if (first === undefined) return { data: {}, line: 1 };
  if (!isRecord(first.data)) {
    throw new GitopsInputError("expected a YAML mapping", file, first.line);
  }
  return { data: first.data, line: first.line };
}

/** A document as a Kubernetes object, or undefined when it is not one (no apiVersion/kind). */
function toK8sObject(data: unknown, file: string, line: number): K8sObject | undefined {
  if (!isRecord(data) || typeof data.apiVersion !== "string" || typeof data.kind !== "string") return undefined;
  const metadata = isRecord(data.metadata) ? data.metadata : {};
  return {
    apiVersion: data.apiVersion,
    kind: data.kind,
    group: groupOf(data.apiVersion),
    name: typeof metadata.name === "string" ? metadata.name : "",
    namespace: typeof metadata.namespace === "string" && metadata.namespace !== "" ? metadata.namespace : undefined,
    body: data,
    source: { file, line },
  };
}

/**
 * The Kubernetes objects of a multi-document manifest file. Documents that are empty or carry no
 * apiVersion/kind are skipped; a `*List` kind is expanded into its items, as kustomize does
 * (https://github.com/kubernetes-sigs/kustomize/blob/master/api/resource/factory.go).
 */
export function parseManifests(text: string, file: string, options: SchemaOptions = {}): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const { data, line } of parseYamlDocuments(text, file, options)) {
    const object = toK8sObject(data, file, line);
    if (object === undefined) continue;
    const items = object.body.items;
    if (object.kind.endsWith("List") && Array.isArray(items)) {
      for (const item of items) {
        const inner = toK8sObject(item, file, line);
        if (inner !== undefined) objects.push(inner);
      }
    } else {
      objects.push(object);
    }
  }
  return objects;
}
