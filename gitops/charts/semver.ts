/**
 * Versions and constraints as Flux resolves chart versions: Masterminds/semver v3 semantics
 * (constraints.go and version.go at commit 71f2b39, the v3 line source-controller v1.9 uses).
 * They differ from node-semver: a comma or a space is AND, `||` is OR, `1.2` in a constraint is
 * `~1.2`, `^0.0.3` pins the patch, and a prerelease matches only when its AND group names one.
 */

export interface Version {
  major: number;
  minor: number;
  patch: number;
  /** The prerelease without its dash, "" for a release. */
  pre: string;
  /** As written (the tag or index entry), so the chosen one is reported as its source spells it. */
  original: string;
}

const NUM = "(0|[1-9]\\d*)";
const PRE_PART = "(?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*)";
const BUILD = "(?:\\+[0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*)?";
/** StrictNewVersion (version.go): three numbers; fluxcd/pkg version.ParseVersion also allows a leading "v". */
const STRICT = new RegExp(`^v?${NUM}\\.${NUM}\\.${NUM}(?:-(${PRE_PART}(?:\\.${PRE_PART})*))?${BUILD}$`);

/**
 * A version as source-controller accepts one from an index or a tag list: fluxcd/pkg
 * `version.ParseVersion` (StrictNewVersion with an optional "v"). Anything else is skipped, as there.
 */
export function parseVersion(text: string): Version | undefined {
  if (text.length > 256) return undefined;
  const m = STRICT.exec(text);
  if (m === null) return undefined;
  const nums = [m[1], m[2], m[3]].map(Number);
  if (!nums.every(Number.isSafeInteger)) return undefined;
  return { major: nums[0], minor: nums[1], patch: nums[2], pre: m[4] ?? "", original: text };
}

