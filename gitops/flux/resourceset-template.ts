import { stringify } from "yaml";

/**
 * The templates of a Flux Operator ResourceSet, rendered as the operator renders them
 * (controlplaneio-fluxcd/flux-operator internal/builder/resourceset.go@17c6aea newTemplate): Go
 * text/template with `<<` `>>` delimiters, `missingkey=error`, the hermetic slim-sprig functions,
 * `inputs` (the input set), `slugify` and `toYaml`. There is no well-kept Go template engine in
 * JavaScript, so this evaluates the language ResourceSets are written in: text, actions with
 * pipelines, variables, `if`/`else if`/`else`, `range` (lists and maps, with `$i, $v :=`), `with`,
 * comments, trim markers, and the functions below. Anything else throws TemplateUnsupported: the
 * ResourceSet is then not expanded, and the check says so, never guesses.
 */

/** A template construct or function this evaluator does not model (or an error the operator reports too). */
export class TemplateUnsupported extends Error {}

type Value = unknown;

interface Scope {
  dot: Value;
  vars: Map<string, Value>;
  input: Record<string, unknown>;
}

type Node =
  | { type: "text"; text: string }
  | { type: "action"; pipe: string }
  | { type: "if" | "with"; branches: { pipe: string | undefined; body: Node[] }[] }
  | { type: "range"; pipe: string; body: Node[]; otherwise: Node[] };

const ACTION = /<<(-\s)?([\s\S]*?)(\s-)?>>/g;

/** Splits into text and actions, trim markers applied (text/template lex.go: `<<- ` and ` ->>`). */
function lex(source: string): { kind: "text" | "action"; text: string }[] {
  const out: { kind: "text" | "action"; text: string }[] = [];
  let last = 0;
  let trimNext = false;
  for (const m of source.matchAll(ACTION)) {
    let text = source.slice(last, m.index);
    if (trimNext) text = text.replace(/^\s+/, "");
    if (m[1] !== undefined) text = text.replace(/\s+$/, "");
    out.push({ kind: "text", text });
    out.push({ kind: "action", text: m[2].trim() });
    trimNext = m[3] !== undefined;
    last = m.index + m[0].length;
  }
  let tail = source.slice(last);
  if (trimNext) tail = tail.replace(/^\s+/, "");
  out.push({ kind: "text", text: tail });
  return out;
}

/** Bounds that keep a hostile template from exhausting the stack or memory: beyond them it is not expanded. */
const MAX_NESTING = 64;
const MAX_OUTPUT = 16 * 1024 * 1024;

function parse(source: string): Node[] {
  const tokens = lex(source);
  let i = 0;
  let depth = 0;
  const block = (stopAt: Set<string>): { nodes: Node[]; stop: string } => {
    if (++depth > MAX_NESTING) throw new TemplateUnsupported(`blocks nested deeper than ${MAX_NESTING}`);
    try {
      return blockBody(stopAt);
    } finally {
      depth--;
    }
  };
  const blockBody = (stopAt: Set<string>): { nodes: Node[]; stop: string } => {
    const nodes: Node[] = [];
    while (i < tokens.length) {
      const t = tokens[i++];
      if (t.kind === "text") {
        if (t.text !== "") nodes.push({ type: "text", text: t.text });
        continue;
      }
      const action = t.text;
      if (action.startsWith("/*")) continue;
      const [keyword, rest] = splitKeyword(action);
      if (stopAt.has(keyword)) return { nodes, stop: action };
      if (keyword === "if" || keyword === "with") {
        const branches: { pipe: string | undefined; body: Node[] }[] = [];
        let pipe: string | undefined = rest;
        for (;;) {
          const { nodes: body, stop } = block(new Set(["else", "end"]));
          branches.push({ pipe, body });
          const [k, r] = splitKeyword(stop);
          if (k === "end") break;
          const [k2, r2] = splitKeyword(r);
          if (k2 === keyword) pipe = r2; // else if / else with
          else if (r.trim() === "") pipe = undefined;
          else throw new TemplateUnsupported(`else ${r}`);
          if (pipe === undefined) {
            const { nodes: last, stop: end } = block(new Set(["end"]));
            if (splitKeyword(end)[0] !== "end") throw new TemplateUnsupported("unterminated else");
            branches.push({ pipe: undefined, body: last });
            break;
          }
        }
        nodes.push({ type: keyword, branches });
      } else if (keyword === "range") {
        const { nodes: body, stop } = block(new Set(["else", "end"]));
        let otherwise: Node[] = [];
        if (splitKeyword(stop)[0] === "else") otherwise = block(new Set(["end"])).nodes;
        nodes.push({ type: "range", pipe: rest, body, otherwise });
      } else if (["define", "template", "block", "break", "continue", "else", "end"].includes(keyword)) {
        throw new TemplateUnsupported(keyword);
      } else {
        nodes.push({ type: "action", pipe: action });
      }
    }
    if (stopAt.size > 0) throw new TemplateUnsupported("a block without end");
    return { nodes, stop: "" };
  };
  return block(new Set()).nodes;
}

