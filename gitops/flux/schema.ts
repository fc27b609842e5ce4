/**
 * Checks Flux objects against the schema of the version that will serve them, as the API server
 * does for custom resources, from a table of facts in this project's form
 * (`schema-facts.json`: per group/version/Kind, each field path with its type, enum, pattern,
 * bounds and whether an object is closed). `npm run facts:flux` derives the table from the
 * upstream CRDs (tools/flux-facts.ts); a test derives it again and fails when they differ.
 *
 * CRD schemas are structural, so the API server prunes fields the schema does not declare
 * (https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#field-pruning)
 * unless a subtree sets `x-kubernetes-preserve-unknown-fields`. A pruned field is silently lost
 * (a v1 Kustomization's `patchesStrategicMerge` is never applied), so it is reported. A `null`
 * value of a field that is not `nullable` is pruned too, before validation (same page, "Defaulting
 * and Nullable"): the object is accepted as if the field were absent (`version:` left empty in a
 * HelmRelease), so it is not reported.
 */
import { RE2JS } from "re2js";
import { isRecord } from "../read/yaml";
import factsTable from "./schema-facts.json";

/** One field of a schema, as the rule needs it. */
export interface FieldFact {
  type?: "object" | "array" | "string" | "integer" | "number" | "boolean";
  nullable?: boolean;
  enum?: (string | number | boolean | null)[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  /** Required child fields (kept as facts; the API server names missing ones itself). */
  required?: string[];
  /** An object that declares its properties: anything else is pruned. */
  closed?: boolean;
  /** `x-kubernetes-preserve-unknown-fields`: undeclared fields are kept. */
  keepsUnknown?: boolean;
}

/** The table: field paths `a.b`, `a[]` (list items) and `a{}` (map values); "" is the object. */
export interface SchemaFacts {
  derivedFrom: string[];
  flux: string;
  kinds: Record<string, { from: string; fields: Record<string, FieldFact> }>;
}

const FACTS = factsTable as unknown as SchemaFacts;

/** The Flux minor the schema facts follow. */
export const SCHEMA_FLUX_MINOR = FACTS.flux;

/**
 * The Flux Operator installs the notification CRDs with three more kinds in Alert
 * `spec.eventSources[].kind` and Receiver `spec.resources[].kind` (controlplaneio-fluxcd/flux-operator
 * internal/builder/templates.go, notificationPatchTmpl): what the cluster this stack builds serves,
 * and what repositories running on the operator use.
 */
const OPERATOR_EVENT_KINDS = ["FluxInstance", "ResourceSet", "ResourceSetInputProvider"];
const OPERATOR_PATCHED: Record<string, string> = {
  "notification.toolkit.fluxcd.io/Alert": "spec.eventSources[].kind",
  "notification.toolkit.fluxcd.io/Receiver": "spec.resources[].kind",
};

function factAt(fields: Record<string, FieldFact>, group: string, kind: string, at: string): FieldFact | undefined {
  const fact = fields[at];
  if (fact?.enum !== undefined && OPERATOR_PATCHED[`${group}/${kind}`] === at) return { ...fact, enum: [...new Set([...fact.enum, ...OPERATOR_EVENT_KINDS])] };
  return fact;
}

/** One way an object does not fit its schema. */
export interface SchemaProblem {
  /** A JSON-pointer-like path, e.g. "/spec/patchesStrategicMerge". */
  path: string;
  /** "pruned" (unknown field, dropped by the API server) or "invalid" (rejected). */
  kind: "pruned" | "invalid";
  message: string;
}

const patterns = new Map<string, RE2JS | null>();

/** The API server matches patterns with Go's regexp (RE2), unanchored. */
function matches(pattern: string, value: string): boolean {
  let re = patterns.get(pattern);
  if (re === undefined) {
    try {
      re = RE2JS.compile(pattern);
    } catch {
      re = null;
    }
    patterns.set(pattern, re);
  }
  return re === null || re.matcher(value).find();
}

function typeOk(type: FieldFact["type"], value: unknown): boolean {
  switch (type) {
    case undefined: return true;
    case "object": return isRecord(value);
    case "array": return Array.isArray(value);
    case "integer": return typeof value === "number" && Number.isInteger(value);
    case "number": return typeof value === "number";
    default: return typeof value === type;
  }
}

/** What is wrong with one value against its fact (not its children), if anything. */
function valueProblem(fact: FieldFact, value: unknown): string | undefined {
  if (!typeOk(fact.type, value)) return `must be ${fact.type}`;
  if (fact.enum !== undefined && !fact.enum.includes(value as string)) return `must be one of ${fact.enum.map((e) => JSON.stringify(e)).join(", ")}`;
  if (typeof value === "string") {
    // Kubernetes counts characters (runes), not UTF-16 units.
    const length = [...value].length;
    if (fact.pattern !== undefined && !matches(fact.pattern, value)) return `must match the pattern ${JSON.stringify(fact.pattern)}`;
    if (fact.maxLength !== undefined && length > fact.maxLength) return `must have at most ${fact.maxLength} characters`;
    if (fact.minLength !== undefined && length < fact.minLength) return `must have at least ${fact.minLength} characters`;
  }
  if (typeof value === "number") {
    if (fact.maximum !== undefined && value > fact.maximum) return `must be <= ${fact.maximum}`;
    if (fact.minimum !== undefined && value < fact.minimum) return `must be >= ${fact.minimum}`;
  }
  if (Array.isArray(value)) {
    if (fact.maxItems !== undefined && value.length > fact.maxItems) return `must have at most ${fact.maxItems} items`;
    if (fact.minItems !== undefined && value.length < fact.minItems) return `must have at least ${fact.minItems} items`;
  }
  return undefined;
}

/**
 * The problems of one object against `group/version/Kind`'s schema facts; undefined when the
 * table has no such version (it is not served by the Flux release the table follows).
 * Missing required fields are not judged: the API server names them itself.
 */
export function schemaProblems(group: string, version: string, kind: string, body: Record<string, unknown>): SchemaProblem[] | undefined {
  const entry = FACTS.kinds[`${group}/${version}/${kind}`];
  if (entry === undefined) return undefined;
  const problems: SchemaProblem[] = [];
  const check = (value: unknown, at: string, pointer: string): void => {
    const fact = factAt(entry.fields, group, kind, at);
    if (fact === undefined || value === null) return; // null: pruned before validation, as if absent
    // Flux substitutes ${VAR}s after the build: a placeholder string is not judged by its type.
    if (typeof value === "string" && value.includes("${")) return;
    const problem = valueProblem(fact, value);
    if (problem !== undefined) {
      problems.push({ path: pointer || "/", kind: "invalid", message: problem });
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((item, i) => check(item, `${at}[]`, `${pointer}/${i}`));
    } else if (isRecord(value)) {
      for (const [key, child] of Object.entries(value)) {
        if (at === "" && (key === "status" || key === "metadata")) continue;
        const childAt = at === "" ? key : `${at}.${key}`;
        const childPointer = `${pointer}/${key.replace(/~/g, "~0").replace(/\//g, "~1")}`;
        if (entry.fields[childAt] !== undefined) check(child, childAt, childPointer);
        else if (entry.fields[`${at}{}`] !== undefined) check(child, `${at}{}`, childPointer);
        else if (fact.closed === true && fact.keepsUnknown !== true && child !== null) {
          problems.push({ path: childPointer, kind: "pruned", message: "is not in the schema: the API server prunes it" });
        }
      }
    }
  };
  check(body, "", "");
  return problems;
}

/** Where the facts of a version were derived from (the upstream CRD file). */
export function schemaSource(group: string, version: string, kind: string): string | undefined {
  return FACTS.kinds[`${group}/${version}/${kind}`]?.from;
}
