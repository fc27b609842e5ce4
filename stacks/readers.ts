/**
 * Typed field readers for stack settings: each reads one value at a config key path, records a
 * problem naming the full key, the value given and what is expected, and returns a usable value
 * either way, so one pass finds every problem. `SettingsError` carries them, one line each.
 */

export const NAMESPACE = "gitops-cluster";

/** One line per problem; `problems` holds the lines. */
export class SettingsError extends Error {
  /**
   * Makes `pulumi.RunError.isInstance` true without importing the SDK here: `pulumi up` then
   * prints the message alone, without a stack trace.
   */
  readonly __pulumiRunError = true;

  constructor(readonly problems: readonly string[]) {
    super(problems.join("\n"));
    this.name = "SettingsError";
  }
}

export interface Expectation {
  /** Completes "must be ..." and "expected ...", e.g. "an AWS region such as eu-west-1". */
  expected: string;
  test(value: string): boolean;
}

export function matching(pattern: RegExp, expected: string): Expectation {
  return { expected, test: (value) => pattern.test(value) };
}

export class Reader {
  readonly problems: string[] = [];
  private readonly invalid = new Set<string>();

  report(at: string, text: string): void {
    this.problems.push(`${NAMESPACE}:${at} ${text}`);
    this.invalid.add(at);
  }

  /** True when none of the keys had a problem: cross-field rules only compare valid values. */
  ok(...keys: string[]): boolean {
    return keys.every((key) => !this.invalid.has(key));
  }

  /** An object section read field by field; see Section. */
  section(at: string, value: unknown, keys: readonly string[]): Section {
    return new Section(this, at, this.object(at, value, keys));
  }

  /** An object section; unknown keys are reported with the nearest known one. Absent: {}. */
  object(at: string, value: unknown, keys: readonly string[]): Record<string, unknown> {
    if (value === undefined) return {};
    if (!isPlainObject(value)) {
      this.report(at, `must be an object with keys ${keys.join(", ")} (got ${show(value)})`);
      return {};
    }
    for (const [key, given] of Object.entries(value)) {
      if (!keys.includes(key)) this.report(join(at, key), unknownKeyText(at, key, given, keys));
    }
    return value;
  }

  str(at: string, value: unknown, fallback: string | undefined, expect?: Expectation): string {
    if (value === undefined) {
      if (fallback === undefined) this.report(at, `is required (expected ${expect?.expected ?? "a string"})`);
      return fallback ?? "";
    }
    if (typeof value !== "string") {
      // YAML turns an unquoted 1.30 into the number 1.3: say so rather than "expected a string".
      const hint = typeof value === "number" ? "; quote it in YAML" : "";
      this.report(at, `must be ${expect?.expected ?? "a string"} (got ${show(value)}${hint})`);
      return fallback ?? "";
    }
    if (expect ? !expect.test(value) : value.length === 0) {
      this.report(at, `must be ${expect?.expected ?? "a non-empty string"} (got ${show(value)})`);
    }
    return value;
  }

  /** Integers may come as numbers (YAML) or strings (`pulumi config set`). */
  int(at: string, value: unknown, fallback: number, bounds: { min?: number; max?: number } = {}): number {
    if (value === undefined) return fallback;
    const parsed = typeof value === "string" && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
    const { min = -Infinity, max = Infinity } = bounds;
    const range = max < Infinity ? ` from ${min} to ${max}` : min > -Infinity ? ` >= ${min}` : "";
    if (typeof parsed !== "number" || !Number.isInteger(parsed)) {
      this.report(at, `must be an integer${range} (got ${show(value)})`);
      return fallback;
    }
    if (parsed < min || parsed > max) this.report(at, `must be an integer${range} (got ${parsed})`);
    return parsed;
  }

  /** Booleans may come as booleans (YAML) or "true"/"false" (`pulumi config set`). */
  bool(at: string, value: unknown, fallback: boolean): boolean {
    if (value === undefined) return fallback;
    if (value === true || value === "true") return true;
    if (value === false || value === "false") return false;
    this.report(at, `must be true or false (got ${show(value)})`);
    return fallback;
  }

