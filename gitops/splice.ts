/**
 * Editing YAML files in place: a change is spliced into the original text at the source range
 * of the parsed node, so every byte it does not change (comments, key order, quoting, blank
 * lines) survives; `Document.toString()` is not used for output, it re-renders the whole file.
 * Shared by the node-role injection (gitops/overlays.ts) and `migrate` (gitops/migrate/).
 * Writing is all or nothing.
 */
import * as fs from "fs";
import { createTwoFilesPatch } from "diff";
import { CST, Document, Node, Scalar, isCollection, isPair, parse, visit } from "yaml";
import { GitopsInputError } from "./errors";
import { Repo } from "./repo";

/** One file's change: new text, or `after: null` to delete it. */
export interface FileChange {
  /** Repo-relative POSIX path. */
  file: string;
  before: string;
  after: string | null;
}

/** A splice: replace source[start, end) with text. */
export interface Splice {
  start: number;
  end: number;
  text: string;
}

/** Applies splices (non-overlapping) to a text, from the end so earlier offsets stay valid. */
export function applySplices(text: string, splices: Splice[]): string {
  const sorted = [...splices].sort((a, b) => b.start - a.start);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].end > sorted[i - 1].start) throw new Error("internal: overlapping YAML edits");
  }
  let out = text;
  for (const s of sorted) out = out.slice(0, s.start) + s.text + out.slice(s.end);
  return out;
}

/** Where in the source the scalar's text sits, and the text that gives it `value` in the same style. */
export function scalarReplacement(doc: Document, target: Scalar, value: string): { start: number; end: number; text: string } {
  const { inFlow, afterKey } = nodeContext(doc, target);
  const style = target.type ?? "PLAIN";
  // setScalarValue trusts the caller that a plain value still reads as a string; check it.
  const type = style === "PLAIN" && !plainReadsAsString(value, inFlow) ? "QUOTE_DOUBLE" : style;
  const token = target.srcToken;
  if (token) {
    const original = CST.stringify(token);
    const edited = structuredClone(token);
    CST.setScalarValue(edited, value, { afterKey, inFlow, type });
    return { start: token.offset, end: token.offset + original.length, text: CST.stringify(edited) };
  }
  // `key:` with nothing after it: no token to edit, so the value goes right after the colon.
  const text = CST.stringify(CST.createScalarToken(value, { indent: 0, inFlow, type, end: [] }));
  const at = target.range![0];
  return { start: at, end: at, text: ` ${text}` };
}

function nodeContext(doc: Document, target: Node): { inFlow: boolean; afterKey: boolean } {
  let context = { inFlow: false, afterKey: false };
  visit(doc, (_key, node, ancestors) => {
    if (node !== target) return undefined;
    const parent = ancestors[ancestors.length - 1];
    context = {
      inFlow: ancestors.some((a) => isCollection(a) && Boolean(a.flow)),
      afterKey: isPair(parent) && parent.value === target,
    };
    return visit.BREAK;
  });
  return context;
}

/** Whether `value` written plain reads back as that same string (YAML 1.2, and 1.1 as go-yaml reads it). */
function plainReadsAsString(value: string, inFlow: boolean): boolean {
  try {
    return (["1.2", "1.1"] as const).every((version) => {
      const read = inFlow ? parse(`[${value}]`, { version })?.[0] : parse(value, { version });
      return read === value;
    });
  } catch {
    return false;
  }
}


function realPath(repo: Repo, rel: string): string {
  return fs.realpathSync(`${repo.root}/${rel}`);
}

/**
 * Writes file changes, all or nothing: every file must still hold its `before` text, all new
 * contents are written beside their targets first, and only then renamed into place (and the
 * deletions done); a failure puts back what was already replaced.
 */
export function applyFileChanges(repoDir: string, changes: FileChange[]): void {
  const repo = new Repo(repoDir);
  const targets = changes.map((change) => {
    if (!repo.isFile(change.file)) {
      throw new GitopsInputError(`${change.file} is not a file in the repository`);
    }
    // Write where the file really is, not over a symlink to it.
    const real = realPath(repo, repo.normalize(change.file));
    if (fs.readFileSync(real, "utf8") !== change.before) {
      throw new GitopsInputError(`${change.file} changed since the plan was made; nothing was written, plan again`);
    }
    return { change, real, temp: `${real}.gitops-cluster-${process.pid}.tmp` };
  });
  const written: typeof targets = [];
  try {
    for (const target of targets) {
      if (target.change.after === null) continue;
      fs.writeFileSync(target.temp, target.change.after, { mode: fs.statSync(target.real).mode });
      written.push(target);
    }
  } catch (err) {
    for (const target of written) fs.rmSync(target.temp, { force: true });
    throw err;
  }
  const done: typeof targets = [];
  try {
    for (const target of targets) {
      if (target.change.after === null) fs.rmSync(target.real);
      else fs.renameSync(target.temp, target.real);
      done.push(target);
    }
  } catch (err) {
    for (const target of done) fs.writeFileSync(target.real, target.change.before);
    for (const target of targets) fs.rmSync(target.temp, { force: true });
    throw err;
  }
}

/** A unified diff of the changes, `a/` and `b/` prefixed like `git diff` (so `git apply` takes it). */
export function unifiedDiff(changes: FileChange[]): string {
  return changes
    .map((change) => change.after === null
      ? createTwoFilesPatch(`a/${change.file}`, "/dev/null", change.before, "", undefined, undefined, { context: 3 })
      : createTwoFilesPatch(`a/${change.file}`, `b/${change.file}`, change.before, change.after, undefined, undefined, { context: 3 }))
    .join("");
}
