/**
 * The control structure of a Helm template around the documents it emits, and an honest evaluator
 * for the conditions Helm charts put around their CRDs. There is no well-kept Go template engine
 * in JavaScript, so this reads only what decides whether a CRD document is rendered: `if`,
 * `else if`, `else`, `with`, `range`, `define`/`block`, `end` (text/template parse/lex.go,
 * parse/parse.go), and evaluates `.Values` paths with `and`, `or`, `not`, `eq`, `ne`, `default`,
 * `hasKey`, `empty`, literals, parentheses and pipelines. Anything else (a `.Capabilities` probe,
 * `semverCompare`, a variable, `include`) is unknown: the document is "maybe", never guessed.
 */

/** An unknown value: a condition depending on it cannot be decided offline. */
export const UNKNOWN: unique symbol = Symbol("unknown");
export type Value = unknown;

/** One condition a document is rendered under: the `if` expression and the truth it needs. */
export interface TemplateCondition {
  /** The pipeline as written, e.g. `or .Values.installCRDs .Values.crds.enabled`. */
  expr: string;
  /** True: rendered when the pipeline is truthy; false: in an `else` branch. */
  want: boolean;
  /** Inside `with`/`range` the dot is not the chart's root, or a range repeats: not decidable. */
  opaque?: boolean;
}

/** A document of a template file and the conditions around it. */
export interface TemplateDocument {
  /** The document's text with the template actions still in place. */
  text: string;
  /** 1-based line of the document's first line in the file. */
  line: number;
  conditions: TemplateCondition[];
}

/** `.Files.Get "x"` / `.Files.Glob "x"` in a template: rendered file contents, with the conditions around them. */
export interface FilesInclude {
  pattern: string;
  conditions: TemplateCondition[];
}

interface Frame {
  keyword: "if" | "with" | "range" | "define" | "block";
  /** Negations of the branches already passed (`else` after `if A` is `not A`). */
  passed: TemplateCondition[];
  current?: TemplateCondition;
  /** `range $path, $_ := .Files.Glob "crds/*.yaml"`: the files the loop walks. */
  glob?: string;
}

/**
 * An action that emits a file's contents as they are (`{{ .Files.Get "crds/a.yaml" }}`, or
 * `{{ $.Files.Get $path }}` inside a range over `.Files.Glob`), perhaps indented: anything else
 * done with the contents (b64enc, fromYaml, a ConfigMap's data) renders no CRD.
 */
const RAW_GET = /^\$?\.Files\.Get\s+(?:"([^"]*)"|(\$\w+))\s*(?:\|\s*(?:nindent|indent|trim)\b[^|]*)?$/;
const GLOB_RANGE = /^(?:\$\w+\s*,\s*\$\w*\s*:=\s*)?\$?\.Files\.Glob\s+"([^"]*)"$/;

const ACTION = /\{\{(-?)([\s\S]*?)(-?)\}\}/g;

/** Bounds that keep a hostile template linear: beyond them the file is read as opaque. */
const MAX_TEMPLATE_NESTING = 64;

/**
 * Splits a template into the documents it would emit and the conditions each is under. A `---`
 * line in text separates documents; a document's conditions are those at its `kind:` line (or its
 * start). Text inside `define` is not emitted in place.
 */
