import * as fs from "fs";
import * as path from "path";
import { GitopsInputError } from "./errors";

type Kind = "file" | "dir" | "none";

interface Entry {
  /** The real absolute path (symlinks resolved). */
  real: string;
  kind: Kind;
}

/** One entry of a directory listing. */
export interface DirEntry {
  name: string;
  /** Repo-relative POSIX path. */
  path: string;
  isDirectory: boolean;
}

/**
 * Reads a repository without ever leaving its root: every path is repo-relative POSIX, `..`
 * that climbs above the root is refused, and a symlink is followed only when its target stays
 * inside the root (a symlink out of the repo is how a malicious checkout reads a runner's files).
 * Text and listings are cached, so each file is read once per verification.
 */
export class Repo {
  readonly root: string;
  private readonly realRoot: string;
  private readonly texts = new Map<string, string>();
  private readonly listings = new Map<string, DirEntry[]>();
  private readonly entries = new Map<string, Entry>();

  constructor(root: string) {
    this.root = path.resolve(root);
    try {
      this.realRoot = fs.realpathSync(this.root);
    } catch {
      throw new GitopsInputError(`repository root ${root} does not exist`);
    }
    if (!fs.statSync(this.realRoot).isDirectory()) {
      throw new GitopsInputError(`repository root ${root} is not a directory`);
    }
  }

  /**
   * The canonical repo-relative form of `p` ("" for the root): `./a/../b/` -> `b`.
   * Throws when it climbs above the root or is absolute.
   */
  normalize(p: string): string {
    if (p.includes("\\") || p.includes("\0")) {
      throw new GitopsInputError(`path ${JSON.stringify(p)} is not a repo-relative POSIX path`);
    }
    if (path.posix.isAbsolute(p)) {
      throw new GitopsInputError(`path ${p} is absolute; expected a path relative to the repository root`);
    }
    const n = path.posix.normalize(p === "" ? "." : p).replace(/\/+$/, "");
    if (n === ".." || n.startsWith("../")) {
      throw new GitopsInputError(`path ${p} leaves the repository root`);
    }
    return n === "." ? "" : n;
  }

  /** Joins a repo-relative directory and a relative reference, refusing escapes. */
  join(dir: string, ref: string): string {
    return this.normalize(path.posix.join(dir === "" ? "." : dir, ref));
  }

  /**
   * Where `rel` really is and what it is. Resolved one path segment at a time from the cached
   * parent, so only symlinks cost a realpath; one that leaves the root throws.
   */
  private entry(rel: string): Entry {
    let e = this.entries.get(rel);
    if (e !== undefined) return e;
    if (rel === "") return { real: this.realRoot, kind: "dir" };
    const slash = rel.lastIndexOf("/");
    const parent = this.entry(slash < 0 ? "" : rel.slice(0, slash));
    let real = path.join(parent.real, rel.slice(slash + 1));
    let kind: Kind = "none";
    if (parent.kind === "dir") {
      let st = fs.lstatSync(real, { throwIfNoEntry: false });
      if (st?.isSymbolicLink()) {
        try {
          real = fs.realpathSync(real);
        } catch {
          real = "";
        }
        if (real !== "" && real !== this.realRoot && !real.startsWith(this.realRoot + path.sep)) {
          throw new GitopsInputError(`${rel} is a symlink that resolves outside the repository root`);
        }
        st = real === "" ? undefined : fs.statSync(real, { throwIfNoEntry: false });
      }
      kind = st === undefined ? "none" : st.isDirectory() ? "dir" : st.isFile() ? "file" : "none";
    }
    e = { real, kind };
    this.entries.set(rel, e);
    return e;
  }

  private kind(p: string): Kind {
    return this.entry(this.normalize(p)).kind;
  }

  exists(p: string): boolean {
    return this.kind(p) !== "none";
  }

  isFile(p: string): boolean {
    return this.kind(p) === "file";
  }

  isDirectory(p: string): boolean {
    return this.kind(p) === "dir";
  }

  /** The file's text (UTF-8). */
  readText(p: string): string {
    const rel = this.normalize(p);
    let text = this.texts.get(rel);
    if (text === undefined) {
      if (this.kind(rel) !== "file") {
        throw new GitopsInputError(`${rel || "."} is not a readable file in the repository`);
      }
      text = fs.readFileSync(this.entry(rel).real, "utf8");
      this.texts.set(rel, text);
    }
    return text;
  }

  /** The entries of a directory, sorted by name (the order kustomize and Flux walk in). */
  list(p: string): DirEntry[] {
    const rel = this.normalize(p);
    let entries = this.listings.get(rel);
    if (entries === undefined) {
      if (this.kind(rel) !== "dir") {
        throw new GitopsInputError(`${rel || "."} is not a directory in the repository`);
      }
      const real = this.entry(rel).real;
      const dirents = fs.readdirSync(real, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      entries = [];
      for (const d of dirents) {
        const name = d.name;
        const child = rel === "" ? name : `${rel}/${name}`;
        // The listing already says what a plain entry is; only symlinks need resolving.
        if (!d.isSymbolicLink() && !this.entries.has(child)) {
          this.entries.set(child, { real: path.join(real, name), kind: d.isDirectory() ? "dir" : d.isFile() ? "file" : "none" });
        }
        const k = this.kindOrOutside(child);
        if (k === "dir" || k === "file") entries.push({ name, path: child, isDirectory: k === "dir" });
      }
      this.listings.set(rel, entries);
    }
    return entries;
  }

  /** A listing skips symlinks that leave the root rather than failing the whole walk. */
  private kindOrOutside(p: string): Kind {
    try {
      return this.kind(p);
    } catch (e) {
      if (e instanceof GitopsInputError) return "none";
      throw e;
    }
  }
}
