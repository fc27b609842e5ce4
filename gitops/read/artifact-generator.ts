import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Repo } from "./repo";
import { isRecord, parseYamlDocuments } from "./yaml";

/**
 * An ArtifactGenerator's copy operations (source.extensions.fluxcd.io, source-watcher), replayed
 * on local directories so the ExternalArtifact it produces can be read offline. Semantics follow
 * source-watcher's internal/builder/builder.go (applyCopyOperation):
 * - `from: "@alias/pattern"`, `to: "@artifact/path"`; operations run in order, later ones overwrite;
 * - a pattern without glob characters is `cp -r`: a file goes to `to` (or `to/<name>` when `to`
 *   ends with `/` or is a directory already), a directory to `to/<name>/`;
 * - a glob is matched with Go's fs.Glob, where `**` is one path segment like `*`; each match goes
 *   to `to/<match>`, except that `dir/**` strips `dir/` (calculateGlobDestination); a matched
 *   directory is copied recursively;
 * - `exclude` globs (doublestar) are matched against the source-relative path and the path relative
 *   to the pattern's literal prefix, and a pattern without `/` against the file name too;
 * - `strategy: Merge` deep-merges a YAML file into an existing one (lists replaced), `Extract`
 *   unpacks tarballs (not done here: reported back as a note).
 */
export interface CopyOperation {
  from: string;
  to: string;
  exclude?: string[];
  strategy?: string;
}

/** A directory the copies read from: a Repo (already the source's artifact root). */
export type AliasRoots = ReadonlyMap<string, Repo>;

/** A glob this check cannot compile (a reversed range `[z-a]`, which Go matches to nothing), or one too long to be a path. */
class BadPatternError extends Error {}

/** Patterns longer than this are refused: the CRD bounds `from` at 1,024 characters. */
const MAX_PATTERN = 4096;

function compiled(source: string, pattern: string): RegExp {
  if (pattern.length > MAX_PATTERN) throw new BadPatternError(`pattern of ${pattern.length} characters (at most ${MAX_PATTERN})`);
  try {
    return new RegExp(source);
  } catch {
    throw new BadPatternError(`pattern ${JSON.stringify(pattern.slice(0, 80))} cannot be read by this check (what it selects is unknown)`);
  }
}