export function templateDocuments(source: string): { documents: TemplateDocument[]; files: FilesInclude[] } {
  const stack: Frame[] = [];
  const documents: TemplateDocument[] = [];
  const files: FilesInclude[] = [];
  let doc: { parts: string[]; line: number; conditions?: TemplateCondition[] } = { parts: [], line: 1 };
  let line = 1;
  let broken = false;
  const active = (): TemplateCondition[] => {
    const out: TemplateCondition[] = [];
    let dotMoved = false;
    for (const f of stack) {
      out.push(...f.passed.map((c) => (dotMoved ? { ...c, opaque: true } : c)));
      if (f.current !== undefined) out.push(dotMoved ? { ...f.current, opaque: true } : f.current);
      if (f.keyword === "with" || f.keyword === "range") dotMoved = true;
    }
    if (broken) out.push({ expr: "(template structure not understood)", want: true, opaque: true });
    return out;
  };
  const inDefine = () => stack.some((f) => f.keyword === "define");
  const flush = () => {
    const text = doc.parts.join("");
    if (text.trim() !== "") documents.push({ text, line: doc.line, conditions: doc.conditions ?? active() });
    doc = { parts: [], line };
  };
  const addText = (text: string) => {
    if (inDefine()) {
      line += count(text, "\n");
      return;
    }
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) {
      if (i > 0) {
        doc.parts.push("\n");
        line++;
      }
      const l = lines[i];
      if (/^---(\s.*)?$/.test(l) && (i > 0 || endsLine(doc.parts))) {
        flush();
        continue;
      }
      if (doc.conditions === undefined && /^kind:\s*\S/.test(l)) doc.conditions = active();
      doc.parts.push(l);
    }
  };
  let last = 0;
  for (const m of source.matchAll(ACTION)) {
    addText(source.slice(last, m.index));
    last = m.index! + m[0].length;
    const body = m[2];
    const startLine = line;
    line += count(m[0], "\n");
    if (!inDefine()) doc.parts.push(m[0]);
    const action = body.trim();
    if (action.startsWith("/*")) continue;
    const [word, rest] = splitKeyword(action);
    switch (word) {
      case "if":
      case "with":
      case "range": {
        if (stack.length >= MAX_TEMPLATE_NESTING) {
          broken = true;
          break;
        }
        const cond = { expr: rest, want: true, ...(word === "range" ? { opaque: true } : {}) };
        const glob = word === "range" ? GLOB_RANGE.exec(rest)?.[1] : undefined;
        stack.push({ keyword: word, passed: [], current: cond, ...(glob === undefined ? {} : { glob }) });
        break;
      }
      case "define":
      case "block":
        stack.push({ keyword: word, passed: [] });
        break;
      case "else": {
        const top = stack[stack.length - 1];
        if (top === undefined) {
          broken = true;
          break;
        }
        if (top.current !== undefined) top.passed.push({ ...top.current, want: !top.current.want });
        const [inner, innerRest] = splitKeyword(rest);
        top.current = inner === "if" || inner === "with" ? { expr: innerRest, want: true } : undefined;
        if (inner === "with") top.keyword = "with";
        else if (top.keyword === "with" || top.keyword === "range") top.keyword = "if"; // the else branch keeps the outer dot
        break;
      }
      case "end":
        if (stack.pop() === undefined) broken = true;
        break;
      default: {
        const raw = RAW_GET.exec(action.replace(/^-\s*|\s*-$/g, ""));
        if (raw !== null && !inDefine()) {
          const loop = [...stack].reverse().find((f) => f.glob !== undefined);
          const pattern = raw[1] ?? (loop !== undefined ? loop.glob : undefined);
          // The loop over files is not a condition: its files are emitted under the conditions around it.
          if (pattern !== undefined) files.push({ pattern, conditions: active().filter((c) => loop === undefined || c.expr !== loop.current?.expr) });
        }
        void startLine;
      }
    }
  }
  addText(source.slice(last));
  flush();
  return { documents, files };
}

function endsLine(parts: string[]): boolean {
  for (let i = parts.length - 1; i >= 0; i--) {
    if (parts[i] === "") continue;
    return parts[i] === "\n";
  }
  return true;
}

function count(text: string, ch: string): number {
  let n = 0;
  for (let i = text.indexOf(ch); i !== -1; i = text.indexOf(ch, i + 1)) n++;
  return n;
}

function splitKeyword(action: string): [string, string] {
  const m = /^([a-z]+)\b\s*([\s\S]*)$/.exec(action);
  return m === null ? ["", action] : [m[1], m[2].trim()];
}

// ---------------------------------------------------------------------------------------------
// Expressions

type Node =
  | { t: "field"; base: "dot" | "root" | "var"; path: string[] }
  | { t: "lit"; value: Value }
  | { t: "call"; fn: string; args: Node[] }
  | { t: "pipe"; cmds: Node[][] }
  | { t: "sub"; pipe: Node; path: string[] };

const TOKEN = /\s*(?:(\()|(\))|(\|)|("(?:[^"\\]|\\.)*")|(`[^`]*`)|(-?\d+(?:\.\d+)?)|((?:\$[A-Za-z0-9_]*)?(?:\.[A-Za-z0-9_]+)+|\$[A-Za-z0-9_]*|\.)|([A-Za-z_][A-Za-z0-9_]*)|(\S))/y;

type Token = { k: "(" | ")" | "|" | "str" | "num" | "field" | "ident" | "other"; v: string };

function tokenize(expr: string): Token[] | undefined {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < expr.length) {
    const start = TOKEN.lastIndex;
    const m = TOKEN.exec(expr);
    if (m === null) {
      if (expr.slice(start).trim() === "") break;
      return undefined;
    }
    if (m[1]) tokens.push({ k: "(", v: m[1] });
    else if (m[2]) tokens.push({ k: ")", v: m[2] });
    else if (m[3]) tokens.push({ k: "|", v: m[3] });
    else if (m[4]) tokens.push({ k: "str", v: JSON.parse(m[4]) as string });
    else if (m[5]) tokens.push({ k: "str", v: m[5].slice(1, -1) });
    else if (m[6]) tokens.push({ k: "num", v: m[6] });
    else if (m[7]) tokens.push({ k: "field", v: m[7] });
    else if (m[8]) tokens.push({ k: "ident", v: m[8] });
    else if (m[9]) tokens.push({ k: "other", v: m[9] });
    if (tokens.length > 500) return undefined;
  }
  return tokens;
}

