import { Alias, Document, DocumentOptions, Lexer, LineCounter, Node, Pair, ParseOptions, Scalar, SchemaOptions, YAMLMap, YAMLSeq, isAlias, isMap, isPair, isScalar, isSeq, parseAllDocuments, visit } from "yaml";
import { GitopsInputError } from "./errors";
import { goFoldedRoundTrip, goYamlScalars } from "./go-yaml-scalars";
import { K8sObject } from "../model";

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
): { docs: Document.Parsed[]; lineCounter: LineCounter; text: string } {
  const lineCounter = new LineCounter();
  let docs: Document.Parsed[];
  // Editors splice by the offsets of source tokens: they read the text as written.
  if (!options.keepSourceTokens) text = withGoYamlAnchorNames(text);
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
  return { docs, lineCounter, text };
}

/** go-yaml v3's anchor and alias names (scannerc.go yaml_parser_scan_anchor: `is_alpha`). */
const GO_ANCHOR_NAME = /^[0-9A-Za-z_-]+/;
/** What go-yaml lets end such a name besides a blank (the same function). */
const GO_ANCHOR_END = new Set(["?", ":", ",", "]", "}", "%", "@", "`"]);

/**
 * The text with a space put between an anchor or alias name and an indicator that go-yaml v3 reads
 * as the end of the name: `*app: two` is the alias `*app` used as a key in go-yaml (scannerc.go
 * yaml_parser_scan_anchor takes only `[0-9A-Za-z_-]`), where YAML 1.2 and eemeli/yaml read the
 * alias `*app:` with no value. Lines keep their numbers. Only tokens eemeli/yaml's lexer calls
 * anchors or aliases are touched, so quoted and block scalars and comments stay as written.
 */
