import { GitopsInputError } from "../read/errors";
import { isRecord, parseYamlDocuments } from "../read/yaml";
import { ChartArchiveError, ChartFiles, readChartArchive, subdirectoryFiles } from "./archive";
import { actionValue, TemplateCondition, templateDocuments, UNKNOWN, valuePaths } from "./template";

/**
 * What a chart installs, read from its files: the facts the lock records. Conditions are kept as
 * written and evaluated per HelmRelease against its values (gitops/charts/installs.ts).
 */

/** A CRD the chart may install. */
export interface CrdFact {
  /** spec.group; null when the group is templated from something other than a plain value. */
  group: string | null;
  /** The group as templated (`{{ .Values.group }}`), evaluated against the release's values. */
  groupTemplate?: string;
  kinds: string[];
  /** crds/ (subject to the HelmRelease's CRD policy) or templates/ (always applied when rendered). */
  from: "crds" | "templates";
  /** Path in the chart, e.g. "templates/crds.yaml". */
  file: string;
  conditions: TemplateCondition[];
}

export interface WebhookRule {
  apiGroups: string[];
  resources: string[];
  operations: string[];
}

/** An admission webhook configuration the chart registers. */
export interface WebhookFact {
  kind: "MutatingWebhookConfiguration" | "ValidatingWebhookConfiguration";
  file: string;
  conditions: TemplateCondition[];
  webhooks: {
    name: string;
    /** As written; Kubernetes defaults it to Fail. Templated: "(templated)". */
    failurePolicy?: string;
    rules: WebhookRule[];
    namespaceSelector: boolean;
    objectSelector: boolean;
  }[];
}

/** A dependency of Chart.yaml (or a chart vendored under charts/ without one). */
export interface DependencyFact {
  name: string;
  alias?: string;
  /** Comma-separated value paths; the first one holding a boolean decides (Helm). */
  condition?: string;
  tags?: string[];
  version?: string;
  repository?: string;
  /** The subchart as read from charts/ (or fetched from `repository`); absent when it could not be read. */
  chart?: ChartFacts;
  /** Set when the subchart was fetched from its repository, not vendored: "version (digest)". */
  fetched?: string;
}

export interface ChartFacts {
  name: string;
  version: string;
  crds: CrdFact[];
  webhooks: WebhookFact[];
  dependencies: DependencyFact[];
  /** The chart's values.yaml, pruned to the paths its conditions (and its subcharts') read. */
  defaults: Record<string, unknown>;
  /** What could not be read (a template file that is not YAML around its CRDs, a subchart that is not an archive...). */
  problems: string[];
}

const MAX_DEPTH = 5;

/** Reads a chart from its archive bytes. Throws ChartArchiveError / GitopsInputError for unreadable input. */
export function chartFactsFromArchive(gz: Buffer): ChartFacts {
  return chartFacts(readChartArchive(gz), 0);
}

