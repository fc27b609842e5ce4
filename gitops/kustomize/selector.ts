import { RE2JS } from "re2js";
import { K8sObject } from "../model";
import { isRecord } from "../read/yaml";
import { effectiveNamespace, idOf, idsOf, Json, originalIdOf } from "./objects";

/**
 * Patch targets, as kustomize selects them (api/types/selector.go, api/resmap/reswrangler.go Select):
 * group, version, kind, name and namespace are regular expressions anchored as `^(?:re)$` (an
 * empty field matches anything); name and namespace match the object's original or current id;
 * label and annotation selectors take Kubernetes' set-based syntax. Expressions run on RE2
 * (re2js), the engine Go's regexp implements, so a hostile pattern cannot hang the build.
 */

/** A selector or regular expression that does not parse: the caller names the file and line. */
export class SelectorError extends Error {}

const compiled = new Map<string, RE2JS>();

function anchored(pattern: string): RE2JS {
  let re = compiled.get(pattern);
  if (re === undefined) {
    try {
      re = RE2JS.compile(`^(?:${pattern})$`);
    } catch (e) {
      throw new SelectorError(`invalid regular expression ${JSON.stringify(pattern)}: ${(e as Error).message}`);
    }
    compiled.set(pattern, re);
  }
  return re;
}

function fieldMatches(pattern: unknown, value: string): boolean {
  if (typeof pattern !== "string" || pattern === "") return true;
  return anchored(pattern).matches(value);
}

/** One requirement of a label selector (k8s.io/apimachinery/pkg/labels, selector.go). */
type Operator = "=" | "==" | "!=" | "in" | "notin" | "exists" | "!" | ">" | "<";
interface Requirement {
  key: string;
  op: Operator;
  values: string[];
}

type Token = { kind: "id" | "op" | "(" | ")" | "," | "end"; text: string };

function tokens(selector: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < selector.length) {
    const c = selector[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === "(" || c === ")" || c === ",") {
      out.push({ kind: c, text: c });
      i++;
    } else if (selector.startsWith("==", i) || selector.startsWith("!=", i)) {
      out.push({ kind: "op", text: selector.slice(i, i + 2) });
      i += 2;
    } else if (c === "=" || c === "!" || c === ">" || c === "<") {
      out.push({ kind: "op", text: c });
      i++;
    } else {
      let j = i;
      while (j < selector.length && !/[\s(),=!<>]/.test(selector[j])) j++;
      out.push({ kind: "id", text: selector.slice(i, j) });
      i = j;
    }
  }
  out.push({ kind: "end", text: "end of string" });
  return out;
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function checkKey(key: string): void {
  const slash = key.indexOf("/");
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  const name = slash < 0 ? key : key.slice(slash + 1);
  if ((prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) || name.length > 63 || !LABEL_NAME.test(name)) {
    throw new SelectorError(`invalid label key ${JSON.stringify(key)}: expected [prefix/]name, name of letters, digits, '-', '_', '.'`);
  }
}

function checkValue(value: string): void {
  if (value.length > 63 || !LABEL_VALUE.test(value)) {
    throw new SelectorError(`invalid label value ${JSON.stringify(value)}: at most 63 letters, digits, '-', '_', '.'`);
  }
}

/** Parses a label selector: `a=b, c!=d, e in (f,g), h notin (i), j, !k, l>1` (requirements are ANDed). */
export function parseLabelSelector(selector: string): Requirement[] {
  const ts = tokens(selector);
  let p = 0;
  const next = () => ts[p++];
  const peek = () => ts[p];
  const requirements: Requirement[] = [];
  if (peek().kind === "end") return requirements;
  for (;;) {
    let t = next();
    let negated = false;
    if (t.kind === "op" && t.text === "!") {
      negated = true;
      t = next();
    }
    if (t.kind !== "id") throw new SelectorError(`found '${t.text}', expected: identifier`);
    const key = t.text;
    checkKey(key);
    const after = peek();
    if (negated || after.kind === "," || after.kind === "end") {
      if (negated && after.kind !== "," && after.kind !== "end") throw new SelectorError(`found '${after.text}', expected: ',' or 'end of string' after !${key}`);
      requirements.push({ key, op: negated ? "!" : "exists", values: [] });
    } else {
      const o = next();
      if (o.kind === "id" && (o.text === "in" || o.text === "notin")) {
        if (next().kind !== "(") throw new SelectorError(`found '${ts[p - 1].text}', expected: '(' after ${o.text}`);
        const values: string[] = [];
        for (;;) {
          let v = next();
          if (v.kind === ")" && values.length === 0) throw new SelectorError(`for '${o.text}', the set of values cannot be empty`);
          if (v.kind === "," || v.kind === ")") {
            values.push(""); // an empty value between separators
          } else if (v.kind === "id") {
            checkValue(v.text);
            values.push(v.text);
            v = next();
          } else {
            throw new SelectorError(`found '${v.text}', expected: a value, ',' or ')'`);
          }
          if (v.kind === ")") break;
          if (v.kind !== ",") throw new SelectorError(`found '${v.text}', expected: ',' or ')'`);
        }
        requirements.push({ key, op: o.text, values });
      } else if (o.kind === "op" && ["=", "==", "!=", ">", "<"].includes(o.text)) {
        const v = peek();
        let value = "";
        if (v.kind === "id") {
          value = next().text;
        } else if (v.kind !== "," && v.kind !== "end") {
          throw new SelectorError(`found '${v.text}', expected: a value after ${o.text}`);
        }
        checkValue(value);
        if ((o.text === ">" || o.text === "<") && !/^-?\d+$/.test(value)) {
          throw new SelectorError(`for '${o.text}' the value must be an integer, got ${JSON.stringify(value)}`);
        }
        requirements.push({ key, op: o.text as Operator, values: [value] });
      } else {
        throw new SelectorError(`found '${o.text}', expected: '=', '==', '!=', 'in', 'notin', '>' or '<' after ${key}`);
      }
    }
    const sep = next();
    if (sep.kind === "end") return requirements;
    if (sep.kind !== ",") throw new SelectorError(`found '${sep.text}', expected: ',' or 'end of string'`);
    const more = peek();
    if (more.kind !== "id" && !(more.kind === "op" && more.text === "!")) {
      throw new SelectorError(`found '${more.text}', expected: identifier after ','`);
    }
  }
}