function fieldNode(text: string): Node {
  if (text === ".") return { t: "field", base: "dot", path: [] };
  if (text.startsWith("$.")) return { t: "field", base: "root", path: text.slice(2).split(".") };
  if (text === "$") return { t: "field", base: "root", path: [] };
  if (text.startsWith("$")) return { t: "field", base: "var", path: text.split(".").slice(1) };
  return { t: "field", base: "dot", path: text.slice(1).split(".") };
}

/** Parses a pipeline; undefined when it is not in the subset this reads. */
export function parsePipeline(expr: string): Node | undefined {
  if (expr.length > 4096) return undefined;
  const tokens = tokenize(expr);
  if (tokens === undefined) return undefined;
  let i = 0;
  const depth = { n: 0 };
  const pipeline = (): Node | undefined => {
    if (++depth.n > 32) return undefined;
    const cmds: Node[][] = [];
    let cmd: Node[] = [];
    while (i < tokens.length && tokens[i].k !== ")") {
      const tok = tokens[i];
      if (tok.k === "|") {
        if (cmd.length === 0) return undefined;
        cmds.push(cmd);
        cmd = [];
        i++;
        continue;
      }
      const operand = operandAt();
      if (operand === undefined) return undefined;
      cmd.push(operand);
    }
    if (cmd.length === 0) return undefined;
    cmds.push(cmd);
    depth.n--;
    return { t: "pipe", cmds };
  };
  const operandAt = (): Node | undefined => {
    const tok = tokens[i++];
    switch (tok.k) {
      case "(": {
        const inner = pipeline();
        if (inner === undefined || tokens[i]?.k !== ")") return undefined;
        i++;
        // A field chain straight after the parenthesis: (.Values.x).y
        if (tokens[i]?.k === "field" && tokens[i].v.startsWith(".") && tokens[i].v !== ".") {
          const path = tokens[i++].v.slice(1).split(".");
          return { t: "sub", pipe: inner, path };
        }
        return inner;
      }
      case "str":
        return { t: "lit", value: tok.v };
      case "num":
        return { t: "lit", value: Number(tok.v) };
      case "field":
        return fieldNode(tok.v);
      case "ident":
        if (tok.v === "true" || tok.v === "false") return { t: "lit", value: tok.v === "true" };
        if (tok.v === "nil") return { t: "lit", value: null };
        return { t: "call", fn: tok.v, args: [] };
      default:
        return undefined;
    }
  };
  const result = pipeline();
  return result !== undefined && i === tokens.length ? result : undefined;
}

/** The values a template sees: a tree, and the paths under which values are unknown (a valuesFrom not read). */
export interface ValuesView {
  values: Record<string, unknown>;
  /** Dotted prefixes whose values cannot be known offline; [""] makes every value unknown. */
  unknown: string[];
}

function lookup(view: ValuesView, path: string[]): Value {
  const dotted = path.join(".");
  for (const u of view.unknown) {
    if (u === "" || dotted === u || dotted.startsWith(`${u}.`) || u.startsWith(`${dotted}.`)) return UNKNOWN;
  }
  let node: unknown = view.values;
  for (const key of path) {
    if (typeof node !== "object" || node === null || Array.isArray(node)) return null;
    node = Object.prototype.hasOwnProperty.call(node, key) ? (node as Record<string, unknown>)[key] : null;
  }
  return node === undefined ? null : node;
}

