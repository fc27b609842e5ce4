/**
 * Node role injection: step 3 of the seed's "Deploying a New Cluster" ("update the iam_role key
 * of each namespace manifest in the kustomized overlay folders"), done by a program.
 *
 * The rewrite reads every YAML file under an environment's overlay directory with the `yaml`
 * Document API, finds the key in each Namespace manifest (annotation, label or top-level field),
 * and splices the new value into the original text at the parsed scalar's own source token, so
 * every byte it does not change (comments, key order, quoting, flow maps, blank lines) survives.
 * `Document.toString()` is not used for output: it re-renders flow maps and comment spacing.
 * Every rewritten file is parsed again and must mean the original with only those values changed.
 *
 * A value that is an alias is followed to its anchor, and the anchor is edited: every alias of
 * it changes too, as its author meant; aliases that would need different values are an error.
 * Labels always take the role name, since a label value (<= 63 of [A-Za-z0-9._-]) cannot hold an ARN.
 *
 * Pure TypeScript: no Pulumi import. `components/` commits the plan's files; `cli/inject.ts`
 * prints, writes or checks them; the drift command reuses `checkOverlays`.
 */
import * as path from "path";
import { isDeepStrictEqual } from "util";
import {
  Document,
  Node,
  Scalar,
  YAMLMap,
  isAlias,
  isMap,
  isScalar,
  isSeq,
} from "yaml";
import { GitopsInputError } from "../read/errors";
import { Repo } from "../read/repo";
import { applyFileChanges, scalarReplacement, unifiedDiff } from "./splice";
import { utf8Text } from "./utf8";
import { documentData, parseCheckedDocuments } from "../read/yaml";

export { utf8Text } from "./utf8";

/** An IAM role as the overlays may spell it. */
export interface RoleRef {
  arn: string;
  name: string;
}

/** How a value is written: keep the file's form, or force the ARN or the bare role name. */
export type ValueForm = "auto" | "arn" | "name";

/**
 * `literal` writes the role itself (the stack's `commit` mode); `placeholder` writes
 * `${NODE_ROLE_ARN}` / `${NODE_ROLE_NAME}` for Flux to substitute from `cluster-vars`
 * (`gitops-cluster inject --migrate`, the stack's `substitute` mode).
 */
export type OverlayMode = "literal" | "placeholder";

/** The `cluster-vars` variables a placeholder overlay refers to, per value form. */
export { NODE_ROLE_VARIABLES } from "../flux/cluster-vars";
import { NODE_ROLE_VARIABLES } from "../flux/cluster-vars";

interface OverlayOptionsBase {
  /** The key that holds the role, wherever it sits in a Namespace manifest. Default `iam_role`. */
  key?: string;
  /**
   * Default `auto`: each value keeps the form it has (ARN or role name; an empty value gets the
   * name, as in the seed's example). Labels always get the name: a label value cannot hold an ARN.
   */
  valueForm?: ValueForm;
  /**
   * Namespace -> role of the node group it runs on; unmapped namespaces get `role`, and so do
   * namespaces mapped to `role` itself. A namespace mapped to another role carries it as a
   * literal value in both modes, and a `${NODE_ROLE_...}` placeholder there is replaced by it:
   * `cluster-vars` carries only the default role's variables.
   */
  namespaceRoles?: Record<string, RoleRef>;
}

export type OverlayOptions = OverlayOptionsBase &
  (
    | { mode?: "literal"; /** The default node group's role. */ role: RoleRef }
    | { mode: "placeholder"; /** Not needed: placeholders name no role. */ role?: RoleRef }
  );

export interface OverlayEdit {
  namespace: string;
  /** 1-based line of the value that changes. */
  line: number;
  from: string;
  to: string;
}

export interface OverlayFileChange {
  /** Repo-relative POSIX path. */
  file: string;
  before: string;
  after: string;
  edits: OverlayEdit[];
}

