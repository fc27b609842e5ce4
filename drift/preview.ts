/**
 * The document `pulumi preview --json` prints, and what it says about drift.
 *
 * The shape follows the engine's own types, not a guess:
 * - `PreviewDigest`, `PreviewStep`, `PropertyDiff`, `PreviewDiagnostic` in pulumi/pulumi
 *   `pkg/display/json.go` (fields `steps`, `diagnostics`, `changeSummary`, `duration`,
 *   `maybeCorrupt`; a step's `op`, `urn`, `provider`, `oldState`, `newState`, `diffReasons`,
 *   `replaceReasons`, `detailedDiff`; a diagnostic's `urn`, `prefix`, `message`, `severity`);
 * - `ShowPreviewDigest` in `pkg/backend/display/json.go`, which fills them and replaces every
 *   secret in `oldState`/`newState` with the string "[secret]";
 * - `oldState`/`newState` are `apitype.ResourceV3` (`urn`, `type`, `inputs`, `outputs`, `protect`...);
 * - a `detailedDiff` kind is one of `DiffKind.String()` in `sdk/go/common/resource/plugin/provider.go`:
 *   add, add-replace, delete, delete-replace, update, update-replace; its keys are property paths
 *   (`scalingConfig.desiredSize`, `tags["kubernetes.io/role/elb"]`);
 * - a diagnostic severity is one of `diag.Severity`: debug, info, info#err, warning, error.
 */
import { maskSecrets, SECRET, containsSecret } from "./secrets";
import { valueAtPath } from "./property-path";

export interface ResourceState {
  urn?: string;
  type?: string;
  id?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  protect?: boolean;
  parent?: string;
}

export interface PropertyDiff {
  kind: string;
  inputDiff?: boolean;
}

export interface PreviewStep {
  op: string;
  urn: string;
  provider?: string;
  oldState?: ResourceState;
  newState?: ResourceState;
  diffReasons?: string[];
  replaceReasons?: string[];
  detailedDiff?: Record<string, PropertyDiff> | null;
}

export interface PreviewDiagnostic {
  urn?: string;
  prefix?: string;
  message?: string;
  severity?: string;
}

export interface PreviewDigest {
  config?: Record<string, string>;
  steps?: PreviewStep[];
  diagnostics?: PreviewDiagnostic[];
  duration?: number;
  changeSummary?: Record<string, number>;
  maybeCorrupt?: boolean;
}

/** One property that differs; values are masked ("[secret]") and unknowns are marked. */
export interface PropertyChange {
  path: string;
  /** The engine's DiffKind: add, delete, update, and their -replace forms. */
  kind: string;
  old?: unknown;
  new?: unknown;
  /** True when either side is a secret: both values are then "[secret]". */
  secret: boolean;
}

export interface DriftedResource {
  /** The step operation: create, update, replace, delete, refresh... */
  op: string;
  urn: string;
  type: string;
  name: string;
  properties: PropertyChange[];
}

/** Operations that change nothing. Everything else the engine proposes is drift. */
const NO_CHANGE_OPS = new Set(["same", "read", "refresh"]);

/**
 * A replacement is reported by the engine as up to three steps on one URN (create-replacement,
 * replace, delete-replaced); the table shows it once, under the name people know.
 */
const REPLACEMENT_OPS = new Set(["replace", "create-replacement", "delete-replaced"]);

/** Placeholder the engine serialises for values only known after apply (plugin.UnknownStringValue). */
const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
export const UNKNOWN_DISPLAY = "(known after apply)";

export class PreviewParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PreviewParseError";
  }
}

/**
 * Parses the stdout of `pulumi preview --json`. Throws PreviewParseError with a message a person
 * can act on when the text is not that document (empty, truncated, or another command's output).
 */