/** Go's path.Match for one segment: `*`, `?`, `[...]` (no `/` inside a segment). */
function segmentRegExp(pattern: string): RegExp {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = pattern.indexOf("]", i + 1);
      if (end < 0) { re += "\\["; continue; }
      let body = pattern.slice(i + 1, end);
      if (body.startsWith("^")) body = `^${body.slice(1)}`;
      re += `[${body.replace(/\\/g, "\\\\")}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return compiled(`^${re}$`, pattern);
}

/** doublestar.Match: `**` spans any number of segments, other wildcards stay inside one. */
function doublestarRegExp(pattern: string): RegExp {
  const parts = pattern.split("/");
  let re = "";
  parts.forEach((part, i) => {
    const last = i === parts.length - 1;
    if (part === "**") re += last ? ".*" : "(?:[^/]+/)*";
    else re += segmentRegExp(part).source.slice(1, -1) + (last ? "" : "/");
  });
  return compiled(`^${re}$`, pattern);
}

function hasGlob(p: string): boolean {
  return /[*?[\]]/.test(p);
}

function excluded(file: string, base: string, patterns: RegExp[], simple: boolean[]): boolean {
  const test = (p: string) => patterns.some((re, i) => re.test(p) || (simple[i] && re.test(path.posix.basename(p))));
  if (test(file)) return true;
  if (base === "." || base === "") return false;
  if (!file.startsWith(`${base}/`)) return false;
  return test(file.slice(base.length + 1));
}

/** The literal prefix of a glob pattern (sourceSelectionRoot). */
function selectionRoot(pattern: string): string {
  const parts = path.posix.normalize(pattern).split("/");
  const out: string[] = [];
  for (const p of parts) {
    if (hasGlob(p)) break;
    out.push(p);
  }
  return out.length === 0 ? "." : out.join("/");
}

/** fs.Glob over a Repo: each segment matched against a directory listing. */
function glob(repo: Repo, pattern: string): string[] {
  let current = [""];
  for (const segment of pattern.split("/").filter((s) => s !== "")) {
    const next: string[] = [];
    for (const dir of current) {
      if (!hasGlob(segment)) {
        const p = dir === "" ? segment : `${dir}/${segment}`;
        if (repo.exists(p)) next.push(p);
        continue;
      }
      if (!repo.isDirectory(dir)) continue;
      const re = segmentRegExp(segment);
      for (const e of repo.list(dir)) if (re.test(e.name)) next.push(e.path);
    }
    current = next;
  }
  return current.filter((p) => p !== "");
}

function deepMerge(into: unknown, from: unknown): unknown {
  if (!isRecord(into) || !isRecord(from)) return from;
  const out: Record<string, unknown> = { ...into };
  for (const [k, v] of Object.entries(from)) out[k] = k in out ? deepMerge(out[k], v) : v;
  return out;
}

/**
 * Materialises one artifact of an ArtifactGenerator into a fresh temporary directory and returns
 * it with what could not be replayed. The caller removes the directory.
 */
export function materialiseArtifact(
  copies: CopyOperation[],
  aliases: AliasRoots,
): { dir: string; problems: string[]; origins: Map<string, { repo: Repo; file: string }> } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gitops-artifact-"));
  const problems: string[] = [];
  const origins = new Map<string, { repo: Repo; file: string }>();
  let from: { repo: Repo; file: string } | undefined;
  const write = (rel: string, text: string, merge: boolean) => {
    if (from !== undefined) origins.set(path.posix.normalize(rel), from);
    const abs = path.join(dir, rel);
    if (!abs.startsWith(dir + path.sep)) return; // never outside the staging directory
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    if (merge && fs.existsSync(abs)) {
      try {
        const [a] = parseYamlDocuments(fs.readFileSync(abs, "utf8"), rel);
        const [b] = parseYamlDocuments(text, rel);
        fs.writeFileSync(abs, JSON.stringify(deepMerge(a?.data, b?.data)));
        return;
      } catch {
        problems.push(`cannot merge ${rel}: not YAML`);
      }
    }
    fs.writeFileSync(abs, text);
  };
  for (const op of copies) {
    try {
      copyOne(op);
    } catch (e) {
      if (!(e instanceof BadPatternError)) throw e;
      problems.push(`copy ${op.from.slice(0, 200)}: ${e.message}`);
    }
  }
  return { dir, problems, origins };

  function copyOne(op: CopyOperation): void {
    const m = /^@([^/]+)\/(.*)$/.exec(op.from);
    if (m === null || !op.to.startsWith("@artifact/")) {
      problems.push(`copy ${op.from} -> ${op.to}: expected @alias/path -> @artifact/path`);
      return;
    }
    const repo = aliases.get(m[1]);
    if (repo === undefined) {
      problems.push(`copy ${op.from}: source @${m[1]} is not readable offline`);
      return;
    }
    if (op.strategy === "Extract") {
      problems.push(`copy ${op.from} (strategy Extract): tarballs are not unpacked offline`);
      return;
    }
    const pattern = m[2];
    const dest = op.to.slice("@artifact/".length);
    const destDir = op.to.endsWith("/");
    const excludes = (op.exclude ?? []).map(doublestarRegExp);
    const simple = (op.exclude ?? []).map((p) => !p.includes("/"));
    const merge = op.strategy === "Merge";
    const copyTree = (src: string, to: string, base: string) => {
      if (repo.isFile(src)) {
        from = { repo, file: src };
        write(to, repo.readText(src), merge);
        return;
      }
      for (const e of repo.list(src)) {
        if (excluded(e.path, base, excludes, simple)) continue;
        copyTree(e.path, path.posix.join(to, e.name), base);
      }
    };
    if (!hasGlob(pattern)) {
      let src: string;
      try {
        src = repo.normalize(pattern);
      } catch {
        problems.push(`copy ${op.from}: path leaves the source`);
        return;
      }
      if (!repo.exists(src)) {
        problems.push(`copy ${op.from}: ${src} does not exist in the source`);
        return;
      }
      if (repo.isDirectory(src)) {
        copyTree(src, path.posix.join(dest, path.posix.basename(src || ".")), src);
      } else if (!excluded(src, ".", excludes, simple)) {
        const target = destDir || fs.existsSync(path.join(dir, dest)) && fs.statSync(path.join(dir, dest)).isDirectory()
          ? path.posix.join(dest, path.posix.basename(src)) : dest;
        from = { repo, file: src };
        write(target, repo.readText(src), merge);
      }
      return;
    }
    const base = selectionRoot(pattern);
    const matches = glob(repo, pattern).filter((p) => !excluded(p, base, excludes, simple));
    if (matches.length === 0) problems.push(`copy ${op.from}: no file matches`);
    const stripped = pattern.endsWith("/**") ? pattern.slice(0, -3) : undefined;
    for (const match of matches) {
      const to = stripped !== undefined && match.startsWith(`${stripped}/`)
        ? path.posix.join(dest, match.slice(stripped.length + 1)) : path.posix.join(dest, match);
      copyTree(match, to, base);
    }
  }
}

/** The copy operations of an ArtifactGenerator artifact entry, as written. */
export function copyOperationsOf(artifact: Record<string, unknown>): CopyOperation[] {
  const out: CopyOperation[] = [];
  for (const c of Array.isArray(artifact.copy) ? artifact.copy : []) {
    if (!isRecord(c) || typeof c.from !== "string" || typeof c.to !== "string") continue;
    out.push({
      from: c.from,
      to: c.to,
      exclude: Array.isArray(c.exclude) ? c.exclude.filter((e): e is string => typeof e === "string") : undefined,
      strategy: typeof c.strategy === "string" ? c.strategy : undefined,
    });
  }
  return out;
}
