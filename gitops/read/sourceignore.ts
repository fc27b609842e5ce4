import { Repo } from "./repo";

/** How the repository is turned into a Flux source artifact before anything is built from it. */
export interface ResolveOptions {
  /**
   * A GitRepository's `spec.ignore` (gitignore lines). As in source-controller, any ignore pattern
   * (this text or a `.sourceignore` file) REPLACES the default exclusions; the VCS ones (`.git/`...)
   * always apply, and `spec.ignore` comes last so it overrules `.sourceignore`
   * (fluxcd/source-controller internal/controller/gitrepository_controller.go, archiveArtifact;
   * fluxcd/pkg artifact/storage/archive.go, SourceIgnoreFilter).
   */
  ignore?: string;
}

/** The cache key of a set of options: resolutions under different ignores never mix. */
export function optionsKey(options: ResolveOptions | undefined): string {
  return options?.ignore === undefined ? "" : `ignore:${options.ignore}`;
}

/** fluxcd/pkg sourceignore/sourceignore.go: ExcludeVCS, always applied. */
const VCS_PATTERNS = [".git/", ".gitignore", ".gitmodules", ".gitattributes"];
/** fluxcd/pkg sourceignore/sourceignore.go: ExcludeExt, ExcludeCI, ExcludeExtra; only when no other pattern exists. */
const DEFAULT_PATTERNS = [
  "*.jpg", "*.jpeg", "*.gif", "*.png", "*.wmv", "*.flv", "*.tar.gz", "*.zip",
  ".github/", ".circleci/", ".travis.yml", ".gitlab-ci.yml", "appveyor.yml", ".drone.yml",
  "cloudbuild.yaml", "codeship-services.yml", "codeship-steps.yml",
  "**/.goreleaser.yml", "**/.sops.yaml", "**/.flux.yaml",
];

/** Lines that are patterns, as sourceignore.ReadPatterns reads them (comments and blank lines dropped). */
function patternLines(text: string): string[] {
  return text.split(/\r?\n/).filter((l) => !l.startsWith("#") && l.trim() !== "");
}

/** A group of patterns scoped to a directory ("" = the source root). */
interface Scoped {
  dir: string;
  patterns: GitignorePattern[];
  /** The group's names as one expression, when every pattern is a plain name glob (see nameGlobs). */
  names?: NameGlobs;
}

/**
 * A pattern the fast path decides by itself: not negated, a name with no slash but an optional
 * trailing one (directories only) and an optional leading double-star slash, made of letters,
 * digits, `.`, `_`, `-` and the wildcards `*` and `?`. In gitignore syntax (go-git's
 * plumbing/format/gitignore pattern.go, simpleNameMatch; the `ignore` package alike) such a
 * pattern matches an entry anywhere below the pattern file's directory by its last path segment
 * alone. Flux's default and VCS exclusions are all of this form. Anything else (negation `!`,
 * an anchored or inner slash, `**` inside a name, brackets, escapes, spaces) goes to `ignore`.
 */
const NAME_GLOB = /^(?:\*\*\/)?((?:[A-Za-z0-9._-]|\*(?!\*)|\?)+)(\/?)$/;

/** A group's name globs, compiled: `any` for every entry, `dirs` for directories only. */
interface NameGlobs {
  any?: RegExp;
  dirs?: RegExp;
}

/** The group's name globs when every line is one, else undefined (the group then needs `ignore`). */
function nameGlobs(lines: string[]): NameGlobs | undefined {
  const any: string[] = [];
  const dirs: string[] = [];
  for (const line of lines) {
    const m = NAME_GLOB.exec(line);
    if (m === null || /^\.+$/.test(m[1])) return undefined;
    // `*` and `?` never cross a slash; case counts, as in go-git's wildmatch (and `ignore` below).
    const source = m[1].replace(/\./g, "\\.").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]");
    (m[2] === "/" ? dirs : any).push(source);
  }
  const compile = (sources: string[]) => (sources.length === 0 ? undefined : new RegExp(`^(?:${sources.join("|")})$`));
  return { any: compile(any), dirs: compile(dirs) };
}

function scoped(dir: string, lines: string[]): Scoped {
  return { dir, patterns: lines.map(parsePattern), names: nameGlobs(lines) };
}