export interface OverlayPlan {
  /** Only the files that change, in walk order. */
  files: OverlayFileChange[];
  /** Namespace manifests that do not carry the key at all (line: where the manifest starts). */
  missingKey: { file: string; line: number; namespace: string }[];
  /** Values that are `${VAR}` substitutions as read (literal mode leaves them to Flux). */
  placeholders: { file: string; line: number; namespace: string; variable: string }[];
}

/** One value that differs from what the overlay should carry; empty list = in sync. */
export interface OverlayDifference {
  file: string;
  line: number;
  namespace: string;
  have: string;
  want: string;
}

// arn:<partition>:iam::<account>:role/<path/>name. Role names: up to 64 of [\w+=,.@-];
// paths: printable ASCII between slashes (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html).
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/(?:[\x21-\x7e]+\/)?([\w+=,.@-]{1,64})$/;

/** The role an ARN names; the name is the last path segment (`role/path/to/Name` -> `Name`). */
export function roleRefFromArn(arn: string): RoleRef {
  const match = ROLE_ARN.exec(arn);
  if (!match) {
    throw new GitopsInputError(
      `${JSON.stringify(arn)} is not an IAM role ARN; expected arn:<partition>:iam::<12-digit account>:role/[<path>/]<name>`,
    );
  }
  return { arn, name: match[1] };
}

/** What rewriting `overlayDir` (repo-relative, inside the repository) would change. Writes nothing. */
export function planOverlayRewrite(repoDir: string, overlayDir: string, options: OverlayOptions): OverlayPlan {
  const settings = resolveOptions(options);
  const repo = new Repo(repoDir);
  const plan: OverlayPlan = { files: [], missingKey: [], placeholders: [] };
  for (const file of overlayFiles(repo, overlayDir)) {
    const before = utf8Text(repo.readBytes(file), file);
    const scan = scanFile(file, before, settings.key);
    plan.missingKey.push(...scan.missingKey);
    for (const occ of scan.occurrences) {
      const current = classifyValue(occ.have);
      if (current.form === "placeholder") {
        plan.placeholders.push({ file, line: occ.line, namespace: occ.namespace, variable: current.variable });
      }
    }
    const change = rewriteFile(file, before, scan, settings);
    if (change) plan.files.push(change);
  }
  return plan;
}

/** An overlay file that carries the key, with the whole content it should have. */
export interface DesiredOverlayFile {
  /** Repo-relative POSIX path. */
  file: string;
  /** The rewritten text, or the file's own text when it already carries the right values. */
  content: string;
}

/**
 * Every file under `overlayDir` with at least one Namespace carrying the key, and the content it
 * should have. Unlike `planOverlayRewrite`'s `files`, this does not depend on whether the
 * checkout already holds the change: a stale and an up-to-date checkout give the same list and
 * the same contents (what commit mode declares on every run). Writes nothing.
 */
export function desiredOverlayFiles(repoDir: string, overlayDir: string, options: OverlayOptions): DesiredOverlayFile[] {
  const settings = resolveOptions(options);
  const repo = new Repo(repoDir);
  const desired: DesiredOverlayFile[] = [];
  for (const file of overlayFiles(repo, overlayDir)) {
    const before = repo.readText(file);
    const scan = scanFile(file, before, settings.key);
    if (scan.occurrences.length === 0) continue;
    const change = rewriteFile(file, before, scan, settings);
    desired.push({ file, content: change ? change.after : before });
  }
  return desired;
}

/** The values under `overlayDir` that differ from the role (or, in placeholder mode, from the placeholder). */
export function checkOverlays(repoDir: string, overlayDir: string, options: OverlayOptions): OverlayDifference[] {
  return planDifferences(planOverlayRewrite(repoDir, overlayDir, options));
}

/** A plan's edits as differences: what `checkOverlays` reports, for a caller that already has the plan. */
export function planDifferences(plan: OverlayPlan): OverlayDifference[] {
  return plan.files.flatMap((change) =>
    change.edits.map((edit) => ({ file: change.file, line: edit.line, namespace: edit.namespace, have: edit.from, want: edit.to })),
  );
}

