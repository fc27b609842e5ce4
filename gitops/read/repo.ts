import * as fs from "fs";
import * as path from "path";
import { Budget } from "./budget";
import { GitopsInputError } from "./errors";
import { checkSourceIgnore } from "./sourceignore-check";

type Kind = "file" | "dir" | "none";

interface Entry {
  /** The real absolute path (symlinks resolved). */
  real: string;
  kind: Kind;
  /** Device and inode (`dev:ino`), once asked for: what a directory cycle is detected by. */
  id?: string;
}

/** What makes a path need normalizing or refusing: `.`/`..` segments, `//`, a leading or trailing `/`, `\\`, NUL. */
const NOT_CANONICAL = /(?:^|\/)\.\.?(?:\/|$)|\/\/|^\/|\/$|\\|\0/;

/** One path segment that joins by concatenation: no slash, backslash or NUL, not `.` or `..`. */
const SIMPLE_NAME = /^(?!\.\.?$)[^/\\\0]+$/;

/** An absolute directory and an entry name in it, as path.join gives them (the directory is already normal). */
function childPath(dir: string, name: string): string {
  return dir === "" ? name : dir.endsWith(path.sep) ? dir + name : dir + path.sep + name;
}

/** Linux PATH_MAX: a longer repo-relative path is not one a checkout can hold. */
export const MAX_PATH_LENGTH = 4096;

/** An fs error as input the user can fix: the file and what the system said (EACCES, ELOOP...). */
export function unreadable(rel: string, err: unknown): GitopsInputError {
  const code = (err as NodeJS.ErrnoException).code;
  const what = code === "EACCES" || code === "EPERM" ? "permission denied" : code === "ELOOP" ? "too many levels of symbolic links" : code ?? String(err);
  return new GitopsInputError(`cannot be read: ${what}`, rel || ".");
}