/**
 * One gitignore pattern as fluxcd/pkg reads it (sourceignore/gitignore/pattern.go@e2cfd1a, go-git's):
 * `!` includes, a trailing `/` is for directories, a pattern with a slash is matched segment by
 * segment from the start of the path (a prefix: `/*` matches every path), one without by any
 * segment of it. Case counts (filepath.Match).
 */
interface GitignorePattern {
  segments: (RegExp | "**" | "")[];
  inclusion: boolean;
  dirOnly: boolean;
  isGlob: boolean;
}

/** filepath.Match of one path segment: `*`, `?`, `[...]` (`^` negates), `\\` escapes. */
function segmentGlob(glob: string): RegExp {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === "*") out += "[^/]*";
    else if (c === "?") out += "[^/]";
    else if (c === "\\" && i + 1 < glob.length) out += glob[++i].replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    else if (c === "[") {
      const end = glob.indexOf("]", i + 2);
      if (end < 0) return /(?!)/; // ErrBadPattern: go-git counts it as no match
      const body = glob.slice(i + 1, end);
      out += `[${body.replace(/\\(?!.)/g, "\\\\")}]`;
      i = end;
    } else out += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  try {
    return new RegExp(`^${out}$`);
  } catch {
    return /(?!)/;
  }
}

function parsePattern(line: string): GitignorePattern {
  let p = line;
  const inclusion = p.startsWith("!");
  if (inclusion) p = p.slice(1);
  if (!p.endsWith("\\ ")) p = p.replace(/ +$/, "");
  const dirOnly = p.endsWith("/");
  if (dirOnly) p = p.slice(0, -1);
  const isGlob = p.includes("/");
  // globMatch: a segment holding `**` among other characters never matches.
  const segments = p.split("/").map((seg) => (seg === "" ? "" : seg === "**" ? "**" : isGlob && seg.includes("**") ? /(?!)/ : segmentGlob(seg)));
  return { segments, inclusion, dirOnly, isGlob };
}

/** pattern.Match: whether the pattern says anything about `path` (segments below its domain). */
function patternMatches(pattern: GitignorePattern, path: string[], isDir: boolean): boolean {
  if (!pattern.isGlob) {
    // simpleNameMatch: any segment; a directory-only pattern does not take the last segment of a file.
    const glob = pattern.segments[0] as RegExp;
    for (let i = 0; i < path.length; i++) {
      if (!glob.test(path[i])) continue;
      return !(pattern.dirOnly && !isDir && i === path.length - 1);
    }
    return false;
  }
  // globMatch: segment by segment from the start; `**` lets the next segment match further on.
  let rest = path;
  let matched = false;
  let canTraverse = false;
  const segments = pattern.segments;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i];
    if (seg === "") {
      canTraverse = false;
      continue;
    }
    if (seg === "**") {
      if (i === segments.length - 1) break;
      canTraverse = true;
      continue;
    }
    if (rest.length === 0) return false;
    if (canTraverse) {
      canTraverse = false;
      while (rest.length > 0) {
        const e = rest[0];
        rest = rest.slice(1);
        if (seg.test(e)) {
          matched = true;
          break;
        } else if (rest.length === 0) matched = false;
      }
    } else {
      if (!seg.test(rest[0])) return false;
      matched = true;
      rest = rest.slice(1);
    }
  }
  if (matched && pattern.dirOnly && !isDir && rest.length === 0) matched = false;
  return matched;
}

/**
 * Files source-controller leaves out of the artifact, so neither kustomize nor Flux's generator
 * ever sees them. Groups are evaluated in source-controller's order (VCS, then defaults or every
 * `.sourceignore` depth-first, then `spec.ignore`); the last group with a verdict wins, as in
 * go-git's gitignore matcher, which walks its patterns from the end.
 */
export class SourceIgnore {
  private groups: Scoped[] | undefined;
  /** Whether every group is name globs, so `ignore` is not needed (set with `groups`). */
  private allNames = false;
  /** ignored(), by path (a trailing slash for a directory). */
  private readonly paths = new Map<string, boolean>();

  /** `fastPath: false` decides every path with the `ignore` package (for the tests that compare both). */
  constructor(private readonly repo: Repo, private readonly options: ResolveOptions = {}, private readonly fastPath = true) {}