/**
 * Writes a plan's files, all or nothing, through gitops/write-set: every file must still hold the
 * plan's `before` bytes and be writable, or nothing is written; a kill mid-way is finished by the
 * next run's `recoverWriteSet`.
 */
export function applyOverlayPlan(repoDir: string, plan: OverlayPlan): void {
  applyFileChanges(repoDir, plan.files);
}

/** A unified diff of the plan, `a/` and `b/` prefixed like `git diff` (so `git apply` takes it). */
export function renderUnifiedDiff(plan: OverlayPlan): string {
  return unifiedDiff(plan.files);
}

// ---------------------------------------------------------------------------------------------

interface Settings {
  key: string;
  valueForm: ValueForm;
  mode: OverlayMode;
  role?: RoleRef;
  namespaceRoles: Record<string, RoleRef>;
}

function resolveOptions(options: OverlayOptions): Settings {
  const mode = options.mode ?? "literal";
  if (mode === "literal" && !options.role) {
    throw new GitopsInputError("a role is required to write literal values (only placeholder mode needs none)");
  }
  const key = options.key ?? "iam_role";
  if (key === "") throw new GitopsInputError("the overlay key must not be empty");
  return { key, valueForm: options.valueForm ?? "auto", mode, role: options.role, namespaceRoles: options.namespaceRoles ?? {} };
}

/** Where a repo-relative path really is on disk (Repo has already refused locations outside the root). */
function realPath(repo: Repo, rel: string): string {
  return repo.realPath(rel);
}

/** Every .yaml/.yml file under `overlayDir`, refusing any whose real location leaves it. */
function overlayFiles(repo: Repo, overlayDir: string): string[] {
  const dir = repo.normalize(overlayDir);
  if (!repo.isDirectory(dir)) {
    throw new GitopsInputError(`overlay directory ${dir || "."} does not exist in the repository`);
  }
  // Repo keeps reads inside the repository; this keeps them inside the overlay, so a symlink
  // in overlays/development can never make the rewrite edit overlays/production.
  const realDir = realPath(repo, dir);
  // A symlink inside the overlay may reach a directory or file twice (or loop): visit each once.
  const seen = new Set<string>();
  const firstVisit = (rel: string): boolean => {
    const real = realPath(repo, rel);
    if (real !== realDir && !real.startsWith(realDir + path.sep)) {
      throw new GitopsInputError(`${rel} is a symlink that resolves outside the overlay directory ${dir || "."}`);
    }
    if (seen.has(real)) return false;
    seen.add(real);
    return true;
  };
  const files: string[] = [];
  const walk = (rel: string): void => {
    if (!firstVisit(rel)) return;
    for (const entry of repo.list(rel)) {
      if (entry.isDirectory) walk(entry.path);
      else if (/\.ya?ml$/.test(entry.name) && firstVisit(entry.path)) files.push(entry.path);
    }
  };
  walk(dir);
  return files;
}

type Placement = "annotation" | "label" | "field";

/** One place the key sits in a Namespace manifest. */
interface Occurrence {
  namespace: string;
  placement: Placement;
  /** The scalar holding the value: the key's own, or the anchored one an alias points to. */
  target: Scalar;
  doc: Document;
  line: number;
  have: string;
}

interface FileScan {
  docs: Document[];
  occurrences: Occurrence[];
  missingKey: OverlayPlan["missingKey"];
}