  /** A closed choice; with no fallback the key is required. */
  oneOf<T extends string>(at: string, value: unknown, choices: readonly T[], fallback: T | undefined): T {
    const expected = `one of ${choices.join(", ")}`;
    if (value === undefined) {
      if (fallback === undefined) this.report(at, `is required (expected ${expected})`);
      return fallback ?? choices[0];
    }
    if (typeof value === "string" && (choices as readonly string[]).includes(value)) return value as T;
    this.report(at, `must be ${expected} (got ${show(value)})`);
    return fallback ?? choices[0];
  }

  list<T>(at: string, value: unknown, fallback: T[], item: (at: string, value: unknown) => T): T[] {
    if (value === undefined) return fallback;
    if (!Array.isArray(value)) {
      this.report(at, `must be a list (got ${show(value)})`);
      return fallback;
    }
    return value.map((element, index) => item(`${at}[${index}]`, element));
  }

  /**
   * A string-to-string map (tags, labels, namespace mappings). Numbers and booleans are taken as
   * their text, since YAML reads `tier: 1` as a number where a label value is meant.
   */
  record(at: string, value: unknown, check: { key: Expectation; value: Expectation }): Record<string, string> {
    if (value === undefined) return {};
    if (!isPlainObject(value)) {
      this.report(at, `must be a map of ${check.key.expected} to ${check.value.expected} (got ${show(value)})`);
      return {};
    }
    const result: Record<string, string> = {};
    for (const [key, given] of Object.entries(value)) {
      const entryAt = join(at, key);
      if (!check.key.test(key)) {
        this.report(entryAt, `has a key that is not ${check.key.expected} (got ${show(key)})`);
      }
      const text = typeof given === "number" || typeof given === "boolean" ? String(given) : given;
      result[key] = this.str(entryAt, text, undefined, check.value);
    }
    return result;
  }
}

/**
 * The fields of one object section, each read by name at its full key path, e.g.
 * `cluster.str("name", fallback, EKS_CLUSTER_NAME)` reads `gitops-cluster:cluster.name`.
 */
export class Section {
  constructor(
    private readonly r: Reader,
    readonly at: string,
    private readonly values: Record<string, unknown>,
  ) {}

  key(name: string): string {
    return join(this.at, name);
  }

  has(name: string): boolean {
    return this.values[name] !== undefined;
  }

  /** The value as given, unchecked: for messages about it. */
  raw(name: string): unknown {
    return this.values[name];
  }

  str(name: string, fallback: string | undefined, expect?: Expectation): string {
    return this.r.str(this.key(name), this.values[name], fallback, expect);
  }

  int(name: string, fallback: number, bounds?: { min?: number; max?: number }): number {
    return this.r.int(this.key(name), this.values[name], fallback, bounds);
  }

  bool(name: string, fallback: boolean): boolean {
    return this.r.bool(this.key(name), this.values[name], fallback);
  }

  oneOf<T extends string>(name: string, choices: readonly T[], fallback: T | undefined): T {
    return this.r.oneOf(this.key(name), this.values[name], choices, fallback);
  }

  list<T>(name: string, fallback: T[], item: (at: string, value: unknown) => T): T[] {
    return this.r.list(this.key(name), this.values[name], fallback, item);
  }

  record(name: string, check: { key: Expectation; value: Expectation }): Record<string, string> {
    return this.r.record(this.key(name), this.values[name], check);
  }

  section(name: string, keys: readonly string[]): Section {
    return this.r.section(this.key(name), this.values[name], keys);
  }
}

export function join(at: string, key: string): string {
  if (at === "") return key;
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `${at}.${key}` : `${at}[${JSON.stringify(key)}]`;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function unknownKeyText(at: string, key: string, given: unknown, keys: readonly string[]): string {
  const nearest = nearestKey(key, keys);
  const expected = nearest
    ? `did you mean ${NAMESPACE}:${join(at, nearest)}?`
    : `expected one of ${keys.join(", ")}`;
  return `is not a known key (got ${show(given)}); ${expected}`;
}

/** The known key closest in edit distance, if close enough to be a typo. */
function nearestKey(key: string, keys: readonly string[]): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const candidate of keys) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (!best || distance < best.distance) best = { key: candidate, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(key.length / 3)) ? best.key : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j] + 1, current[j - 1] + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length];
}