/** Reads a chart from its files (an archive's, or a directory's in a readable source). */
export function chartFacts(files: ChartFiles, depth = 0): ChartFacts {
  const meta = yamlMapping(files, "Chart.yaml");
  if (meta === undefined) throw new ChartArchiveError("Chart.yaml is missing or not a mapping");
  const name = typeof meta.name === "string" ? meta.name : "";
  const version = typeof meta.version === "string" ? meta.version : String(meta.version ?? "");
  if (name === "") throw new ChartArchiveError("Chart.yaml has no name");
  const problems: string[] = [];
  const crds: CrdFact[] = [];
  const webhooks: WebhookFact[] = [];
  const sorted = [...files.keys()].sort();
  for (const file of sorted) {
    if (!file.startsWith("crds/") || !/\.(ya?ml|json)$/.test(file)) continue;
    // Helm installs crds/ files as they are, without templating (helm/helm pkg/action/install.go installCRDs).
    crds.push(...crdsOfPlainFile(files, file, "crds", [], problems));
  }
  for (const file of sorted) {
    if (!file.startsWith("templates/") || file.endsWith(".txt") || /(^|\/)_[^/]*$/.test(file)) continue;
    const text = files.get(file)!.toString("utf8");
    if (!/CustomResourceDefinition|WebhookConfiguration|\.Files\.(Get|Glob)/.test(text)) continue;
    const { documents, files: included } = templateDocuments(text);
    for (const doc of documents) {
      const kind = /^kind:\s*["']?([A-Za-z]+)/m.exec(doc.text)?.[1];
      if (kind === "CustomResourceDefinition") crds.push(crdOfTemplate(doc.text, file, doc.conditions));
      else if (kind === "MutatingWebhookConfiguration" || kind === "ValidatingWebhookConfiguration") {
        webhooks.push(webhookOfTemplate(kind, doc.text, file, doc.conditions));
      }
    }
    for (const inc of included) {
      for (const f of matching(sorted, inc.pattern).filter((x) => /\.(ya?ml|json)$/.test(x))) crds.push(...crdsOfPlainFile(files, f, "templates", inc.conditions, problems).map((c) => ({ ...c, file: `${file} (${f})` })));
    }
  }
  const dependencies = depth >= MAX_DEPTH ? [] : dependenciesOf(files, meta, depth, problems);
  const facts: ChartFacts = { name, version, crds, webhooks, dependencies, defaults: {}, problems };
  const values = yamlMapping(files, "values.yaml") ?? {};
  facts.defaults = prune(values, referencedPaths(facts));
  return facts;
}

function yamlMapping(files: ChartFiles, file: string): Record<string, unknown> | undefined {
  const data = files.get(file);
  if (data === undefined) return undefined;
  const docs = parseYamlDocuments(data.toString("utf8"), file);
  const first = docs[0]?.data;
  return isRecord(first) ? first : docs.length === 0 ? {} : undefined;
}

function crdsOfPlainFile(files: ChartFiles, file: string, from: CrdFact["from"], conditions: TemplateCondition[], problems: string[]): CrdFact[] {
  const out: CrdFact[] = [];
  let docs: { data: unknown }[];
  try {
    docs = parseYamlDocuments(files.get(file)!.toString("utf8"), file);
  } catch (err) {
    if (!(err instanceof GitopsInputError)) throw err;
    problems.push(`${file}: ${err.message}`);
    return out;
  }
  for (const { data } of docs) {
    if (!isRecord(data) || data.kind !== "CustomResourceDefinition" || !isRecord(data.spec)) continue;
    const spec = data.spec;
    const kind = isRecord(spec.names) && typeof spec.names.kind === "string" ? [spec.names.kind] : [];
    out.push({ group: typeof spec.group === "string" ? spec.group : null, kinds: kind, from, file, conditions });
  }
  return out;
}

/** A CRD document of a template: its group from `spec.group` (literal, or templated from a value). */
function crdOfTemplate(text: string, file: string, conditions: TemplateCondition[]): CrdFact {
  const lines = text.split("\n");
  let specIndent = -1;
  let group: string | null = null;
  let groupTemplate: string | undefined;
  const kinds = new Set<string>();
  for (const l of lines) {
    const spec = /^(\s*)spec:\s*$/.exec(l);
    if (spec !== null && specIndent < 0) {
      specIndent = spec[1].length;
      continue;
    }
    const g = /^(\s*)group:\s*(.+?)\s*$/.exec(l);
    if (g !== null && specIndent >= 0 && g[1].length > specIndent && group === null && groupTemplate === undefined) {
      const raw = g[2].replace(/^["']|["']$/g, "");
      if (raw.includes("{{")) groupTemplate = raw;
      else group = raw;
    }
    const k = /^\s+kind:\s*["']?([A-Za-z0-9]+)["']?\s*$/.exec(l);
    if (k !== null && specIndent >= 0) kinds.add(k[1]);
  }
  return { group, ...(groupTemplate === undefined ? {} : { groupTemplate }), kinds: [...kinds], from: "templates", file, conditions };
}

/** Template actions blanked so the document can be read as YAML for its webhook fields. */
function detemplated(text: string): string {
  return text
    .split("\n")
    .filter((l) => !/^\s*\{\{[^}]*\}\}\s*$/.test(l))
    .map((l) => l.replace(/\{\{[\s\S]*?\}\}/g, "TEMPLATED"))
    .join("\n");
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

function webhookOfTemplate(kind: WebhookFact["kind"], text: string, file: string, conditions: TemplateCondition[]): WebhookFact {
  const fact: WebhookFact = { kind, file, conditions, webhooks: [] };
  let data: unknown;
  try {
    data = parseYamlDocuments(detemplated(text), file)[0]?.data;
  } catch {
    return fact; // its structure is in template logic: the configuration is recorded without its webhooks
  }
  if (!isRecord(data)) return fact;
  for (const w of Array.isArray(data.webhooks) ? data.webhooks : []) {
    if (!isRecord(w)) continue;
    fact.webhooks.push({
      name: typeof w.name === "string" ? w.name : "(templated)",
      ...(w.failurePolicy === undefined ? {} : { failurePolicy: typeof w.failurePolicy === "string" && !w.failurePolicy.includes("TEMPLATED") ? w.failurePolicy : "(templated)" }),
      rules: (Array.isArray(w.rules) ? w.rules : []).filter(isRecord).map((r) => ({
        apiGroups: strings(r.apiGroups), resources: strings(r.resources), operations: strings(r.operations),
      })),
      namespaceSelector: w.namespaceSelector !== undefined,
      objectSelector: w.objectSelector !== undefined,
    });
  }
  return fact;
}

/** Files a `.Files.Glob`/`.Files.Get` pattern names (path.Match-style `*`, `?`; `**` spans directories as in gobwas/glob). */
function matching(files: string[], pattern: string): string[] {
  if (pattern.length > 512) return [];
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*\*/g, "\u0000").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]").replace(/\u0000/g, ".*")}$`);
  return files.filter((f) => re.test(f));
}

/**
 * Dependencies as Helm loads them: every chart under charts/ (an archive or a directory), matched
 * to Chart.yaml `dependencies` (apiVersion v2) or requirements.yaml (v1) by name; a listed one
 * missing from charts/ is recorded without its chart.
 */
function dependenciesOf(files: ChartFiles, meta: Record<string, unknown>, depth: number, problems: string[]): DependencyFact[] {
  const vendored = new Map<string, ChartFacts>();
  const dirs = new Set<string>();
  for (const file of files.keys()) {
    const m = /^charts\/([^/]+)(\/.*)?$/.exec(file);
    if (m === null) continue;
    if (m[2] === undefined && /\.tgz$/.test(m[1])) {
      try {
        const sub = chartFacts(readChartArchive(files.get(file)!), depth + 1);
        if (!vendored.has(sub.name)) vendored.set(sub.name, sub);
      } catch (err) {
        if (!(err instanceof ChartArchiveError || err instanceof GitopsInputError)) throw err;
        problems.push(`${file}: ${err.message}`);
      }
    } else if (m[2] !== undefined && m[2] === "/Chart.yaml") dirs.add(m[1]);
  }
  for (const dir of [...dirs].sort()) {
    try {
      const sub = chartFacts(subdirectoryFiles(files, `charts/${dir}/`), depth + 1);
      if (!vendored.has(sub.name)) vendored.set(sub.name, sub);
    } catch (err) {
      if (!(err instanceof ChartArchiveError || err instanceof GitopsInputError)) throw err;
      problems.push(`charts/${dir}: ${err.message}`);
    }
  }
  let listed: unknown[] = Array.isArray(meta.dependencies) ? meta.dependencies : [];
  if (listed.length === 0 && files.has("requirements.yaml")) {
    const req = yamlMapping(files, "requirements.yaml");
    listed = Array.isArray(req?.dependencies) ? req!.dependencies as unknown[] : [];
  }
  const out: DependencyFact[] = [];
  const used = new Set<string>();
  for (const d of listed) {
    if (!isRecord(d) || typeof d.name !== "string") continue;
    const chart = vendored.get(d.name);
    used.add(d.name);
    out.push({
      name: d.name,
      ...(typeof d.alias === "string" && d.alias !== "" ? { alias: d.alias } : {}),
      ...(typeof d.condition === "string" && d.condition.trim() !== "" ? { condition: d.condition } : {}),
      ...(strings(d.tags).length > 0 ? { tags: strings(d.tags) } : {}),
      ...(typeof d.version === "string" ? { version: d.version } : {}),
      ...(typeof d.repository === "string" ? { repository: d.repository } : {}),
      ...(chart === undefined ? {} : { chart }),
    });
  }
  // A chart under charts/ that Chart.yaml does not list is loaded and always enabled.
  for (const [name, chart] of vendored) if (!used.has(name)) out.push({ name, chart });
  return out;
}

/**
 * The defaults again from the chart's values.yaml, once dependencies fetched from their
 * repositories are attached (their conditions read parent values under their alias).
 */
export function repruneDefaults(facts: ChartFacts, files: ChartFiles): void {
  facts.defaults = prune(yamlMapping(files, "values.yaml") ?? {}, referencedPaths(facts));
}

/** The value paths a chart's conditions read, with its subcharts' under their alias (and `global`). */
function referencedPaths(facts: ChartFacts): string[] {
  const paths = new Set<string>();
  for (const c of [...facts.crds, ...facts.webhooks]) {
    for (const cond of c.conditions) for (const p of valuePaths(cond.expr)) paths.add(p);
  }
  for (const c of facts.crds) {
    if (c.groupTemplate !== undefined) for (const m of c.groupTemplate.matchAll(/\{\{-?\s*([\s\S]*?)\s*-?\}\}/g)) for (const p of valuePaths(m[1])) paths.add(p);
  }
  for (const d of facts.dependencies) {
    for (const c of (d.condition ?? "").split(",")) if (c.trim() !== "") paths.add(c.trim());
    for (const t of d.tags ?? []) paths.add(`tags.${t}`);
    if (d.chart !== undefined) {
      for (const p of referencedPaths(d.chart)) paths.add(p.startsWith("global.") || p === "global" ? p : `${d.alias ?? d.name}.${p}`);
    }
  }
  return [...paths];
}

/** A copy of `values` with only the given dotted paths (and the maps on the way to them). */
export function prune(values: Record<string, unknown>, paths: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of paths) {
    const keys = p.split(".");
    let src: unknown = values;
    let dst = out;
    for (let i = 0; i < keys.length; i++) {
      if (!isRecord(src) || !Object.prototype.hasOwnProperty.call(src, keys[i])) break;
      const next = src[keys[i]];
      if (i === keys.length - 1 || !isRecord(next)) {
        dst[keys[i]] = structuredClone(next);
        break;
      }
      if (!isRecord(dst[keys[i]])) dst[keys[i]] = {};
      dst = dst[keys[i]] as Record<string, unknown>;
      src = next;
    }
  }
  return out;
}

export { UNKNOWN, actionValue };
