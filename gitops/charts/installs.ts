import { K8sObject } from "../model";
import { isRecord } from "../read/yaml";
import { ChartFacts, CrdFact, DependencyFact, WebhookFact } from "./extract";
import { actionValue, conditionHolds, TemplateCondition, truthy, UNKNOWN, ValuesView } from "./template";

/** Whether a group is installed: surely, perhaps (a condition this check cannot decide), or not. */
export type InstallState = "yes" | "maybe" | "no";

/** One CRD group a HelmRelease's chart installs (or, with state "no", could install under other values). */
export interface InstalledGroup {
  /** null: a CRD whose group is templated from something this check cannot evaluate. */
  group: string | null;
  state: InstallState;
  /** The chart's crds/ under `install.crds: Skip`: the chart has it, the release does not install it. */
  skipped: boolean;
  /** The file and condition it rests on: "templates/crds.yaml when `.Values.crds.enabled` (true here)". */
  because: string;
}

/** What a release of a chart installs, and the webhooks it registers. */
export interface ReleaseInstalls {
  groups: InstalledGroup[];
  webhooks: WebhookFact[];
}

type Values = Record<string, unknown>;

/**
 * Helm's coalescing of user values over chart defaults (helm/helm pkg/chart/common/util/coalesce.go):
 * maps merge key by key, a user `null` deletes the default, anything else replaces it.
 */
export function coalesce(defaults: Values, user: Values): Values {
  const out: Values = { ...defaults };
  for (const [k, v] of Object.entries(user)) {
    if (v === null) delete out[k];
    else if (isRecord(v) && isRecord(out[k])) out[k] = coalesce(out[k] as Values, v);
    else out[k] = v;
  }
  return out;
}

function and(a: InstallState, b: InstallState): InstallState {
  if (a === "no" || b === "no") return "no";
  return a === "maybe" || b === "maybe" ? "maybe" : "yes";
}

/** "when `crds.enabled` (true here)", for each condition a fact rests on. */
function conditionsState(conditions: TemplateCondition[], view: ValuesView): { state: InstallState; text: string } {
  let state: InstallState = "yes";
  const parts: string[] = [];
  for (const c of conditions) {
    const holds = conditionHolds(c, view);
    const s: InstallState = holds === UNKNOWN ? "maybe" : holds ? "yes" : "no";
    state = and(state, s);
    const expr = c.expr.replace(/\$?\.Values\./g, "");
    parts.push(`${c.want ? "" : "not "}\`${expr}\` (${c.opaque ? "inside with/range: undecidable" : s === "maybe" ? "undecidable here" : s === "yes" ? "true here" : "false here"})`);
  }
  return { state, text: parts.length === 0 ? "" : ` when ${parts.join(" and ")}` };
}

/**
 * Which dependency of a chart is enabled (helm/helm pkg/chart/v2/util/dependencies.go
 * processDependencyTags then processDependencyConditions): tags (top-level `tags`) enable unless
 * all set tags are false; a condition's first path holding a boolean then decides. A path whose
 * value is unknown here makes it "maybe".
 */
function dependencyState(dep: DependencyFact, view: ValuesView, topTags: ValuesView): { state: InstallState; text: string } {
  let state: InstallState = "yes";
  let text = "";
  if (dep.tags !== undefined) {
    let hasTrue = false;
    let hasFalse = false;
    let unknown = false;
    for (const t of dep.tags) {
      const v = conditionHolds({ expr: `.Values.tags.${t}`, want: true }, topTags);
      const raw = actionValue(`{{ .Values.tags.${t} }}`, topTags);
      if (raw === UNKNOWN || v === UNKNOWN) unknown = true;
      else if (typeof raw === "boolean") raw ? (hasTrue = true) : (hasFalse = true);
    }
    if (unknown && !hasTrue) state = "maybe";
    else if (!hasTrue && hasFalse) state = "no";
    text = ` tags ${dep.tags.join(", ")}`;
  }
  for (const path of (dep.condition ?? "").split(",").map((p) => p.trim()).filter((p) => p !== "")) {
    const v = actionValue(`{{ .Values.${path} }}`, view);
    if (v === UNKNOWN) {
      state = "maybe";
      text = ` when \`${path}\` (undecidable here)`;
      break;
    }
    if (typeof v === "boolean") {
      state = v ? "yes" : "no";
      text = ` when \`${path}\` (${v} here)`;
      break;
    }
  }
  return { state, text };
}

