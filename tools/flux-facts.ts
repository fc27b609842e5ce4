/**
 * `npm run facts:flux`: derives the tables this project keeps about Flux from the upstream CRDs in
 * `../shared/upstream/` (or $GITOPS_CLUSTER_UPSTREAM), never copying them:
 *
 * - `gitops/flux/schema-facts.json`: per group/version/Kind, the field paths the schema-violation
 *   rule checks, with their type, enum, pattern, bounds, required fields and whether an object is
 *   closed (unknown fields pruned) or keeps unknown fields. Descriptions, defaults and CEL rules
 *   are left out: the rule does not read them.
 * - the newest row of `gitops/flux/served-versions.json`: which versions each kind serves and
 *   stores in that release. Older rows are facts read once from the controllers' tags (see the
 *   file's `source`) and stay as they are.
 *
 * `test/facts/flux-facts.test.ts` derives both again and fails when the committed files differ.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parseAllDocuments } from "yaml";
import type { FieldFact, SchemaFacts } from "../gitops/flux/schema";
import { isRecord } from "../gitops/read/yaml";

const ROOT = path.join(__dirname, "..");

/** The checkout a local clone was made from (its `origin` is a path), if any. */
function localOrigin(): string | undefined {
  try {
    const url = execFileSync("git", ["-C", ROOT, "config", "--get", "remote.origin.url"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    const dir = url.replace(/^file:\/\//, "");
    return path.isAbsolute(dir) && fs.existsSync(dir) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The upstream copies: $GITOPS_CLUSTER_UPSTREAM, else `../shared/upstream` beside the checkout, or
 * beside the checkout a local clone was made from (a CI clone in a scratch directory).
 */
export function upstreamDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.GITOPS_CLUSTER_UPSTREAM !== undefined) {
    if (fs.existsSync(env.GITOPS_CLUSTER_UPSTREAM)) return env.GITOPS_CLUSTER_UPSTREAM;
    throw new Error(`the upstream copies are not at ${env.GITOPS_CLUSTER_UPSTREAM}: set GITOPS_CLUSTER_UPSTREAM to the folder that holds flux-*-crds/ and flux-operator-*-crds/`);
  }
  const beside = path.join(ROOT, "..", "shared", "upstream");
  const origin = localOrigin();
  const candidates = [beside, ...(origin === undefined ? [] : [path.join(origin, "..", "shared", "upstream")])];
  const found = candidates.find((d) => fs.existsSync(d));
  if (found === undefined) {
    throw new Error(`the upstream copies are not at ${candidates.join(" or ")}: set GITOPS_CLUSTER_UPSTREAM to the folder that holds flux-*-crds/ and flux-operator-*-crds/`);
  }
  return found;
}

/** The CRD folders the tables follow, by release. */
export const FLUX_CRDS = "flux-2.9.4-crds";
export const OPERATOR_CRDS = "flux-operator-v0.58.1-crds";
export const FLUX_RELEASE = "2.9";

type Json = Record<string, unknown>;

interface Crd {
  file: string;
  group: string;
  kind: string;
  versions: { name: string; served: boolean; storage: boolean; schema: Json }[];
}

function readCrds(dir: string, folder: string): Crd[] {
  const out: Crd[] = [];
  const files = fs.readdirSync(path.join(dir, folder)).filter((f) => /\.ya?ml$/.test(f)).sort();
  for (const f of files) {
    for (const doc of parseAllDocuments(fs.readFileSync(path.join(dir, folder, f), "utf8"))) {
      const crd = doc.toJS() as unknown;
      if (!isRecord(crd) || crd.kind !== "CustomResourceDefinition" || !isRecord(crd.spec)) continue;
      const spec = crd.spec;
      const names = isRecord(spec.names) ? spec.names : {};
      const versions = (Array.isArray(spec.versions) ? spec.versions : []).filter(isRecord).map((v) => ({
        name: String(v.name),
        served: v.served === true,
        storage: v.storage === true,
        schema: isRecord(v.schema) && isRecord(v.schema.openAPIV3Schema) ? v.schema.openAPIV3Schema : {},
      }));
      out.push({ file: `${folder}/${f}`, group: String(spec.group), kind: String(names.kind), versions });
    }
  }
  return out;
}

const TYPES = new Set(["object", "array", "string", "integer", "number", "boolean"]);

/** One schema node as the rule needs it. */
function factOf(node: Json): FieldFact {
  const fact: FieldFact = {};
  if (typeof node.type === "string" && TYPES.has(node.type)) fact.type = node.type as FieldFact["type"];
  if (node.nullable === true) fact.nullable = true;
  if (Array.isArray(node.enum)) fact.enum = node.enum as FieldFact["enum"];
  if (typeof node.pattern === "string") fact.pattern = node.pattern;
  for (const bound of ["minLength", "maxLength", "minimum", "maximum", "minItems", "maxItems"] as const) {
    if (typeof node[bound] === "number") fact[bound] = node[bound] as number;
  }
  if (Array.isArray(node.required) && node.required.length > 0) fact.required = [...(node.required as string[])].sort();
  if (node["x-kubernetes-preserve-unknown-fields"] === true) fact.keepsUnknown = true;
  else if (isRecord(node.properties)) fact.closed = true;
  return fact;
}

/** Every field of a version's schema, by path: `a.b`, `a[]` for list items, `a{}` for map values. */
function fieldsOf(schema: Json): Record<string, FieldFact> {
  const fields: Record<string, FieldFact> = {};
  const walk = (node: Json, at: string): void => {
    fields[at] = factOf(node);
    if (isRecord(node.properties)) {
      for (const [key, child] of Object.entries(node.properties)) {
        // The server owns status; metadata is checked by the API server itself, not here.
        if (at === "" && (key === "status" || key === "metadata")) continue;
        if (isRecord(child)) walk(child, at === "" ? key : `${at}.${key}`);
      }
    }
    if (isRecord(node.items)) walk(node.items, `${at}[]`);
    if (isRecord(node.additionalProperties)) walk(node.additionalProperties, `${at}{}`);
  };
  walk(schema, "");
  return Object.fromEntries(Object.entries(fields).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The schema facts of every served version in the upstream CRD folders. */
export function deriveSchemaFacts(dir: string, folders = [FLUX_CRDS, OPERATOR_CRDS]): SchemaFacts {
  const kinds: SchemaFacts["kinds"] = {};
  for (const folder of folders) {
    for (const crd of readCrds(dir, folder)) {
      for (const v of crd.versions.filter((x) => x.served)) {
        kinds[`${crd.group}/${v.name}/${crd.kind}`] = { from: crd.file, fields: fieldsOf(v.schema) };
      }
    }
  }
  const sorted = Object.fromEntries(Object.entries(kinds).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return { derivedFrom: folders, flux: FLUX_RELEASE, kinds: sorted };
}

/** The newest Flux row's kinds (served and storage versions), as the upstream CRDs of that release say. */
export function deriveServedKinds(dir: string): { group: string; kind: string; served: string[]; storage: string }[] {
  return readCrds(dir, FLUX_CRDS)
    .map((crd) => ({
      group: crd.group,
      kind: crd.kind,
      served: crd.versions.filter((v) => v.served).map((v) => v.name),
      storage: crd.versions.find((v) => v.storage)?.name ?? "",
    }))
    .sort((a, b) => `${a.group}/${a.kind}`.localeCompare(`${b.group}/${b.kind}`));
}

export const SCHEMA_FACTS_FILE = path.join(ROOT, "gitops", "flux", "schema-facts.json");
export const SERVED_FILE = path.join(ROOT, "gitops", "flux", "served-versions.json");

/** The committed text of the schema facts: stable, one kind per line group, diff-friendly. */
export function schemaFactsText(facts: SchemaFacts): string {
  const kinds = Object.entries(facts.kinds).map(([key, k]) => {
    const fields = Object.entries(k.fields).map(([at, f]) => `   ${JSON.stringify(at)}: ${JSON.stringify(f)}`).join(",\n");
    return `  ${JSON.stringify(key)}: {\n   "from": ${JSON.stringify(k.from)},\n   "fields": {\n${fields.replace(/^   /gm, "    ")}\n   }\n  }`;
  });
  return `{\n "derivedFrom": ${JSON.stringify(facts.derivedFrom)},\n "flux": ${JSON.stringify(facts.flux)},\n "kinds": {\n${kinds.join(",\n")}\n }\n}\n`;
}

/** The served-versions table with its newest row's kinds taken from the upstream CRDs (other fields kept). */
export function servedTableText(dir: string, current: string): string {
  const table = JSON.parse(current) as { minors: { flux: string; kinds: { group: string; kind: string; controller: string; served: string[]; storage: string }[] }[] };
  const newest = table.minors.find((m) => m.flux === FLUX_RELEASE);
  if (newest === undefined) throw new Error(`served-versions.json has no ${FLUX_RELEASE} row`);
  const derived = new Map(deriveServedKinds(dir).map((k) => [`${k.group}/${k.kind}`, k]));
  const missing = [...derived.keys()].filter((key) => !newest.kinds.some((k) => `${k.group}/${k.kind}` === key));
  if (missing.length > 0) throw new Error(`${missing.join(", ")} are new in the upstream CRDs: add them with their controller to the ${FLUX_RELEASE} row by hand first`);
  newest.kinds = newest.kinds.map((k) => {
    const d = derived.get(`${k.group}/${k.kind}`);
    return d === undefined ? k : { ...k, served: d.served, storage: d.storage };
  });
  return JSON.stringify(table, null, 1);
}
