import ignore, { Ignore } from "ignore";
import { Repo } from "../repo";

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
  matcher: Ignore;
}

/**
 * Files source-controller leaves out of the artifact, so neither kustomize nor Flux's generator
 * ever sees them. Groups are evaluated in source-controller's order (VCS, then defaults or every
 * `.sourceignore` depth-first, then `spec.ignore`); the last group with a verdict wins, as in
 * go-git's gitignore matcher, which walks its patterns from the end.
 */
export class SourceIgnore {
  private groups: Scoped[] | undefined;
  private readonly verdicts = new Map<string, boolean>();

  constructor(private readonly repo: Repo, private readonly options: ResolveOptions = {}) {}

  /** sourceignore.LoadIgnorePatterns: every `.sourceignore` in the tree, parents before children, `.git` skipped. */
  private sourceignoreFiles(dir: string, out: Scoped[]): void {
    const file = this.repo.join(dir, ".sourceignore");
    if (this.repo.isFile(file)) {
      const lines = patternLines(this.repo.readText(file));
      if (lines.length > 0) out.push({ dir, matcher: ignore().add(lines) });
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
      if (specLines.length > 0) own.push({ dir: "", matcher: ignore().add(specLines) });
      const base = own.length > 0 ? VCS_PATTERNS : [...VCS_PATTERNS, ...DEFAULT_PATTERNS];
      this.groups = [{ dir: "", matcher: ignore().add(base) }, ...own];
    }
    return this.groups;
  }

  /** Whether `p` (repo-relative; "" is the root, never ignored) is left out: it or a directory above it is ignored. */
  ignored(p: string, isDirectory: boolean): boolean {
    if (p === "") return false;
    const parts = p.split("/");
    for (let k = 1; k <= parts.length; k++) {
      if (this.entryIgnored(parts.slice(0, k), k < parts.length || isDirectory)) return true;
    }
    return false;
  }

  private entryIgnored(parts: string[], isDirectory: boolean): boolean {
    const full = parts.join("/");
    const key = full + (isDirectory ? "/" : "");
    let result = this.verdicts.get(key);
    if (result === undefined) {
      result = false;
      for (const g of this.groupsOf()) {
        if (g.dir !== "" && !full.startsWith(`${g.dir}/`)) continue;
        const rel = g.dir === "" ? full : full.slice(g.dir.length + 1);
        const t = g.matcher.test(rel + (isDirectory ? "/" : ""));
        if (t.ignored) result = true;
        else if (t.unignored) result = false;
      }
      this.verdicts.set(key, result);
    }
    return result;
  }
}