/** Go template truth (text/template exec.go isTrue): false, 0, nil, "" and empty collections are false. */
export function truthy(v: Value): boolean | typeof UNKNOWN {
  if (v === UNKNOWN) return UNKNOWN;
  if (v === null || v === undefined || v === false || v === 0 || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object") return Object.keys(v as object).length > 0;
  return true;
}

function field(base: Value, path: string[]): Value {
  let node = base;
  for (const key of path) {
    if (node === UNKNOWN) return UNKNOWN;
    if (typeof node !== "object" || node === null || Array.isArray(node)) return null;
    node = Object.prototype.hasOwnProperty.call(node, key) ? (node as Record<string, unknown>)[key] : null;
  }
  return node ?? null;
}

function evaluate(node: Node, view: ValuesView, final?: Value): Value {
  switch (node.t) {
    case "lit":
      return node.value;
    case "field":
      if (node.base === "var") return UNKNOWN;
      if (node.path[0] === "Values") return lookup(view, node.path.slice(1));
      return UNKNOWN; // .Release, .Capabilities, .Chart, .Files, the dot itself
    case "sub":
      return field(evaluate(node.pipe, view), node.path);
    case "pipe": {
      let carried: Value | undefined;
      let first = true;
      for (const cmd of node.cmds) {
        carried = command(cmd, view, first ? undefined : carried, first);
        first = false;
      }
      return carried;
    }
    case "call":
      return call(node.fn, [], view, final);
  }
}

function command(cmd: Node[], view: ValuesView, carried: Value | undefined, first: boolean): Value {
  const [head, ...args] = cmd;
  if (head.t === "call") {
    const values = args.map((a) => evaluate(a, view));
    if (!first) values.push(carried);
    return call(head.fn, values, view);
  }
  if (cmd.length > 1 || !first) return UNKNOWN; // arguments to a value: not a function call we know
  return evaluate(head, view);
}

function equal(a: Value, b: Value): boolean {
  if (typeof a === "number" && typeof b === "number") return a === b;
  return a === b;
}

function call(fn: string, args: Value[], _view: ValuesView, _final?: Value): Value {
  switch (fn) {
    case "and":
    case "or": {
      if (args.length === 0) return UNKNOWN;
      const truths = args.map(truthy);
      // text/template funcs.go: and returns the first false argument or the last; or the first true or the last.
      const decisive = fn === "and" ? false : true;
      for (let i = 0; i < args.length; i++) {
        if (truths[i] === UNKNOWN) return truths.slice(i + 1).includes(decisive) ? decisive : UNKNOWN;
        if (truths[i] === decisive) return args[i];
      }
      return args[args.length - 1];
    }
    case "not": {
      if (args.length !== 1) return UNKNOWN;
      const t = truthy(args[0]);
      return t === UNKNOWN ? UNKNOWN : !t;
    }
    case "eq":
    case "ne": {
      if (args.length < 2 || args.includes(UNKNOWN)) return UNKNOWN;
      // eq arg1 arg2 arg3...: true when arg1 equals any of the others.
      const hit = args.slice(1).some((b) => equal(args[0], b));
      return fn === "eq" ? hit : !hit;
    }
    case "default": {
      // Sprig default: the given value when set and not empty, else the default.
      if (args.length !== 2) return UNKNOWN;
      const t = truthy(args[1]);
      return t === UNKNOWN ? UNKNOWN : t ? args[1] : args[0];
    }
    case "empty": {
      if (args.length !== 1) return UNKNOWN;
      const t = truthy(args[0]);
      return t === UNKNOWN ? UNKNOWN : !t;
    }
    case "hasKey": {
      if (args.length !== 2 || args.includes(UNKNOWN) || typeof args[1] !== "string") return UNKNOWN;
      const m = args[0];
      return typeof m === "object" && m !== null && !Array.isArray(m) && Object.prototype.hasOwnProperty.call(m, args[1]);
    }
    case "true":
      return true;
    default:
      return UNKNOWN;
  }
}

/** Whether a condition holds against values: true, false, or UNKNOWN. */
export function conditionHolds(cond: TemplateCondition, view: ValuesView): boolean | typeof UNKNOWN {
  if (cond.opaque) return UNKNOWN;
  const node = parsePipeline(cond.expr);
  if (node === undefined) return UNKNOWN;
  const t = truthy(evaluate(node, view));
  return t === UNKNOWN ? UNKNOWN : t === cond.want;
}

/** The `.Values` paths a condition reads (dotted, without `Values.`), so a lock can keep just those defaults. */
export function valuePaths(expr: string): string[] {
  const out: string[] = [];
  const node = parsePipeline(expr);
  const walk = (n: Node | undefined): void => {
    if (n === undefined) return;
    if (n.t === "field" && n.base !== "var" && n.path[0] === "Values" && n.path.length > 1) out.push(n.path.slice(1).join("."));
    if (n.t === "call") n.args.forEach(walk);
    if (n.t === "pipe") n.cmds.forEach((c) => c.forEach(walk));
    if (n.t === "sub") walk(n.pipe);
  };
  walk(node);
  return out;
}

/** The value of a whole action `{{ .Values.x }}` when it is a plain values path, for templated CRD groups. */
export function actionValue(action: string, view: ValuesView): Value {
  const m = /^\{\{-?\s*([\s\S]*?)\s*-?\}\}$/.exec(action.trim());
  if (m === null) return UNKNOWN;
  const node = parsePipeline(m[1]);
  return node === undefined ? UNKNOWN : evaluate(node, view);
}
