import * as fs from "fs";
import * as path from "path";
import { Document, parseAllDocuments } from "yaml";
import { GitopsInputError } from "./errors";
import { ChartProvider } from "../model";
import { Repo } from "./repo";
import { MAX_ALIAS_COUNT, isRecord, parseManifests } from "./yaml";
import { findTalosManifests } from "./talos";

/**
 * CRDs installed before Flux starts. The common community answer to CRD ordering is a bootstrap
 * step: a helmfile that installs the core charts, or only their CRDs (`helmfile template
 * --include-crds` with a post-renderer that keeps the CustomResourceDefinitions), "avoiding the
 * need for dependsOn chains on nearly every Kustomization". The groups of those charts exist before
 * any Kustomization runs.
 *
 * Helmfiles are Go templates: lines holding `{{ ... }}` are dropped before the YAML is read, and a
 * release's chart is taken, in order, from a literal `chart:`, from a template that reads the chart
 * from a file named after the release (`readFile (printf "...%s/%s..." .Release.Namespace
 * .Release.Name)`, the cluster-template idiom), or from the release name, looked up in the chart table.
 */

/** A release of a bootstrap file and what the check made of it. */
export interface BootstrapRelease {
  name: string;
  namespace?: string;
  /** The chart name used for the table lookup. */
  chart: string;
  /** Groups the chart installs, when the table knows the chart. */
  groups: string[];
  known: boolean;
}

/** What one bootstrap file installs before Flux. */
export interface BootstrapFile {
  /** Repo-relative (or absolute, for a file outside the repository). */
  file: string;
  releases: BootstrapRelease[];
  /** Groups of CustomResourceDefinition objects in a plain manifest file (or Talos inline manifests). */
  crdGroups: string[];
  /** Manifests applied from URLs (Talos extraManifests, a bootstrap file given by URL): locked or not. */
  remote?: { url: string; locked: boolean }[];
}

/** What the lock (or this run's fetches) says remote inputs define, by URL. */
export type LockedRemotes = readonly { url: string; groups: string[] }[];

/** A URL's CRD groups from the lock, else marked unread. */
function remoteEntry(url: string, locked: LockedRemotes, into: BootstrapFile): void {
  const entry = locked.find((r) => r.url === url);
  (into.remote ??= []).push({ url, locked: entry !== undefined });
  if (entry !== undefined) into.crdGroups.push(...entry.groups);
}

const SKIP_DIRS = new Set([".git", "node_modules", ".github", "vendor"]);

/** Helmfiles in their usual places: `helmfile.yaml(.gotmpl)`, `helmfile.d/*.yaml`, and YAML with top-level `releases:` under a `bootstrap` directory. */
export function findBootstrapFiles(repo: Repo): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number, underBootstrap: boolean): void => {
    if (depth > 8) return;
    for (const e of repo.list(dir)) {
      if (e.isDirectory) {
        if (!SKIP_DIRS.has(e.name)) walk(e.path, depth + 1, underBootstrap || e.name === "bootstrap");
        continue;
      }
      const yaml = /\.ya?ml(\.gotmpl)?$/.test(e.name);
      if (!yaml) continue;
      if (/^helmfile\.ya?ml(\.gotmpl)?$/.test(e.name) || dir.split("/").pop() === "helmfile.d") out.push(e.path);
      else if (underBootstrap && /^releases:/m.test(repo.readText(e.path))) out.push(e.path);
    }
  };
  walk("", 0, false);
  return out;
}

/** The YAML of a helmfile with its template lines dropped; a template expression inside a value becomes a placeholder. */
function untemplated(text: string): string {
  return text
    .split("\n")
    .filter((line) => !/^\s*\{\{.*\}\}\s*$/.test(line) && !/^\s*\{\{-?\s*(if|else|end|range|with|define|template)\b/.test(line))
    .map((line) => line.replace(/\{\{.*?\}\}/g, "TEMPLATED"))
    .join("\n");
}

/** The chart a template beside the helmfile reads from a per-release file (cluster-template's release.yaml.gotmpl). */
function chartFromTemplates(read: (p: string) => string | undefined, list: (dir: string) => string[], helmfileDir: string, release: { name: string; namespace?: string }): string | undefined {
  for (const file of list(helmfileDir)) {
    const text = read(file);
    if (text === undefined) continue;
    const m = /readFile\s*\(\s*printf\s+"([^"]+)"\s+\.Release\.Namespace\s+\.Release\.Name\s*\)/.exec(text);
    if (m === null || release.namespace === undefined) continue;
    const target = m[1].replace("%s", release.namespace).replace("%s", release.name);
    const manifest = read(path.posix.join(helmfileDir, target));
    if (manifest === undefined) continue;
    for (const doc of documentsOf(manifest)) {
      const data = dataOf(doc);
      if (!isRecord(data) || !isRecord(data.spec)) continue;
      const url = data.spec.url ?? (isRecord(data.spec.chart) && isRecord(data.spec.chart.spec) ? data.spec.chart.spec.chart : undefined);
      if (typeof url === "string" && url !== "") return lastSegment(url);
    }
  }
  return undefined;
}

/**
 * A document's data, or undefined when it cannot be expanded (an undefined alias, an alias bomb):
 * a bootstrap file is read for what it can name, never a reason to stop the check.
 */
function documentsOf(text: string): Document[] {
  try {
    const docs = parseAllDocuments(text);
    return Array.isArray(docs) ? docs : [];
  } catch {
    return []; // nested past what the parser's recursion survives
  }
}

function dataOf(doc: Document): unknown {
  if (doc.errors.length > 0) return undefined;
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch {
    return undefined;
  }
}

/** "oci://ghcr.io/org/charts/gateway-helm:1.2" and "jetstack/cert-manager" name the charts gateway-helm and cert-manager. */
function lastSegment(chart: string): string {
  const last = chart.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "").split("/").filter((s) => s !== "").pop() ?? chart;
  return last.replace(/[@:].*$/, "");
}

