/**
 * Writes a set of files in a repository all or nothing, surviving a kill at any point.
 *
 * 1. Check: every target is a regular file inside the repository, still holds exactly the bytes
 *    the change was planned from, is not read-only (no write bit) and opens for writing (an
 *    immutable file, `chattr +i`, fails here with EPERM). One failure: nothing is written.
 * 2. Journal `.gitops-cluster-write.json` at the repository root, state "staging": the temp files
 *    about to be written. A kill from here on leaves a journal the next run acts on.
 * 3. Stage: each new content into a temp file beside its target (same directory, so the rename is
 *    atomic), with the target's mode, fsynced. A failure removes the temps and the journal.
 * 4. Commit: the journal is rewritten (temp + rename) in state "committed". This is the point of
 *    no return: from now on the set is completed, never rolled back.
 * 5. Rename every temp over its target, then remove the journal.
 *
 * `recoverWriteSet` (called by every writing command before it plans) finishes a committed set
 * (renames the temps still there) or discards a staging one (removes its temps), so a kill
 * leaves either every file old or every file new once the next run starts, and no `.tmp` behind.
 *
 * Used by `inject --write` (gitops/edit/overlays.ts) and meant for any command that rewrites files.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { GitopsInputError } from "../read/errors";
import { Repo } from "../read/repo";

/** One file to replace: `before` is what it must still hold, `after` what it gets (null: delete it). */
export interface PlannedWrite {
  /** Repo-relative POSIX path. */
  file: string;
  before: Buffer;
  after: Buffer | null;
}

/** What `recoverWriteSet` did with an interrupted write set. */
export interface Recovery {
  /** "completed": a committed set was finished; "discarded": a set killed while staging was dropped (files untouched). */
  outcome: "completed" | "discarded";
  files: string[];
}

/** Test hook: called after each step, so a test can kill the process there. */
export type WriteStep = "journaled" | "staged" | "committed" | "renamed";

export const JOURNAL_NAME = ".gitops-cluster-write.json";
const TEMP_MARK = ".gitops-cluster-";

interface JournalEntry {
  /** Repo-relative path of the target, as planned. */
  file: string;
  /** Real path of the target relative to the repository's real root (symlinks resolved). */
  target: string;
  /** Temp file, relative to the real root ("" for a deletion). */
  temp: string;
  /** SHA-256 of the new content, so recovery renames only a temp that was written in full ("" for a deletion). */
  sha256: string;
  /** The target is removed instead of replaced. */
  delete?: true;
}

interface Journal {
  version: 1;
  state: "staging" | "committed";
  entries: JournalEntry[];
}

function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function fsMessage(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === "EACCES") return "permission denied";
  if (e.code === "EPERM") return "operation not permitted (is the file immutable?)";
  if (e.code === "EROFS") return "read-only file system";
  if (e.code === "ENOSPC") return "no space left on device";
  return e.code ?? e.message;
}