function requirementMatches(r: Requirement, labels: Json): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const value = has ? String(labels[r.key]) : undefined;
  switch (r.op) {
    case "=": case "==": case "in":
      return has && r.values.includes(value as string);
    case "!=": case "notin":
      return !has || !r.values.includes(value as string);
    case "exists":
      return has;
    case "!":
      return !has;
    case ">": case "<": {
      if (!has || !/^-?\d+$/.test(value as string)) return false;
      const a = Number(value);
      const b = Number(r.values[0]);
      return r.op === ">" ? a > b : a < b;
    }
  }
}

const parsedSelectors = new Map<string, Requirement[]>();

export function labelSelectorMatches(selector: unknown, labels: unknown): boolean {
  if (typeof selector !== "string" || selector === "") return true;
  let requirements = parsedSelectors.get(selector);
  if (requirements === undefined) {
    requirements = parseLabelSelector(selector);
    parsedSelectors.set(selector, requirements);
  }
  const have = isRecord(labels) ? labels : {};
  return requirements.every((r) => requirementMatches(r, have));
}

/** Checks a target's expressions and selectors up front, so an error names the patch, not an object. */
export function validateTarget(target: Json): void {
  for (const field of ["group", "version", "kind", "name", "namespace"]) {
    const v = target[field];
    if (v !== undefined && typeof v !== "string") throw new SelectorError(`target.${field} must be a string`);
    if (typeof v === "string" && v !== "") anchored(v);
  }
  for (const field of ["labelSelector", "annotationSelector"]) {
    const v = target[field];
    if (v !== undefined && typeof v !== "string") throw new SelectorError(`target.${field} must be a string`);
    if (typeof v === "string") {
      try {
        parseLabelSelector(v);
      } catch (e) {
        throw new SelectorError(`target.${field} ${JSON.stringify(v)}: ${(e as Error).message}`);
      }
    }
  }
}

/** Whether kustomize's `Select(target)` picks this object. */
export function targetSelects(target: Json, o: K8sObject): boolean {
  const cur = idOf(o);
  const org = originalIdOf(o);
  if (!fieldMatches(target.namespace, effectiveNamespace(org)) && !fieldMatches(target.namespace, effectiveNamespace(cur))) return false;
  if (!fieldMatches(target.name, org.name) && !fieldMatches(target.name, cur.name)) return false;
  if (!fieldMatches(target.group, cur.group) || !fieldMatches(target.version, cur.version) || !fieldMatches(target.kind, cur.kind)) return false;
  const meta = isRecord(o.body.metadata) ? o.body.metadata : {};
  return labelSelectorMatches(target.labelSelector, meta.labels) && labelSelectorMatches(target.annotationSelector, meta.annotations);
}

/**
 * Whether a patch without a target names this object: ResId.Equals against any id the object has
 * had (resmap GetMatchingResourcesByAnyId), namespaces compared as effective namespaces.
 */
export function idNames(patchId: { group: string; version: string; kind: string; name: string; namespace: string }, o: K8sObject): boolean {
  return idsOf(o).some((id) =>
    id.group === patchId.group && id.version === patchId.version && id.kind === patchId.kind && id.name === patchId.name
    && effectiveNamespace(id) === effectiveNamespace(patchId));
}