export function withGoYamlAnchorNames(text: string): string {
  if (!/[*&][0-9A-Za-z_-]+[?:%@`]/.test(text)) return text;
  let out = "";
  let read = "";
  for (const token of new Lexer().lex(text)) {
    // Control tokens (document and scalar starts) take no room in the text.
    if (token.length === 1 && token.charCodeAt(0) < 0x20 && token !== "\n" && token !== "\t" && token !== "\r") continue;
    read += token;
    const name = token[0] === "*" || token[0] === "&" ? GO_ANCHOR_NAME.exec(token.slice(1))?.[0] ?? "" : "";
    const rest = token.slice(1 + name.length);
    out += name !== "" && rest !== "" && GO_ANCHOR_END.has(rest[0]) ? `${token[0]}${name} ${rest}` : token;
  }
  // The lexer gives the text back whole; should it not, the text is read as written.
  return read === text ? out : text;
}

/**
 * One iterative pass over a document's nodes, in document order: depth, and every alias against
 * the anchors defined before it (YAML 1.2 §7.1: an alias refers to the most recent preceding anchor).
 */
function checkStructure(doc: Document.Parsed, file: string, lineCounter: LineCounter): void {
  if (doc.contents === null) return;
  const anchors = new Map<string, Node>();
  const lineOf = (node: Node): number => lineCounter.linePos(node.range?.[0] ?? 0).line;
  // Two parallel stacks (node, depth): no object per node visited.
  const stack: unknown[] = [doc.contents];
  const depths: number[] = [1];
  while (stack.length > 0) {
    const node = stack.pop();
    const depth = depths.pop()!;
    if (isPair(node)) {
      // Keys before values, so anchors in keys are seen first.
      stack.push(node.value, node.key);
      depths.push(depth, depth);
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
      for (let i = items.length - 1; i >= 0; i--) {
        stack.push(items[i]);
        depths.push(depth + 1);
      }
    }
  }
}

/** YAML 1.2 §3.2.1.1: the keys of a mapping are unique. Scalars compare by value, as eemeli/yaml's own check does. */
function checkUniqueKeys(pairs: Pair[], file: string, lineOf: (node: Node) => number): void {
  if (pairs.length < 2) return;
  const repeated = (pair: Pair, key: unknown): never => {
    throw new GitopsInputError(`YAML parse error: Map keys must be unique (${JSON.stringify(String(key)).slice(0, 80)} repeats)`, file, lineOf((pair.key ?? pair.value ?? {}) as Node));
  };
  const keyOf = (pair: Pair): unknown => (isScalar(pair.key) ? pair.key.value : pair.key);
  if (pairs.length <= SMALL_MAP) {
    // Most maps are small: compared pairwise (SameValueZero, as a Set compares), no Set made.
    for (let i = 1; i < pairs.length; i++) {
      const key = keyOf(pairs[i]);
      for (let j = 0; j < i; j++) {
        const other = keyOf(pairs[j]);
        if (other === key || (other !== other && key !== key)) repeated(pairs[i], key);
      }
    }
    return;
  }
  const seen = new Set<unknown>();
  for (const pair of pairs) {
    const key = keyOf(pair);
    if (seen.has(key)) repeated(pair, key);
    seen.add(key);
  }
}

/** Up to this many keys, a map's keys are compared pairwise (at most 28 comparisons). */
const SMALL_MAP = 8;

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
 * resolves them (`0644` is 420, a date is an RFC 3339 string; gitops/read/go-yaml-scalars.ts), and
 * `<<` merge keys merged (a selector written `<<: *labels` has those labels).
 */
export const AS_KUSTOMIZE_READS: SchemaOptions = { customTags: (tags) => [goYamlScalars, ...tags], merge: true };

export function parseYamlDocuments(text: string, file: string, options: SchemaOptions = {}): { data: unknown; line: number }[] {
  const parsed = parseCheckedDocuments(text, file, options);
  if (options === AS_KUSTOMIZE_READS) asKustomizeReadsBlockScalars(parsed.docs, parsed.text);
  return documentsData(parsed.docs, parsed.lineCounter, file);
}

/** A folded block scalar's header, somewhere in a text (a cheap test before visiting nodes). */
const FOLDED_HEADER = /(?:^|[\s:-])>[-+0-9]*[ \t]*(?:#.*)?$/m;

/**
 * Block scalars as kustomize hands them on (go-yaml v3, scannerc.go yaml_parser_scan_block_scalar,
 * and emitterc.go yaml_emitter_write_folded_scalar):
 * - a `|` or `>` block whose last line ends the text without a line break has no final `\n` (its
 *   last line has no break for clip or keep chomping to keep);
 * - a folded block comes out as go-yaml writes it and reads it back once (gitops/read/go-yaml-scalars.ts
 *   goFoldedRoundTrip): a line before a more-indented line gets an extra line break.
 */
function asKustomizeReadsBlockScalars(docs: Document.Parsed[], text: string): void {
  const lastLine = text.slice(text.lastIndexOf("\n") + 1);
  const endsWithoutBreak = lastLine.trim() !== "" && !lastLine.endsWith("\r");
  if (!endsWithoutBreak && !FOLDED_HEADER.test(text)) return;
  for (const doc of docs) {
    visit(doc, {
      Scalar(_, node) {
        if (typeof node.value !== "string" || (node.type !== Scalar.BLOCK_FOLDED && node.type !== Scalar.BLOCK_LITERAL)) return;
        let value = node.value;
        if (endsWithoutBreak && node.range?.[1] === text.length && value.endsWith("\n")) value = value.slice(0, -1);
        if (node.type === Scalar.BLOCK_FOLDED) value = goFoldedRoundTrip(value);
        node.value = value;
      },
    });
  }
}

function documentsData(docs: Document.Parsed[], lineCounter: LineCounter, file: string): { data: unknown; line: number }[] {
  const out: { data: unknown; line: number }[] = [];
  for (const doc of docs) {
    if (doc.contents === null) continue;
    const line = lineCounter.linePos(doc.contents.range[0]).line;
    out.push({ data: plainData(doc) ?? documentData(doc, file, line), line });
  }
  return out;
}

/** Thrown inside plainData at a node it leaves to eemeli/yaml's own toJS. */
const NOT_PLAIN = Symbol("not plain");

/**
 * A checked YAML 1.2 core-schema document as plain data, as `doc.toJS()` makes it but without
 * its per-node bookkeeping (anchors, aliases, merge keys): the profile of verify had toJS at a
 * tenth of the time beyond reading and parsing. Only maps, sequences and scalars of the classes
 * the core schema makes, keys that are scalars; anything else (an alias, a merge key, a
 * collection as a key, a tag's own class) returns undefined and the caller uses toJS.
 * Mirrors eemeli/yaml nodes/addPairToJSMap.js: a null key is "", other keys String(), a key
 * already in the object (`__proto__`, a repeat) is defined, not assigned. Depth is bounded
 * by checkStructure before this runs.
 */
function plainData(doc: Document.Parsed): unknown {
  // A merge key (AS_KUSTOMIZE_READS) is a key whose value is a symbol: that document goes to toJS.
  try {
    return plainNode(doc.contents);
  } catch (err) {
    if (err === NOT_PLAIN) return undefined;
    throw err;
  }
}

function plainNode(node: unknown): unknown {
  if (node === null || node === undefined) return node;
  const type = (node as object).constructor;
  if (type === Scalar) {
    const value = (node as Scalar).value;
    if (typeof value === "object" && value !== null) throw NOT_PLAIN;
    return value;
  }
  if (type === YAMLMap) {
    const map: Record<string, unknown> = {};
    for (const pair of (node as YAMLMap).items) addPlainPair(map, pair);
    return map;
  }
  if (type === YAMLSeq) {
    const items = (node as YAMLSeq).items;
    const seq: unknown[] = new Array(items.length);
    for (let i = 0; i < items.length; i++) seq[i] = plainNode(items[i]);
    return seq;
  }
  if (type === Pair) return addPlainPair({}, node as Pair);
  throw NOT_PLAIN;
}

/**
 * The keys of a mapping read here that were written with no value (`key:`). go-yaml reads them as
 * a null whose text is empty, and kustomize's strategic merge drops exactly those from the object it
 * patches (gitops/kustomize/patches.ts `walked`), keeping a `null` or `~` written out. Kept beside
 * the data, which stays plain: a copy keeps them only through gitops/kustomize/objects.ts cloneJson.
 */
const emptyValued = new WeakMap<object, Set<string>>();

export function emptyValuedKeys(map: object): ReadonlySet<string> | undefined {
  return emptyValued.get(map);
}

export function setEmptyValuedKeys(map: object, keys: ReadonlySet<string>): void {
  emptyValued.set(map, new Set(keys));
}

function addPlainPair(map: Record<string, unknown>, pair: Pair): Record<string, unknown> {
  const key = pair.key;
  let name: string;
  if (key === null) name = "";
  else if ((key as object).constructor === Scalar) {
    const value = (key as Scalar).value;
    if (value === null) name = "";
    else if (typeof value === "object" || typeof value === "symbol") throw NOT_PLAIN;
    else name = String(value);
  } else throw NOT_PLAIN;
  const value = plainNode(pair.value);
  if (value === null && (pair.value === null || (pair.value as Scalar).source === "")) {
    const keys = emptyValued.get(map);
    if (keys === undefined) emptyValued.set(map, new Set([name]));
    else keys.add(name);
  }
  if (name in map) Object.defineProperty(map, name, { value, writable: true, enumerable: true, configurable: true });
  else map[name] = value;
  return map;
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
  const { data, line } = parseYamlMappingDocuments(text, file);
  return { data, line };
}

/** parseYamlMapping, with the parsed documents (for a second look at their nodes without a second parse). */
export function parseYamlMappingDocuments(text: string, file: string): { data: Record<string, unknown>; line: number; docs: Document.Parsed[] } {
  const parsed = parseCheckedDocuments(text, file);
  const first = documentsData(parsed.docs, parsed.lineCounter, file)[0];
  if (first === undefined) return { data: {}, line: 1, docs: parsed.docs };
  if (!isRecord(first.data)) {
    throw new GitopsInputError("expected a YAML mapping", file, first.line);
  }
  return { data: first.data, line: first.line, docs: parsed.docs };
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