function isFsError(err: unknown): boolean {
  return typeof (err as NodeJS.ErrnoException)?.code === "string" && (err as NodeJS.ErrnoException).syscall !== undefined;
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
 *
 * A listing never walks into a cycle: a symlinked directory whose device and inode are those of
 * the directory being listed or one of its ancestors (`up -> ..`, `self -> .`, an absolute link to
 * the root) is left out, so a recursive walk over `list` ends. Every read is charged to `budget`.
 */
export class Repo {
  readonly root: string;
  readonly budget: Budget;
  private readonly realRoot: string;
  private readonly texts = new Map<string, string>();
  private readonly listings = new Map<string, DirEntry[]>();
  private readonly entries = new Map<string, Entry>();

  constructor(root: string, budget: Budget = new Budget()) {
    this.budget = budget;
    this.root = path.resolve(root);
    try {
      this.realRoot = fs.realpathSync(this.root);
    } catch {
      throw new GitopsInputError(`repository root ${root} does not exist`);
    }
    if (!fs.statSync(this.realRoot).isDirectory()) {
      throw new GitopsInputError(`repository root ${root} is not a directory`);
    }
    this.rootEntry.real = this.realRoot;
  }

  /**
   * The canonical repo-relative form of `p` ("" for the root): `./a/../b/` -> `b`.
   * Throws when it climbs above the root or is absolute.
   */
  normalize(p: string): string {
    // Most paths are already canonical (they came from a listing or an earlier normalize): the
    // profile of verify on bench/ had path.posix.normalize at a tenth of the time outside parsing.
    if (p.length <= MAX_PATH_LENGTH && p !== "." && !NOT_CANONICAL.test(p)) return p;
    if (p.includes("\\") || p.includes("\0")) {
      throw new GitopsInputError(`path ${JSON.stringify(p)} is not a repo-relative POSIX path`);
    }
    if (p.length > MAX_PATH_LENGTH) {
      throw new GitopsInputError(`path ${JSON.stringify(p.slice(0, 80))}... is ${p.length} characters long; the longest path is ${MAX_PATH_LENGTH}`);
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
    // A canonical directory and a plain name (the common case: a listing, a kustomization file
    // name) join as they are; path.posix.join would return the same string.
    if (SIMPLE_NAME.test(ref) && (dir === "" || !NOT_CANONICAL.test(dir))) return this.normalize(dir === "" ? ref : `${dir}/${ref}`);
    return this.normalize(path.posix.join(dir === "" ? "." : dir, ref));
  }

  /**
   * Where `rel` really is and what it is. Resolved one path segment at a time from the cached
   * parent (iteratively: a path may have thousands of segments), so only symlinks cost a
   * realpath; one that leaves the root throws.
   */
  private entry(rel: string): Entry {
    const cached = this.entries.get(rel);
    if (cached !== undefined) return cached;
    if (rel === "") return { real: this.realRoot, kind: "dir" };
    // The nearest cached ancestor, then each segment below it in turn.
    let start = rel.length;
    let parent: Entry = { real: this.realRoot, kind: "dir" };
    for (let slash = rel.lastIndexOf("/"); slash > 0; slash = rel.lastIndexOf("/", slash - 1)) {
      const known = this.entries.get(rel.slice(0, slash));
      if (known !== undefined) {
        parent = known;
        start = slash;
        break;
      }
    }
    if (start === rel.length) start = -1;
    let e = parent;
    for (let i = start; i < rel.length; ) {
      const next = rel.indexOf("/", i + 1);
      const end = next < 0 ? rel.length : next;
      const prefix = rel.slice(0, end);
      e = this.entries.get(prefix) ?? this.resolveChild(prefix, parent, rel.slice(i + 1, end));
      parent = e;
      i = end;
    }
    return e;
  }

  private resolveChild(rel: string, parent: Entry, name: string): Entry {
    let real = childPath(parent.real, name);
    let kind: Kind = "none";
    if (parent.kind === "dir") {
      let st: fs.Stats | undefined;
      try {
        st = fs.lstatSync(real, { throwIfNoEntry: false });
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
      } catch (err) {
        if (isFsError(err)) throw unreadable(rel, err);
        throw err;
      }
      kind = st === undefined ? "none" : st.isDirectory() ? "dir" : st.isFile() ? "file" : "none";
    }
    const e: Entry = { real, kind };
    this.entries.set(rel, e);
    return e;
  }

  /** Device and inode of an entry's real location. */
  private idOf(e: Entry): string {
    if (e.id === undefined) {
      const st = fs.statSync(e.real, { throwIfNoEntry: false });
      e.id = st === undefined ? `none:${e.real}` : `${st.dev}:${st.ino}`;
    }
    return e.id;
  }

  /** Whether the directory `child` (a symlink) is `dir` itself or one of its ancestors: listing it would never end. */
  private closesCycle(dir: string, child: string): boolean {
    const target = this.idOf(this.entry(child));
    for (let at = dir; ; at = at.includes("/") ? at.slice(0, at.lastIndexOf("/")) : "") {
      if (this.idOf(at === "" ? this.rootEntry : this.entry(at)) === target) return true;
      if (at === "") return false;
    }
  }

  private readonly rootEntry: Entry = { real: "", kind: "dir" };

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

  /** The file's text (UTF-8; bytes that are not are read as U+FFFD, which is enough to analyse but not to write back). */
  readText(p: string): string {
    const rel = this.normalize(p);
    let text = this.texts.get(rel);
    if (text === undefined) {
      text = this.readBytes(rel).toString("utf8");
      // The resolver compiles these into regular expressions: refuse one that cannot be, by line.
      if (rel === ".sourceignore" || rel.endsWith("/.sourceignore")) checkSourceIgnore(text, rel);
      this.texts.set(rel, text);
    }
    return text;
  }

  /** The file's bytes, uncached: what a rewrite starts from. */
  readBytes(p: string): Buffer {
    const rel = this.normalize(p);
    if (this.kind(rel) !== "file") {
      throw new GitopsInputError(`${rel || "."} is not a readable file in the repository`);
    }
    let bytes: Buffer;
    let fd: number | undefined;
    try {
      // One open, then the size from the descriptor: charged before any byte is read, without a
      // second lookup of the path (a stat of it was a tenth of verify's time beyond parsing).
      fd = fs.openSync(this.entry(rel).real, "r");
      const size = fs.fstatSync(fd).size;
      this.budget.chargeFile(rel, size);
      // The size read, as readFileSync reads a regular file (up to its size, or less at an early end).
      bytes = Buffer.allocUnsafe(size);
      let read = 0;
      while (read < size) {
        const n = fs.readSync(fd, bytes, read, size - read, read);
        if (n === 0) break;
        read += n;
      }
      if (read < size) bytes = bytes.subarray(0, read);
    } catch (err) {
      if (isFsError(err)) throw unreadable(rel, err);
      throw err;
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
    return bytes;
  }

  /** Where a repo-relative path really is on disk (the symlinks resolved, inside the root). */
  realPath(p: string): string {
    return this.entry(this.normalize(p)).real;
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
      this.budget.chargeEntry(rel || ".");
      let dirents: fs.Dirent[];
      try {
        dirents = fs.readdirSync(real, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      } catch (err) {
        if (isFsError(err)) throw unreadable(rel, err);
        throw err;
      }
      entries = [];
      for (const d of dirents) {
        const name = d.name;
        const child = rel === "" ? name : `${rel}/${name}`;
        // The listing already says what a plain entry is; only symlinks need resolving.
        if (!d.isSymbolicLink() && !this.entries.has(child)) {
          this.entries.set(child, { real: childPath(real, name), kind: d.isDirectory() ? "dir" : d.isFile() ? "file" : "none" });
        }
        const k = this.kindOrOutside(child);
        if (k === "dir" && d.isSymbolicLink() && this.closesCycle(rel, child)) continue;
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