function scanFile(file: string, text: string, key: string): FileScan {
  // Parse errors, undefined or self-containing aliases and deep nesting are refused with file:line.
  const { docs, lineCounter } = parseCheckedDocuments(text, file, { keepSourceTokens: true });
  const list: Document[] = docs;
  const lineOf = (node: Node): number => lineCounter.linePos(node.range?.[0] ?? 0).line;
  const occurrences: Occurrence[] = [];
  const missingKey: FileScan["missingKey"] = [];
  for (const { doc, root } of namespaceManifests(list)) {
    const metadata = root.get("metadata", true);
    const namespace = isMap(metadata) ? scalarText(metadata.get("name", true)) : undefined;
    if (!namespace) {
      throw new GitopsInputError("Namespace manifest without metadata.name; expected the namespace's name", file, lineOf(root));
    }
    const places: [Placement, unknown][] = [
      ["field", root],
      ["annotation", isMap(metadata) ? metadata.get("annotations", true) : undefined],
      ["label", isMap(metadata) ? metadata.get("labels", true) : undefined],
    ];
    const before = occurrences.length;
    for (const [placement, map] of places) {
      if (!isMap(map)) continue;
      const pair = map.items.find((p) => isScalar(p.key) && p.key.value === key);
      if (!pair) continue;
      const target = valueScalar(doc, pair.value, () => {
        const where = placement === "field" ? key : `metadata.${placement}s.${key}`;
        return new GitopsInputError(
          `${where} of namespace ${namespace} must be a string (the node role ARN or name)`,
          file,
          lineOf(isScalar(pair.key) ? pair.key : map),
        );
      });
      occurrences.push({ namespace, placement, target, doc, line: lineOf(target), have: scalarText(target) ?? "" });
    }
    if (occurrences.length === before) missingKey.push({ file, line: lineOf(root), namespace });
  }
  return { docs: list, occurrences, missingKey };
}

/** The Namespace manifests of a stream: whole documents, and the items of a `*List` (kustomize expands those). */
function* namespaceManifests(docs: Document[]): Generator<{ doc: Document; root: YAMLMap }> {
  const isNamespace = (node: unknown): node is YAMLMap => isMap(node) && scalarText(node.get("kind", true)) === "Namespace";
  for (const doc of docs) {
    const root = doc.contents;
    if (isNamespace(root)) {
      yield { doc, root };
    } else if (isMap(root) && scalarText(root.get("kind", true))?.endsWith("List")) {
      const items = root.get("items", true);
      for (const item of isSeq(items) ? items.items : []) if (isNamespace(item)) yield { doc, root: item };
    }
  }
}

/** The scalar a key's value is, following an alias to its anchor (which the rewrite then edits). */
function valueScalar(doc: Document, value: unknown, notAString: () => Error): Scalar {
  const node = isAlias(value) ? value.resolve(doc) : value;
  if (!isScalar(node)) throw notAString();
  return node;
}

function scalarText(node: unknown): string | undefined {
  return isScalar(node) && node.value !== null && node.value !== undefined ? String(node.value) : undefined;
}

type ValueClass = { form: "arn" | "name" } | { form: "placeholder"; variable: string };