function splitKeyword(action: string): [string, string] {
  const m = /^([a-z]+)\b\s*([\s\S]*)$/.exec(action.trim());
  return m === null ? ["", action] : [m[1], m[2]];
}

type Token = { t: "str" | "num" | "word" | "var" | "field" | "(" | ")" | "|" | ":=" | "," | "=" ; v: string };

function tokenize(pipe: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:"((?:[^"\\]|\\.)*)"|`([^`]*)`|(-?\d+(?:\.\d+)?)|(\$[A-Za-z0-9_]*)((?:\.[A-Za-z0-9_]+)*)|((?:\.[A-Za-z0-9_]+)+|\.)|([A-Za-z_][A-Za-z0-9_]*)((?:\.[A-Za-z0-9_]+)*)|(:=|\(|\)|\||,|=))/y;
  let pos = 0;
  while (pos < pipe.length) {
    if (/^\s*$/.test(pipe.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(pipe);
    if (m === null) throw new TemplateUnsupported(`cannot read ${JSON.stringify(pipe.slice(pos))}`);
    pos = re.lastIndex;
    if (m[1] !== undefined) tokens.push({ t: "str", v: JSON.parse(`"${m[1]}"`) as string });
    else if (m[2] !== undefined) tokens.push({ t: "str", v: m[2] });
    else if (m[3] !== undefined) tokens.push({ t: "num", v: m[3] });
    else if (m[4] !== undefined) tokens.push({ t: "var", v: m[4] + (m[5] ?? "") });
    else if (m[6] !== undefined) tokens.push({ t: "field", v: m[6] });
    else if (m[7] !== undefined) tokens.push({ t: "word", v: m[7] + (m[8] ?? "") });
    else tokens.push({ t: m[9] as Token["t"], v: m[9] });
  }
  return tokens;
}

function fieldOf(base: Value, path: string[]): Value {
  let v = base;
  for (const key of path) {
    if (v === null || v === undefined) throw new TemplateUnsupported(`nil pointer evaluating .${key}`);
    if (typeof v !== "object" || Array.isArray(v)) throw new TemplateUnsupported(`cannot take .${key} of a ${typeof v}`);
    if (!(key in (v as object))) throw new TemplateUnsupported(`map has no entry for key "${key}" (missingkey=error)`);
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/** Go's truth: false, 0, nil, and empty strings, lists and maps are false. */
function truthy(v: Value): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === "") return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object") return Object.keys(v as object).length > 0;
  return true;
}

/** How Go prints a value in a template (fmt.Sprint of JSON-decoded data). */
function printed(v: Value): string {
  if (v === null || v === undefined) return "<no value>";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  throw new TemplateUnsupported("printing a list or map (use toYaml)");
}

function toYaml(v: Value): string {
  return v === null || v === undefined ? "null\n" : stringify(v, { lineWidth: 0 });
}

function indent(spaces: Value, text: Value): string {
  const pad = " ".repeat(Number(spaces));
  return printed(text).split("\n").map((l) => pad + l).join("\n");
}

const FUNCTIONS = new Map<string, (...args: Value[]) => Value>(Object.entries({
  quote: (...a) => a.map((v) => JSON.stringify(v === null || v === undefined ? "" : printed(v))).join(" "),
  squote: (...a) => a.map((v) => `'${v === null || v === undefined ? "" : printed(v)}'`).join(" "),
  default: (d, v) => (truthy(v) ? v : d),
  upper: (s) => printed(s).toUpperCase(),
  lower: (s) => printed(s).toLowerCase(),
  title: (s) => printed(s).replace(/\b\w/g, (c) => c.toUpperCase()),
  trim: (s) => printed(s).trim(),
  trimPrefix: (p, s) => (printed(s).startsWith(printed(p)) ? printed(s).slice(printed(p).length) : printed(s)),
  trimSuffix: (p, s) => (printed(s).endsWith(printed(p)) ? printed(s).slice(0, -printed(p).length || undefined) : printed(s)),
  replace: (from, to, s) => printed(s).split(printed(from)).join(printed(to)),
  trunc: (n, s) => (Number(n) >= 0 ? printed(s).slice(0, Number(n)) : printed(s).slice(Number(n))),
  toString: (v: Value) => printed(v),
  int: (v) => Math.trunc(Number(v)),
  join: (sep, list) => (Array.isArray(list) ? list.map((v: Value) => printed(v)).join(printed(sep)) : printed(list)),
  contains: (sub, s) => printed(s).includes(printed(sub)),
  hasPrefix: (p, s) => printed(s).startsWith(printed(p)),
  hasSuffix: (p, s) => printed(s).endsWith(printed(p)),
  b64enc: (s) => Buffer.from(printed(s)).toString("base64"),
  nindent: (n, s) => `\n${indent(n, s)}`,
  indent: (n, s) => indent(n, s),
  toYaml: (v) => toYaml(v).replace(/\n$/, ""),
  mustToYaml: (v) => toYaml(v).replace(/\n$/, ""),
  toJson: (v) => JSON.stringify(v),
  // gosimple/slug Make with MaxLength 63 and smart truncation (resourceset.go init).
  slugify: (s) => {
    const slug = printed(s).normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
    if (slug.length <= 63) return slug;
    const cut = slug.slice(0, 63);
    return cut.includes("-") ? cut.slice(0, cut.lastIndexOf("-")) : cut;
  },
  eq: (a, ...b) => b.some((x) => x === a),
  ne: (a, b) => a !== b,
  lt: (a, b) => (a as number) < (b as number),
  le: (a, b) => (a as number) <= (b as number),
  gt: (a, b) => (a as number) > (b as number),
  ge: (a, b) => (a as number) >= (b as number),
  not: (v) => !truthy(v),
  len: (v) => (typeof v === "string" || Array.isArray(v) ? v.length : typeof v === "object" && v !== null ? Object.keys(v).length : 0),
  empty: (v) => !truthy(v),
  hasKey: (m, k) => typeof m === "object" && m !== null && printed(k) in m,
  get: (m, k) => (typeof m === "object" && m !== null ? (m as Record<string, unknown>)[printed(k)] ?? "" : ""),
  list: (...a) => a,
  ternary: (a, b, c) => (truthy(c) ? a : b),
  printf: (format, ...args) => {
    let i = 0;
    return printed(format).replace(/%[sdvq%]/g, (spec) => (spec === "%%" ? "%" : spec === "%q" ? JSON.stringify(printed(args[i++])) : printed(args[i++])));
  },
} satisfies Record<string, (...args: Value[]) => Value>));

/** One pipeline: `$x := a | f b`, commands separated by `|`, the previous result as the last argument. */
function evalPipe(pipe: string, scope: Scope, declare = true): { value: Value; declared: string[] } {
  let tokens = tokenize(pipe);
  const declared: string[] = [];
  const assign = tokens.findIndex((t) => t.t === ":=" || t.t === "=");
  if (assign > 0 && tokens.slice(0, assign).every((t) => t.t === "var" || t.t === ",")) {
    for (const t of tokens.slice(0, assign)) if (t.t === "var") declared.push(t.v);
    tokens = tokens.slice(assign + 1);
  }
  let pos = 0;
  const operand = (): Value => {
    const t = tokens[pos++];
    if (t === undefined) throw new TemplateUnsupported("missing operand");
    switch (t.t) {
      case "str": return t.v;
      case "num": return Number(t.v);
      case "field": return t.v === "." ? scope.dot : fieldOf(scope.dot, t.v.slice(1).split("."));
      case "var": {
        const [name, ...path] = t.v.split(".");
        if (!scope.vars.has(name)) throw new TemplateUnsupported(`undefined variable ${name}`);
        return fieldOf(scope.vars.get(name), path);
      }
      case "(": {
        const value = pipeline(")");
        pos++;
        return value;
      }
      case "word": {
        const [name, ...path] = t.v.split(".");
        if (name === "true" || name === "false") return name === "true";
        if (name === "nil") return null;
        if (name === "inputs") return fieldOf(scope.input, path);
        const fn = path.length === 0 ? FUNCTIONS.get(name) : undefined;
        if (fn === undefined) throw new TemplateUnsupported(`function ${t.v}`);
        return fn();
      }
      default: throw new TemplateUnsupported(`unexpected ${t.v}`);
    }
  };
  const command = (carried: Value | undefined, hasCarried: boolean, close: string): Value => {
    const t = tokens[pos];
    if (t !== undefined && t.t === "word" && !/^(true|false|nil|inputs)(\.|$)/.test(t.v)) {
      const fn = FUNCTIONS.get(t.v);
      if (fn === undefined) throw new TemplateUnsupported(`function ${t.v}`);
      pos++;
      const args: Value[] = [];
      while (pos < tokens.length && tokens[pos].t !== "|" && tokens[pos].t !== close) args.push(operand());
      if (hasCarried) args.push(carried);
      return fn(...args);
    }
    const value = operand();
    if (pos < tokens.length && tokens[pos].t !== "|" && tokens[pos].t !== close) throw new TemplateUnsupported("arguments to a non-function");
    if (hasCarried) throw new TemplateUnsupported("a value piped into a non-function");
    return value;
  };
  const pipeline = (close: string): Value => {
    let value = command(undefined, false, close);
    while (pos < tokens.length && tokens[pos].t === "|") {
      pos++;
      value = command(value, true, close);
    }
    return value;
  };
  const value = pipeline("end");
  if (pos < tokens.length) throw new TemplateUnsupported(`cannot read ${pipe}`);
  if (declare && declared.length === 1) scope.vars.set(declared[0], value);
  return { value, declared };
}

function render(nodes: Node[], scope: Scope): string {
  let out = "";
  for (const node of nodes) {
    if (out.length > MAX_OUTPUT) throw new TemplateUnsupported(`it renders more than ${MAX_OUTPUT} characters`);
    if (node.type === "text") out += node.text;
    else if (node.type === "action") {
      const { value, declared } = evalPipe(node.pipe, scope);
      if (declared.length === 0) out += printed(value);
    } else if (node.type !== "range") {
      for (const branch of node.branches) {
        if (branch.pipe === undefined) {
          out += render(branch.body, scope);
          break;
        }
        const inner: Scope = { ...scope, vars: new Map(scope.vars) };
        const { value } = evalPipe(branch.pipe, inner);
        if (!truthy(value)) continue;
        out += render(branch.body, node.type === "with" ? { ...inner, dot: value } : inner);
        break;
      }
    } else {
      const inner: Scope = { ...scope, vars: new Map(scope.vars) };
      const { value, declared } = evalPipe(node.pipe, inner, false);
      const entries: [Value, Value][] = Array.isArray(value) ? value.map((v, i) => [i, v])
        : typeof value === "object" && value !== null ? Object.keys(value).sort().map((k) => [k, (value as Record<string, unknown>)[k]])
        : typeof value === "number" ? Array.from({ length: value }, (_, i) => [i, i])
        : [];
      if (entries.length === 0) out += render(node.otherwise, scope);
      for (const [k, v] of entries) {
        if (declared.length === 1) inner.vars.set(declared[0], v);
        if (declared.length === 2) {
          inner.vars.set(declared[0], k);
          inner.vars.set(declared[1], v);
        }
        out += render(node.body, { ...inner, dot: v });
        if (out.length > MAX_OUTPUT) throw new TemplateUnsupported(`it renders more than ${MAX_OUTPUT} characters`);
      }
    }
  }
  return out;
}

/** The text a ResourceSet template renders to for one input set. */
export function renderResourceSetTemplate(template: string, input: Record<string, unknown>): string {
  return render(parse(template), { dot: null, vars: new Map([["$", null]]), input });
}