function compareSegment(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** comparePrePart (version.go): numeric parts compare as numbers and sort before alphanumeric ones. */
function comparePrePart(s: string, o: string): number {
  if (s === o) return 0;
  if (s === "") return o !== "" ? -1 : 1;
  if (o === "") return 1;
  const sNum = /^\d+$/.test(s);
  const oNum = /^\d+$/.test(o);
  if (sNum && oNum) return compareSegment(Number(s), Number(o));
  if (!sNum && !oNum) return s > o ? 1 : -1;
  return sNum ? -1 : 1;
}

function comparePrerelease(a: string, b: string): number {
  const as = a.split(".");
  const bs = b.split(".");
  for (let i = 0; i < Math.max(as.length, bs.length); i++) {
    const d = comparePrePart(as[i] ?? "", bs[i] ?? "");
    if (d !== 0) return d;
  }
  return 0;
}

/** Version.Compare: build metadata is ignored; a release sorts after its prereleases. */
export function compareVersions(a: Version, b: Version): number {
  const d = compareSegment(a.major, b.major) || compareSegment(a.minor, b.minor) || compareSegment(a.patch, b.patch);
  if (d !== 0) return d;
  if (a.pre === "" && b.pre === "") return 0;
  if (a.pre === "") return 1;
  if (b.pre === "") return -1;
  return comparePrerelease(a.pre, b.pre);
}

type Op = "" | "=" | "!=" | ">" | "<" | ">=" | "=>" | "<=" | "=<" | "~" | "~>" | "^";

interface Constraint {
  op: Op;
  con: Version;
  /** `1` or `1.x`: the minor (and patch) are wildcards. */
  minorDirty: boolean;
  /** `1.2` or `1.2.x`: the patch is a wildcard. */
  patchDirty: boolean;
  /** Any part is a wildcard (`*`, `x`, or left out). */
  dirty: boolean;
}

/** Parsed constraints: OR of AND groups, and whether each group names a prerelease. */
export interface Constraints {
  groups: Constraint[][];
  containsPre: boolean[];
  text: string;
}

const CV = "v?([0-9|x|X|\\*]+)(\\.[0-9|x|X|\\*]+)?(\\.[0-9|x|X|\\*]+)?(-([0-9A-Za-z\\-]+(\\.[0-9A-Za-z\\-]+)*))?(\\+([0-9A-Za-z\\-]+(\\.[0-9A-Za-z\\-]+)*))?";
const OPS = "=||!=|>|<|>=|=>|<=|=<|~|~>|\\^";
const CONSTRAINT = new RegExp(`^\\s*(${OPS})\\s*(${CV})\\s*$`);
const RANGE = new RegExp(`\\s*(${CV})\\s+-\\s+(${CV})\\s*`, "g");
const FIND = new RegExp(`(${OPS})\\s*(${CV})`, "g");
const VALID = new RegExp(`^(\\s*(${OPS})\\s*(${CV})\\s*)((?:\\s+|,\\s*)(${OPS})\\s*(${CV})\\s*)*$`);

const isX = (s: string) => s === "x" || s === "X" || s === "*";

/** A constraint string longer than this is refused: it is a version range, not a document. */
const MAX_CONSTRAINT = 1024;

/**
 * NewConstraint (constraints.go): `a - b` becomes `>= a, <= b`; `||` splits OR groups; within a
 * group, constraints are found by pattern (comma or space between them is AND). Returns an error
 * message for what Masterminds refuses.
 */
export function parseConstraints(text: string): Constraints | string {
  if (text.length > MAX_CONSTRAINT) return `version constraint longer than ${MAX_CONSTRAINT} characters`;
  const rewritten = text.replace(RANGE, (...m: string[]) => `>= ${m[1]}, <= ${m[11]} `);
  const groups: Constraint[][] = [];
  const containsPre: boolean[] = [];
  for (const part of rewritten.split("||")) {
    if (!VALID.test(part)) return `improper constraint: "${part}"`;
    const found = part.match(FIND) ?? [part];
    const group: Constraint[] = [];
    for (const s of found) {
      const c = parseConstraint(s);
      if (typeof c === "string") return c;
      group.push(c);
    }
    groups.push(group);
    containsPre.push(group.some((c) => c.con.pre !== ""));
  }
  return { groups, containsPre, text };
}

function parseConstraint(text: string): Constraint | string {
  if (text.length === 0) return { op: "", con: { major: 0, minor: 0, patch: 0, pre: "", original: "" }, minorDirty: false, patchDirty: false, dirty: true };
  const m = CONSTRAINT.exec(text);
  if (m === null) return `improper constraint: "${text}"`;
  const op = m[1] as Op;
  const [major, minorPart, patchPart, preWithDash] = [m[3], m[4], m[5], m[6]];
  const minor = minorPart === undefined ? "" : minorPart.slice(1);
  const patch = patchPart === undefined ? "" : patchPart.slice(1);
  let dirty = false;
  let minorDirty = false;
  let patchDirty = false;
  let numbers: [string, string, string];
  if (isX(major) || major === "") {
    dirty = true;
    numbers = ["0", "0", "0"];
  } else if (isX(minor) || minor === "") {
    dirty = minorDirty = true;
    numbers = [major, "0", "0"];
  } else if (isX(patch) || patch === "") {
    dirty = patchDirty = true;
    numbers = [major, minor, "0"];
  } else {
    numbers = [major, minor, patch];
  }
  // NewVersion of the rebuilt string: wildcard characters left inside (e.g. "1.x2") do not parse.
  if (!numbers.every((n) => /^\d+$/.test(n))) return "constraint parser error";
  const pre = preWithDash === undefined ? "" : preWithDash.slice(1);
  const values = numbers.map(Number);
  if (!values.every(Number.isSafeInteger)) return "constraint parser error";
  return { op, con: { major: values[0], minor: values[1], patch: values[2], pre, original: m[2] }, minorDirty, patchDirty, dirty };
}

const lessThan = (a: Version, b: Version) => compareVersions(a, b) < 0;

function checkOne(v: Version, c: Constraint, includePre: boolean): boolean {
  if (v.pre !== "" && !includePre) return false;
  switch (c.op) {
    case "":
    case "=":
      return c.dirty ? tilde(v, c) : compareVersions(v, c.con) === 0;
    case "!=":
      return notEqual(v, c);
    case ">":
      if (!c.dirty) return compareVersions(v, c.con) > 0;
      if (v.major !== c.con.major) return v.major > c.con.major;
      if (c.minorDirty) return false;
      if (c.patchDirty) return v.minor > c.con.minor;
      return compareVersions(v, c.con) > 0;
    case "<":
      return compareVersions(v, c.con) < 0;
    case ">=":
    case "=>":
      return compareVersions(v, c.con) >= 0;
    case "<=":
    case "=<":
      if (!c.dirty) return compareVersions(v, c.con) <= 0;
      if (v.major > c.con.major) return false;
      return !(v.major === c.con.major && v.minor > c.con.minor && !c.minorDirty);
    case "~":
    case "~>":
      return tilde(v, c);
    case "^":
      return caret(v, c);
  }
}

function notEqual(v: Version, c: Constraint): boolean {
  if (c.dirty) {
    if (c.con.major !== v.major) return true;
    if (c.con.minor !== v.minor && !c.minorDirty) return true;
    if (c.minorDirty) return false;
    if (c.con.patch !== v.patch && !c.patchDirty) return true;
    if (c.patchDirty) {
      if (v.pre !== "" || c.con.pre !== "") return comparePrerelease(v.pre, c.con.pre) !== 0;
      return false;
    }
  }
  return compareVersions(v, c.con) !== 0;
}

function tilde(v: Version, c: Constraint): boolean {
  if (lessThan(v, c.con)) return false;
  if (c.con.major === 0 && c.con.minor === 0 && c.con.patch === 0 && !c.minorDirty && !c.patchDirty) return true;
  if (v.major !== c.con.major) return false;
  return !(v.minor !== c.con.minor && !c.minorDirty);
}

function caret(v: Version, c: Constraint): boolean {
  if (lessThan(v, c.con)) return false;
  if (c.con.major > 0 || c.minorDirty) return v.major === c.con.major;
  if (v.major > 0) return false;
  if (c.con.minor > 0 || c.patchDirty) return v.minor === c.con.minor;
  if (v.minor > 0) return false;
  return c.con.patch === v.patch;
}

/** Constraints.Check: some OR group whose every constraint holds; prereleases only where the group names one. */
export function satisfies(v: Version, cs: Constraints, includePrerelease = false): boolean {
  return cs.groups.some((group, i) => group.every((c) => checkOne(v, c, includePrerelease || cs.containsPre[i])));
}

/**
 * The version Flux picks among `available` for `wanted` (source-controller
 * internal/helm/repository/chart_repository.go getChartVersion and oci_chart_repository.go
 * getLastMatchingVersionOrConstraint, v1.9): an exact string match first; an empty version or
 * `*` is the latest stable release; otherwise the highest version the constraint accepts.
 * Versions that are not strict semver are skipped. `wanted` that is not a constraint is an error.
 */
export function resolveVersion(available: readonly string[], wanted: string): { version: string } | { error: string } {
  if (wanted !== "") {
    const exact = available.find((a) => a === wanted);
    if (exact !== undefined) return { version: exact };
  }
  const constraints = parseConstraints(wanted === "" ? "*" : wanted);
  if (typeof constraints === "string") return { error: `version "${wanted}": ${constraints}` };
  let best: Version | undefined;
  for (const text of available) {
    const v = parseVersion(text);
    if (v === undefined || !satisfies(v, constraints)) continue;
    // Equal versions (differing only in build metadata) keep the first seen: index entries are newest first.
    if (best === undefined || compareVersions(v, best) > 0) best = v;
  }
  if (best === undefined) return { error: `no version matching "${wanted === "" ? "*" : wanted}" among ${available.length} published` };
  return { version: best.original };
}