/**
 * helm-controller's CRD policies for crds/ (api/v2 helmrelease_types.go): `install.crds` (default
 * Create; Skip leaves them out) and `upgrade.crds` (default Skip: a newer chart's crds/ are not applied).
 */
interface CrdPolicy {
  installSkips: boolean;
  upgradeSkips: boolean;
}

function crdBecause(fact: CrdFact, prefix: string, view: ValuesView, policy: CrdPolicy): InstalledGroup {
  const { state, text } = conditionsState(fact.conditions, view);
  let group = fact.group;
  if (group === null && fact.groupTemplate !== undefined) {
    const v = actionValue(fact.groupTemplate, view);
    if (typeof v === "string" && v !== "") group = v;
  }
  const groupState: InstallState = group === null ? and(state, "maybe") : state;
  const skipped = fact.from === "crds" && policy.installSkips;
  return {
    group,
    state: skipped ? "no" : groupState,
    skipped: skipped && groupState !== "no",
    because: `${prefix}${fact.file} installs ${group ?? `a group templated as ${fact.groupTemplate ?? "?"}`}${text}${skipped ? " (crds/, left out by install.crds: Skip)" : fact.from === "crds" && policy.upgradeSkips ? " (crds/: created on install; on upgrade Flux's default upgrade.crds: Skip leaves them as they were)" : ""}`,
  };
}

function collect(facts: ChartFacts, user: ValuesView, topTags: ValuesView, prefix: string, gate: { state: InstallState; text: string }, policy: CrdPolicy, out: ReleaseInstalls): void {
  const values = coalesce(facts.defaults, user.values);
  const view: ValuesView = { values, unknown: user.unknown };
  for (const fact of facts.crds) {
    const g = crdBecause(fact, prefix, view, policy);
    out.groups.push({ ...g, state: g.skipped ? "no" : and(g.state, gate.state), because: `${g.because}${gate.text}` });
  }
  for (const w of facts.webhooks) {
    const s = and(conditionsState(w.conditions, view).state, gate.state);
    if (s !== "no") out.webhooks.push({ ...w, file: `${prefix}${w.file}` });
  }
  for (const dep of facts.dependencies) {
    const name = dep.alias ?? dep.name;
    const d = dependencyState(dep, view, topTags);
    if (dep.chart === undefined) {
      // An enabled dependency that could not be read may install any group.
      const state = and(gate.state, d.state);
      if (state !== "no") out.groups.push({ group: null, state: "maybe", skipped: false, because: `${prefix}charts/${name} (dependency ${dep.name}${dep.repository === undefined ? "" : ` from ${dep.repository}`}, not read)${gate.text}${d.text}` });
      continue;
    }
    const sub = isRecord(values[name]) ? (values[name] as Values) : {};
    // Subchart values: the parent's under its name, and the parent's globals (coalesce.go coalesceGlobals).
    const subUser: Values = isRecord(values.global) ? { ...sub, global: coalesce(isRecord(sub.global) ? sub.global as Values : {}, values.global as Values) } : sub;
    const unknown = user.unknown.flatMap((u) => (u === "" ? [""] : u === name ? [""] : u.startsWith(`${name}.`) ? [u.slice(name.length + 1)] : u.startsWith("global") ? [u] : []));
    collect(dep.chart, { values: subUser, unknown }, topTags, `${prefix}charts/${name}/`, { state: and(gate.state, d.state), text: `${gate.text}${d.text === "" ? "" : ` (subchart ${name}${d.text})`}` }, policy, out);
  }
}

/**
 * What one release installs: every CRD of the chart and its enabled subcharts, each with the
 * state its conditions give under the release's values, and the webhooks it may register.
 * `crdsPolicy` is helm-controller's `install.crds` (default Create; Skip leaves crds/ out, never
 * the CRDs under templates/).
 */
export function releaseInstalls(facts: ChartFacts, values: ValuesView, crdsPolicy: string | undefined, upgradePolicy?: string): ReleaseInstalls {
  const out: ReleaseInstalls = { groups: [], webhooks: [] };
  const top = coalesce(facts.defaults, values.values);
  collect(facts, values, { values: top, unknown: values.unknown }, "", { state: "yes", text: "" }, {
    installSkips: crdsPolicy === "Skip",
    upgradeSkips: upgradePolicy !== "Create" && upgradePolicy !== "CreateReplace",
  }, out);
  return out;
}

