/**
 * Editing YAML files in place: a change is spliced into the original text at the source range
 * of the parsed node, so every byte it does not change (comments, key order, quoting, blank
 * lines) survives; `Document.toString()` is not used for output, it re-renders the whole file.
 * Shared by the node-role injection (gitops/edit/overlays.ts) and `migrate` (gitops/edit/migrate.ts).
 * Writing is all or nothing.
 */
import { createTwoFilesPatch } from "diff";
import { CST, Document, Node, Scalar, isCollection, isPair, parse, visit } from "yaml";
import { applyWriteSet } from "./write-set";

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
export function scalarReplacement(doc: Document, target: Scalar, value: string, source?: string): { start: number; end: number; text: string } {
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
  // `key:` with nothing after it: no token to edit, so the value goes where the empty value
  // starts: right after the colon, or, in `key:  # comment`, before the comment, which needs a
  // space after the value to stay a comment.
  const text = CST.stringify(CST.createScalarToken(value, { indent: 0, inFlow, type, end: [] }));
  const at = target.range![0];
  const lead = source !== undefined && at > 0 && (source[at - 1] === " " || source[at - 1] === "\t") ? "" : " ";
  const trail = source !== undefined && source[at] === "#" ? " " : "";
  return { start: at, end: at, text: `${lead}${text}${trail}` };
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


/**
 * Writes file changes (deletions included) all or nothing, surviving a kill: gitops/write-set
 * checks every file still holds its `before` text and is writable, journals, stages and renames.
 */
export function applyFileChanges(repoDir: string, changes: FileChange[]): void {
  applyWriteSet(repoDir, changes.map((change) => ({
    file: change.file,
    before: Buffer.from(change.before, "utf8"),
    after: change.after === null ? null : Buffer.from(change.after, "utf8"),
  })));
}

/** A unified diff of the changes, `a/` and `b/` prefixed like `git diff` (so `git apply` takes it). */
export function unifiedDiff(changes: FileChange[]): string {
  return changes
    .map((change) => change.after === null
      ? createTwoFilesPatch(`a/${change.file}`, "/dev/null", change.before, "", undefined, undefined, { context: 3 })
      : createTwoFilesPatch(`a/${change.file}`, `b/${change.file}`, change.before, change.after, undefined, undefined, { context: 3 }))
    .join("");
}