export function parsePreviewJson(text: string): PreviewDigest {
  const trimmed = text.trim();
  if (trimmed === "") throw new PreviewParseError("pulumi preview printed no JSON on stdout");
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch (err) {
    throw new PreviewParseError(`pulumi preview printed output that is not JSON (${(err as Error).message})`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new PreviewParseError("pulumi preview JSON is not an object with steps/changeSummary");
  }
  const digest = parsed as PreviewDigest;
  if (digest.steps !== undefined && !Array.isArray(digest.steps)) {
    throw new PreviewParseError("pulumi preview JSON has a `steps` field that is not a list");
  }
  for (const [index, step] of (digest.steps ?? []).entries()) {
    if (typeof step?.op !== "string" || typeof step?.urn !== "string") {
      throw new PreviewParseError(`pulumi preview JSON steps[${index}] lacks a string op or urn`);
    }
  }
  return digest;
}

/** The type and name a URN carries: urn:pulumi:<stack>::<project>::<parent$...$type>::<name>. */
export function splitUrn(urn: string): { type: string; name: string } {
  const parts = urn.split("::");
  if (parts.length < 4) return { type: "", name: urn };
  const qualifiedType = parts[2];
  return { type: qualifiedType.slice(qualifiedType.lastIndexOf("$") + 1), name: parts.slice(3).join("::") };
}

function displayValue(value: unknown): unknown {
  if (value === UNKNOWN_VALUE) return UNKNOWN_DISPLAY;
  return maskSecrets(value);
}

/**
 * Old and new value of one property. With `inputDiff` the engine compared old inputs with new
 * inputs; otherwise old state (the refreshed outputs, i.e. what is really in the cloud) with new
 * inputs, so the old side is read from the outputs first.
 */
function propertyChange(step: PreviewStep, path: string, diff: PropertyDiff): PropertyChange {
  const oldSources = diff.inputDiff
    ? [step.oldState?.inputs, step.oldState?.outputs]
    : [step.oldState?.outputs, step.oldState?.inputs];
  const newSources = step.op === "refresh"
    ? [step.newState?.outputs, step.newState?.inputs]
    : [step.newState?.inputs, step.newState?.outputs];
  const baseKind = diff.kind.replace(/-replace$/, "");
  const oldValue = baseKind === "add" ? undefined : firstDefined(oldSources, path);
  const newValue = baseKind === "delete" ? undefined : firstDefined(newSources, path);
  const secret = containsSecret(oldValue) || containsSecret(newValue);
  const change: PropertyChange = { path, kind: diff.kind, secret };
  if (oldValue !== undefined) change.old = secret ? SECRET : displayValue(oldValue);
  if (newValue !== undefined) change.new = secret ? SECRET : displayValue(newValue);
  return change;
}

function firstDefined(sources: (Record<string, unknown> | undefined)[], path: string): unknown {
  for (const source of sources) {
    if (!source) continue;
    const value = valueAtPath(source, path);
    if (value !== undefined) return value;
  }
  return undefined;
}

/**
 * Properties of a step: its detailed diff when the provider gave one (`detailed`), else the bare
 * top-level keys of diffReasons/replaceReasons.
 */
function stepProperties(step: PreviewStep): { properties: PropertyChange[]; detailed: boolean } {
  const detailedDiff = step.detailedDiff ?? {};
  const paths = Object.keys(detailedDiff);
  if (paths.length > 0) {
    return { properties: paths.sort().map((path) => propertyChange(step, path, detailedDiff[path])), detailed: true };
  }
  const keys = step.diffReasons?.length ? step.diffReasons : (step.replaceReasons ?? []);
  return { properties: [...keys].sort().map((key) => propertyChange(step, key, { kind: "update" })), detailed: false };
}

/**
 * The resources a preview would change. A `refresh` step counts only when it carries a
 * difference: the cloud moved in a property the program does not set, so no update follows it.
 */
export function driftedResources(digest: PreviewDigest): DriftedResource[] {
  const byUrn = new Map<string, DriftedResource & { detailed: boolean }>();
  for (const step of digest.steps ?? []) {
    if (NO_CHANGE_OPS.has(step.op)) {
      const refreshDiff = step.op === "refresh" && (Object.keys(step.detailedDiff ?? {}).length > 0 || (step.diffReasons?.length ?? 0) > 0);
      if (!refreshDiff) continue;
    }
    const op = REPLACEMENT_OPS.has(step.op) ? "replace" : step.op;
    const { type: urnType, name } = splitUrn(step.urn);
    const type = step.newState?.type ?? step.oldState?.type ?? urnType;
    const { properties, detailed } = stepProperties(step);
    const seen = byUrn.get(step.urn);
    if (!seen) {
      byUrn.set(step.urn, { op, urn: step.urn, type, name, properties, detailed });
    } else if (!seen.detailed && (detailed || seen.properties.length === 0)) {
      // Of the steps of one replacement, the `replace` step carries the detailed diff.
      Object.assign(seen, { properties, detailed });
    }
  }
  return [...byUrn.values()].map(({ detailed: _detailed, ...resource }) => resource);
}

/** Operation counts without the no-change ones, from `changeSummary` (the engine's own count). */
export function changeCounts(digest: PreviewDigest): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const [op, count] of Object.entries(digest.changeSummary ?? {})) {
    if (typeof count === "number") counts[op] = count;
  }
  return counts;
}

export function hasChanges(digest: PreviewDigest): boolean {
  const countedChanges = Object.entries(changeCounts(digest)).some(([op, count]) => !NO_CHANGE_OPS.has(op) && count > 0);
  return countedChanges || driftedResources(digest).length > 0;
}

/** Error diagnostics, message text only (the engine already strips colour codes). */
export function errorMessages(digest: PreviewDigest): string[] {
  return (digest.diagnostics ?? [])
    .filter((d) => d.severity === "error")
    .map((d) => `${d.prefix ?? ""}${d.message ?? ""}`.trim())
    .filter((m) => m !== "");
}