  /** sourceignore.LoadIgnorePatterns: every `.sourceignore` in the tree, parents before children, `.git` skipped. */
  private sourceignoreFiles(dir: string, out: Scoped[]): void {
    const file = this.repo.join(dir, ".sourceignore");
    if (this.repo.isFile(file)) {
      const lines = patternLines(this.repo.readText(file));
      if (lines.length > 0) out.push(scoped(dir, lines));
    }
    for (const entry of this.repo.list(dir)) {
      if (entry.isDirectory && entry.name !== ".git") this.sourceignoreFiles(entry.path, out);
    }
  }

  private groupsOf(): Scoped[] {
    if (this.groups === undefined) {
      const own: Scoped[] = [];
      this.sourceignoreFiles("", own);
      const specLines = this.options.ignore === undefined ? [] : patternLines(this.options.ignore);
      if (specLines.length > 0) own.push(scoped("", specLines));
      const base = own.length > 0 ? VCS_PATTERNS : [...VCS_PATTERNS, ...DEFAULT_PATTERNS];
      this.groups = [scoped("", base), ...own];
      this.allNames = this.fastPath && this.groups.every((g) => g.names !== undefined);
    }
    return this.groups;
  }

  /** Whether every path is decided by name globs alone, without the `ignore` package (for the tests). */
  get decidedByName(): boolean {
    this.groupsOf();
    return this.allNames;
  }

  /**
   * Whether `p` (repo-relative; "" is the root, never ignored) is left out of the artifact.
   * source-controller walks every file and filters each path on its own, never pruning a
   * directory (fluxcd/pkg artifact/storage/archive.go@e2cfd1a Archive: a filtered entry returns
   * nil, not filepath.SkipDir): a file is out when the last pattern that matches it excludes it,
   * and a directory is out only when nothing below it is in. So `/*` followed by the negated
   * `**`-then-`flux/` pattern keeps `clusters/a/flux/x.yaml`, which git would not.
   */
  ignored(p: string, isDirectory: boolean): boolean {
    if (p === "") return false;
    const groups = this.groupsOf();
    const key = isDirectory ? `${p}/` : p;
    let result = this.paths.get(key);
    if (result === undefined) {
      const slash = p.lastIndexOf("/");
      if (this.allNames) {
        // Name globs, none negated: a path is matched when any of its segments is, as its directory is.
        result = (slash > 0 && this.ignored(p.slice(0, slash), true)) || this.nameIgnored(groups, p, slash, isDirectory);
      } else {
        result = this.entryIgnored(p, isDirectory);
        if (result && isDirectory && this.repo.isDirectory(p)) {
          result = this.repo.list(p).every((e) => this.ignored(e.path, e.isDirectory));
        }
      }
      this.paths.set(key, result);
    }
    return result;
  }

  /**
   * Every group is name globs (none negated): an entry is left out when its own name matches a
   * glob of a group above it, since a directory above it that matched was already found by
   * `ignored`. Equal to entryIgnored's verdict on such groups (test/gitops/sourceignore.test.ts).
   */
  private nameIgnored(groups: Scoped[], p: string, slash: number, isDirectory: boolean): boolean {
    const name = slash < 0 ? p : p.slice(slash + 1);
    for (const g of groups) {
      if (g.dir !== "" && !p.startsWith(`${g.dir}/`)) continue;
      const globs = g.names!;
      if (globs.any?.test(name) || (isDirectory && globs.dirs?.test(name))) return true;
    }
    return false;
  }

  /** One path's verdict, alone (sourceignore.NewMatcher: the last pattern with a verdict wins; matcher.go Match). */
  private entryIgnored(full: string, isDirectory: boolean): boolean {
    const segments = full.split("/");
    const groups = this.groupsOf();
    for (let g = groups.length - 1; g >= 0; g--) {
      const group = groups[g];
      if (group.dir !== "" && !full.startsWith(`${group.dir}/`)) continue;
      const below = group.dir === "" ? segments : segments.slice(group.dir.split("/").length);
      for (let i = group.patterns.length - 1; i >= 0; i--) {
        const pattern = group.patterns[i];
        if (patternMatches(pattern, below, isDirectory)) return !pattern.inclusion;
      }
    }
    return false;
  }
}