/**
 * Reads one bootstrap file: a helmfile (releases) or a manifest (CRD objects). `read` and `list`
 * give repo-relative files; `file` is what the report names.
 */
export function readBootstrapFile(
  file: string,
  text: string,
  table: Map<string, ChartProvider>,
  read: (p: string) => string | undefined,
  list: (dir: string) => string[],
): BootstrapFile {
  const result: BootstrapFile = { file, releases: [], crdGroups: [] };
  if (!/^releases:/m.test(text)) {
    try {
      for (const o of parseManifests(text, file)) {
        if (o.kind === "CustomResourceDefinition" && isRecord(o.body.spec) && typeof o.body.spec.group === "string") {
          result.crdGroups.push(o.body.spec.group);
        }
      }
    } catch {
      // Not Kubernetes YAML: nothing it installs can be named.
    }
    return result;
  }
  let releases: unknown[] = [];
  for (const doc of documentsOf(untemplated(text))) {
    const data = dataOf(doc);
    if (isRecord(data) && Array.isArray(data.releases)) releases.push(...data.releases);
  }
  if (releases.length === 0) {
    // A template the YAML parser cannot read at all: take the `- name:` entries under `releases:`.
    const block = text.slice(text.search(/^releases:/m));
    releases = [...block.matchAll(/^\s*-\s+name:\s*["']?([\w.-]+)/gm)].map((m) => ({ name: m[1] }));
  }
  const dir = path.posix.dirname(file);
  for (const r of releases) {
    if (!isRecord(r) || typeof r.name !== "string" || r.name.includes("TEMPLATED")) continue;
    const namespace = typeof r.namespace === "string" && !r.namespace.includes("TEMPLATED") ? r.namespace : undefined;
    let chart: string | undefined;
    if (typeof r.chart === "string" && !r.chart.includes("TEMPLATED")) chart = lastSegment(r.chart);
    chart ??= chartFromTemplates(read, list, dir, { name: r.name, namespace });
    chart ??= r.name;
    const row = table.get(chart) ?? table.get(r.name);
    result.releases.push({ name: r.name, namespace, chart, groups: row?.groups ?? [], known: row !== undefined });
  }
  return result;
}

/** Every bootstrap file: the ones found in the repository and the ones named explicitly. */
export function bootstrapFiles(repo: Repo, named: string[], table: Map<string, ChartProvider>, lockedRemotes: LockedRemotes = []): BootstrapFile[] {
  const read = (p: string): string | undefined => {
    try {
      return repo.isFile(p) ? repo.readText(p) : undefined;
    } catch {
      return undefined;
    }
  };
  const list = (dir: string): string[] => {
    try {
      return repo.isDirectory(dir) ? listFiles(repo, dir) : [];
    } catch {
      return [];
    }
  };
  const files = new Set(findBootstrapFiles(repo));
  const out: BootstrapFile[] = [];
  for (const f of files) out.push(readBootstrapFile(f, repo.readText(f), table, read, list));
  // Talos applies these at cluster bootstrap, before Flux.
  for (const t of findTalosManifests(repo)) {
    const file: BootstrapFile = { file: t.file, releases: [], crdGroups: [...t.inlineGroups] };
    for (const url of t.extraUrls) remoteEntry(url, lockedRemotes, file);
    out.push(file);
  }
  for (const f of named) {
    if (/^https?:\/\//.test(f)) {
      const file: BootstrapFile = { file: f, releases: [], crdGroups: [] };
      remoteEntry(f, lockedRemotes, file);
      out.push(file);
      continue;
    }
    const inRepo = path.isAbsolute(f) ? path.relative(repo.root, f) : f;
    if (!inRepo.startsWith("..") && !path.isAbsolute(inRepo)) {
      const rel = repo.normalize(inRepo.split(path.sep).join("/"));
      if (files.has(rel)) continue;
      const text = read(rel);
      if (text !== undefined) out.push(readBootstrapFile(rel, text, table, read, list));
      else throw new GitopsInputError(`bootstrap file ${f} is not a readable file in the repository`);
    } else {
      let text: string;
      try {
        text = fs.readFileSync(f, "utf8");
      } catch {
        throw new GitopsInputError(`bootstrap file ${f} cannot be read`);
      }
      out.push(readBootstrapFile(f, text, table, () => undefined, () => []));
    }
  }
  return out;
}

function listFiles(repo: Repo, dir: string): string[] {
  const out: string[] = [];
  for (const e of repo.list(dir)) {
    if (e.isDirectory) out.push(...listFiles(repo, e.path));
    else out.push(e.path);
  }
  return out;
}