function fsyncPath(p: string, flags = "r"): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(p, flags);
    fs.fsyncSync(fd);
  } catch {
    // Directories cannot be fsynced on every platform; the rename order still holds.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Writes `text` to `file` via a temp file and a rename, fsynced: the journal is whole or absent. */
function writeWhole(file: string, text: string): void {
  const temp = `${file}.tmp`;
  try {
    fs.writeFileSync(temp, text);
    fsyncPath(temp, "r+");
    fs.renameSync(temp, file);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw err;
  }
  fsyncPath(path.dirname(file));
}

function readJournal(journalFile: string): Journal | undefined {
  let text: string;
  try {
    text = fs.readFileSync(journalFile, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new GitopsInputError(`the write journal cannot be read: ${fsMessage(err)}`, JOURNAL_NAME);
  }
  try {
    const journal = JSON.parse(text) as Journal;
    if (journal.version === 1 && (journal.state === "staging" || journal.state === "committed") && Array.isArray(journal.entries)) return journal;
  } catch {
    // fall through
  }
  throw new GitopsInputError(
    "is not a write journal this version understands; an interrupted write left it: check the files it names, then delete it",
    JOURNAL_NAME,
  );
}

/** A journal path inside the real root, or an error: recovery never touches anything outside the repository. */
function insideRoot(realRoot: string, rel: string): string {
  const full = path.resolve(realRoot, rel);
  if (full !== realRoot && !full.startsWith(realRoot + path.sep)) {
    throw new GitopsInputError(`names ${rel}, outside the repository; delete it after checking the files`, JOURNAL_NAME);
  }
  return full;
}

/**
 * Finishes or discards a write set a killed run left behind; undefined when there was none.
 * Also removes the journal's own temp file.
 */
export function recoverWriteSet(repoDir: string): Recovery | undefined {
  const realRoot = fs.realpathSync(repoDir);
  const journalFile = path.join(realRoot, JOURNAL_NAME);
  fs.rmSync(`${journalFile}.tmp`, { force: true });
  const journal = readJournal(journalFile);
  if (journal === undefined) return undefined;
  const files = journal.entries.map((e) => e.file);
  if (journal.state === "staging") {
    for (const entry of journal.entries) if (!entry.delete) fs.rmSync(insideRoot(realRoot, entry.temp), { force: true });
    fs.rmSync(journalFile, { force: true });
    return { outcome: "discarded", files };
  }
  for (const entry of journal.entries) {
    const target = insideRoot(realRoot, entry.target);
    const temp = entry.delete ? "" : insideRoot(realRoot, entry.temp);
    if (entry.delete) {
      fs.rmSync(target, { force: true });
      continue;
    }
    if (!fs.existsSync(temp)) continue; // renamed before the kill
    if (sha256(fs.readFileSync(temp)) !== entry.sha256) {
      throw new GitopsInputError(`the staged content for ${entry.file} is damaged; restore the file from Git, then delete the journal`, JOURNAL_NAME);
    }
    fs.renameSync(temp, target);
  }
  fsyncPath(realRoot);
  fs.rmSync(journalFile, { force: true });
  return { outcome: "completed", files };
}

/** Whether a killed run left a write set to recover. */
export function hasPendingWriteSet(repoDir: string): boolean {
  return fs.existsSync(path.join(repoDir, JOURNAL_NAME));
}

/**
 * Writes every planned file or none (see the module comment). Throws GitopsInputError, naming the
 * file, when a target is missing, changed since the plan, read-only or immutable; nothing has been
 * written then.
 */
export function applyWriteSet(repoDir: string, writes: PlannedWrite[], onStep?: (step: WriteStep, index: number) => void): void {
  if (writes.length === 0) return;
  const repo = new Repo(repoDir);
  const realRoot = fs.realpathSync(repo.root);
  if (hasPendingWriteSet(realRoot)) {
    throw new GitopsInputError("an interrupted write is pending; run the command again with --write to finish it first", JOURNAL_NAME);
  }
  const seen = new Set<string>();
  const targets = writes.map((write, i) => {
    if (!repo.isFile(write.file)) throw new GitopsInputError("is not a file in the repository", write.file);
    const real = repo.realPath(write.file); // the file itself, not a symlink to it
    if (seen.has(real)) throw new GitopsInputError("is written twice in one change set (two paths to one file)", write.file);
    seen.add(real);
    let st: fs.Stats;
    let current: Buffer;
    try {
      st = fs.statSync(real);
      current = fs.readFileSync(real);
    } catch (err) {
      throw new GitopsInputError(`cannot be read: ${fsMessage(err)}; nothing was written`, write.file);
    }
    if (!current.equals(write.before)) {
      throw new GitopsInputError("changed since the plan was made; nothing was written, plan again", write.file);
    }
    // Root may write a file without write bits; a read-only file still means "leave me alone".
    if ((st.mode & 0o222) === 0) throw new GitopsInputError("is read-only; nothing was written (make it writable, or leave it out)", write.file);
    try {
      fs.closeSync(fs.openSync(real, "r+")); // opens for writing without changing a byte: EPERM when immutable
      fs.accessSync(path.dirname(real), fs.constants.W_OK);
    } catch (err) {
      throw new GitopsInputError(`cannot be written: ${fsMessage(err)}; nothing was written`, write.file);
    }
    const dir = path.dirname(real);
    const temp = path.join(dir, `.${path.basename(real).slice(0, 100)}${TEMP_MARK}${process.pid}-${i}.tmp`);
    return { write, real, temp, mode: st.mode & 0o7777 };
  });

  const journalFile = path.join(realRoot, JOURNAL_NAME);
  const journal: Journal = {
    version: 1,
    state: "staging",
    entries: targets.map((t) => t.write.after === null
      ? { file: t.write.file, target: path.relative(realRoot, t.real), temp: "", sha256: "", delete: true as const }
      : {
        file: t.write.file,
        target: path.relative(realRoot, t.real),
        temp: path.relative(realRoot, t.temp),
        sha256: sha256(t.write.after),
      }),
  };
  try {
    writeWhole(journalFile, JSON.stringify(journal, null, 2));
  } catch (err) {
    throw new GitopsInputError(`the write journal cannot be written: ${fsMessage(err)}; nothing was written`, JOURNAL_NAME);
  }
  onStep?.("journaled", 0);
  let staging = 0;
  try {
    targets.forEach((t, i) => {
      staging = i;
      if (t.write.after === null) return;
      const fd = fs.openSync(t.temp, "wx", t.mode);
      try {
        fs.writeFileSync(fd, t.write.after);
        fs.fchmodSync(fd, t.mode); // the umask may have narrowed it
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      onStep?.("staged", i);
    });
  } catch (err) {
    for (const t of targets) if (t.write.after !== null) fs.rmSync(t.temp, { force: true });
    fs.rmSync(journalFile, { force: true });
    throw new GitopsInputError(`staging its new content failed: ${fsMessage(err)}; nothing was written`, targets[staging].write.file);
  }
  writeWhole(journalFile, JSON.stringify({ ...journal, state: "committed" }, null, 2));
  onStep?.("committed", 0);
  targets.forEach((t, i) => {
    try {
      if (t.write.after === null) fs.rmSync(t.real, { force: true });
      else fs.renameSync(t.temp, t.real);
    } catch (err) {
      throw new GitopsInputError(
        `replacing it failed: ${fsMessage(err)}; the change set is committed in ${JOURNAL_NAME} and the next --write run finishes it`,
        t.write.file,
      );
    }
    onStep?.("renamed", i);
  });
  for (const dir of new Set(targets.map((t) => path.dirname(t.real)))) fsyncPath(dir);
  fs.rmSync(journalFile, { force: true });
}