// Flux's post-build substitution replaces ${var} (with optional :=default and the like).
const SUBSTITUTION = /\$\{\s*([A-Za-z_][A-Za-z0-9_]*)/;

function classifyValue(value: string): ValueClass {
  const substitution = SUBSTITUTION.exec(value);
  if (substitution) return { form: "placeholder", variable: substitution[1] };
  return { form: value.startsWith("arn:") ? "arn" : "name" };
}

// https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set
function isValidLabelValue(value: string): boolean {
  return value.length <= 63 && /^(?:[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)?$/.test(value);
}

function isNodeRoleVariable(variable: string): boolean {
  return (Object.values(NODE_ROLE_VARIABLES) as string[]).includes(variable);
}

/**
 * The role a namespace is mapped to when it is not the default role: a namespace mapped to a
 * node group that shares the default role is treated like an unmapped one.
 */
function ownRole(settings: Settings, namespace: string): RoleRef | undefined {
  const mapped = Object.hasOwn(settings.namespaceRoles, namespace) ? settings.namespaceRoles[namespace] : undefined;
  return mapped && settings.role && mapped.arn === settings.role.arn ? undefined : mapped;
}

/** The value an occurrence should carry, or undefined to leave it as it is. */
function desiredValue(occ: Occurrence, file: string, settings: Settings): string | undefined {
  const current = classifyValue(occ.have);
  const mappedRole = ownRole(settings, occ.namespace);
  const formFrom = (kept: "arn" | "name"): "arn" | "name" =>
    occ.placement === "label" ? "name" : settings.valueForm === "auto" ? kept : settings.valueForm;

  if (settings.mode === "placeholder" && !mappedRole) {
    if (current.form === "placeholder" && !isNodeRoleVariable(current.variable)) return undefined; // not ours
    const kept = current.form !== "placeholder" ? current.form : current.variable === NODE_ROLE_VARIABLES.arn ? "arn" : "name";
    return `\${${NODE_ROLE_VARIABLES[formFrom(kept)]}}`;
  }
  let kept: "arn" | "name";
  if (current.form !== "placeholder") kept = current.form;
  else if (mappedRole && isNodeRoleVariable(current.variable)) {
    // cluster-vars carries only the default role: Flux would give this namespace the wrong one.
    kept = current.variable === NODE_ROLE_VARIABLES.arn ? "arn" : "name";
  } else return undefined; // Flux substitutes it
  const role = mappedRole ?? (settings.role as RoleRef);
  if (formFrom(kept) === "arn") return role.arn;
  if (occ.placement === "label" && !isValidLabelValue(role.name)) {
    throw new GitopsInputError(
      `label ${settings.key} of namespace ${occ.namespace} cannot hold role name ${JSON.stringify(role.name)} ` +
        "(label values are at most 63 characters of [A-Za-z0-9._-]); move the key to metadata.annotations",
      file,
      occ.line,
    );
  }
  return role.name;
}

function rewriteFile(file: string, before: string, scan: FileScan, settings: Settings): OverlayFileChange | undefined {
  // Several keys may alias one anchored scalar: it is edited once, so all of them, including
  // those that already hold their value, must want the same.
  const wanted = new Map<Scalar, { occ: Occurrence; to: string }>();
  for (const occ of scan.occurrences) {
    const to = desiredValue(occ, file, settings) ?? occ.have;
    const other = wanted.get(occ.target);
    if (!other) {
      wanted.set(occ.target, { occ, to });
    } else if (other.to !== to) {
      throw new GitopsInputError(
        `namespace ${occ.namespace}: ${settings.key} values that share this anchor need different values ` +
          `(${JSON.stringify(other.to)} and ${JSON.stringify(to)}); give each its own value`,
        file,
        occ.line,
      );
    }
  }
  const changes = [...wanted.values()].filter(({ occ, to }) => to !== occ.have);
  if (changes.length === 0) return undefined;

  // Splice from the end so earlier offsets stay valid.
  const edits = changes.sort((a, b) => b.occ.target.range![0] - a.occ.target.range![0]);
  let after = before;
  for (const { occ, to } of edits) {
    const { start, end, text } = scalarReplacement(occ.doc, occ.target, to, before);
    after = after.slice(0, start) + text + after.slice(end);
  }
  assertOnlyValuesChanged(file, after, scan, edits, settings.key);
  return {
    file,
    before,
    after,
    edits: edits.reverse().map(({ occ, to }) => ({ namespace: occ.namespace, line: occ.line, from: occ.have, to })),
  };
}

/**
 * Re-reads the rewritten text and demands that it means exactly the original documents with
 * only the intended values changed: a guard against a splice that would corrupt a file.
 */
function assertOnlyValuesChanged(
  file: string,
  after: string,
  scan: FileScan,
  edits: { occ: Occurrence; to: string }[],
  key: string,
): void {
  // The meaning wanted: the parsed originals with the edits applied (then restored).
  const originals = edits.map(({ occ }) => occ.target.value);
  edits.forEach(({ occ, to }) => (occ.target.value = to));
  const wanted = scan.docs.map((doc) => documentData(doc, file, 1));
  edits.forEach(({ occ }, i) => (occ.target.value = originals[i]));

  const reread = scanFile(file, after, key).docs.map((doc) => documentData(doc, file, 1));
  if (!isDeepStrictEqual(reread, wanted)) {
    // A file whose layout the splice cannot handle: refuse it by name rather than corrupt it.
    throw new GitopsInputError(`rewriting it would change more than its ${key} values, so it is left untouched: set them by hand`, file);
  }
}