/** The best state per group: yes beats maybe beats no; the reason kept is that of the best. */
export function groupsByState(installs: ReleaseInstalls): Map<string, InstalledGroup> {
  const rank = { yes: 2, maybe: 1, no: 0 } as const;
  const out = new Map<string, InstalledGroup>();
  for (const g of installs.groups) {
    if (g.group === null) continue;
    const prior = out.get(g.group);
    if (prior === undefined || rank[g.state] > rank[prior.state]) out.set(g.group, g);
  }
  return out;
}

/** A CRD of the chart whose group this check cannot know: any group might be installed. */
export function hasUnknownGroup(installs: ReleaseInstalls): boolean {
  return installs.groups.some((g) => g.group === null && g.state !== "no");
}

/**
 * The values a HelmRelease gives its chart, as helm-controller composes them (fluxcd/pkg
 * chartutil/values.go ChartValuesFromReferences, v1.27): each `valuesFrom` in order, then
 * `spec.values` over them. A ConfigMap or Secret the repository does not hold makes its values
 * unknown (the whole tree, or its `targetPath`), unless it is `optional`.
 */
export function releaseValues(helmRelease: K8sObject, findObject: (kind: string, namespace: string, name: string) => K8sObject | undefined): ValuesView & { notes: string[] } {
  const spec = isRecord(helmRelease.body.spec) ? helmRelease.body.spec : {};
  const namespace = helmRelease.namespace ?? "default";
  let values: Values = {};
  const unknown: string[] = [];
  const notes: string[] = [];
  for (const ref of Array.isArray(spec.valuesFrom) ? spec.valuesFrom : []) {
    if (!isRecord(ref) || typeof ref.kind !== "string" || typeof ref.name !== "string") continue;
    const key = typeof ref.valuesKey === "string" && ref.valuesKey !== "" ? ref.valuesKey : "values.yaml";
    const target = typeof ref.targetPath === "string" && ref.targetPath !== "" ? ref.targetPath : undefined;
    const object = findObject(ref.kind, namespace, ref.name);
    const text = object === undefined ? undefined : dataOf(object, key);
    if (text === undefined) {
      if (ref.optional === true) continue;
      unknown.push(target ?? "");
      notes.push(`${ref.kind} ${namespace}/${ref.name} (valuesFrom) is not in what this check reads: ${target === undefined ? "its values" : `\`${target}\``} unknown`);
      continue;
    }
    if (target !== undefined) {
      values = coalesce(values, setPath(target, text));
      continue;
    }
    try {
      const { parse } = require("yaml") as typeof import("yaml");
      const parsed: unknown = parse(text, { maxAliasCount: 100 });
      if (isRecord(parsed)) values = coalesce(values, parsed);
    } catch {
      unknown.push("");
      notes.push(`${ref.kind} ${namespace}/${ref.name} key ${key} is not YAML: its values unknown`);
    }
  }
  if (isRecord(spec.values)) values = coalesce(values, spec.values);
  // Substitution variables still in a value ("${VAR}") are known only to the cluster.
  if (typeof spec.values === "string") unknown.push("");
  return { values, unknown, notes };
}

function dataOf(object: K8sObject, key: string): string | undefined {
  const body = object.body;
  if (isRecord(body.stringData) && typeof body.stringData[key] === "string") return body.stringData[key] as string;
  if (isRecord(body.data) && typeof body.data[key] === "string") {
    const raw = body.data[key] as string;
    return object.kind === "Secret" ? Buffer.from(raw, "base64").toString("utf8") : raw;
  }
  return undefined;
}

/** `targetPath: a.b` with a value: {a: {b: value}} (Helm strvals reads the value as YAML-ish; a boolean word is a boolean). */
function setPath(path: string, value: string): Values {
  const keys = path.split(".");
  const v: unknown = value === "true" ? true : value === "false" ? false : value;
  let out: unknown = v;
  for (let i = keys.length - 1; i >= 0; i--) out = { [keys[i]]: out };
  return out as Values;
}

export { truthy };
