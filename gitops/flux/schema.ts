/**
 * Validates Flux objects against the OpenAPI schema of the version that will serve them, as the
 * API server does for custom resources: the CRD's `openAPIV3Schema` (vendored as data in
 * flux-crd-schemas.json from the controllers' `config/crd/bases` at the Flux release's tags,
 * Apache-2.0, see tools/vendor-flux-apis.py), checked with ajv.
 *
 * CRD schemas are structural, so the API server prunes fields the schema does not declare
 * (https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#field-pruning)
 * unless a subtree sets `x-kubernetes-preserve-unknown-fields`. A pruned field is silently lost
 * (a v1 Kustomization's `patchesStrategicMerge` is never applied), so it is reported: every
 * object schema that declares properties is closed with `additionalProperties: false` here.
 *
 * Why not @kubernetes-models/flux-cd: its 4.0.0 is ESM-only, needs Node >= 22, and its models
 * are older than Flux 2.9 (it still carries the removed v1beta1/v2beta1 kinds and no
 * ArtifactGenerator), so it would validate against the wrong schema.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import type Ajv from "ajv";
import type { ErrorObject, Options, ValidateFunction } from "ajv";
import vendored from "./crd-schemas.json";

type Schema = Record<string, unknown>;

interface VendoredSchemas {
  flux: string;
  schemas: Record<string, { source: string; schema: Schema }>;
}

const VENDORED = vendored as unknown as VendoredSchemas;

/** The Flux minor the vendored schemas were taken from. */
export const SCHEMA_FLUX_MINOR = VENDORED.flux;

/** Closes every object schema that declares properties and does not preserve unknown fields. */
function closeStructural(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(closeStructural);
  if (typeof node !== "object" || node === null) return node;
  const out: Schema = {};
  for (const [key, value] of Object.entries(node as Schema)) out[key] = closeStructural(value);
  if (typeof out.properties === "object" && out.additionalProperties === undefined
    && out["x-kubernetes-preserve-unknown-fields"] !== true) {
    out.additionalProperties = false;
  }
  return out;
}

/**
 * The Flux Operator installs the notification CRDs with three more kinds in Alert
 * `spec.eventSources[].kind` and Receiver `spec.resources[].kind` (controlplaneio-fluxcd/flux-operator
 * internal/builder/templates.go, notificationPatchTmpl): what the cluster this stack builds serves,
 * and what repositories running on the operator use.
 */
const OPERATOR_EVENT_KINDS = ["FluxInstance", "ResourceSet", "ResourceSetInputProvider"];
const OPERATOR_PATCHED: Record<string, string[]> = {
  Alert: ["spec", "eventSources", "kind"],
  Receiver: ["spec", "resources", "kind"],
};

function withOperatorKinds(key: string, schema: Schema): Schema {
  const where = OPERATOR_PATCHED[key.slice(key.lastIndexOf("/") + 1)];
  if (where === undefined || !key.startsWith("notification.toolkit.fluxcd.io/")) return schema;
  const copy = structuredClone(schema);
  const [spec, list, field] = where;
  const kind = ((((copy.properties as Schema)?.[spec] as Schema)?.properties as Schema)?.[list] as Schema)?.items as Schema | undefined;
  const enumOf = (kind?.properties as Schema | undefined)?.[field] as Schema | undefined;
  if (enumOf !== undefined && Array.isArray(enumOf.enum)) enumOf.enum = [...new Set([...enumOf.enum, ...OPERATOR_EVENT_KINDS])];
  return copy;
}

/** `code.source` keeps each validator's generated code, which ajv/dist/standalone turns into a module. */
const AJV_OPTIONS: Options = { strict: false, allErrors: true, validateFormats: false, code: { source: true } };

/**
 * Compiled validators are kept as JavaScript modules (ajv's standalone code) in the package's
 * node_modules/.cache, named by a SHA-256 of the schema, ajv's version and its options: compiling
 * a HelmRelease schema takes ajv a few hundred milliseconds, loading its code a few. An entry
 * whose schema or compiler changed is never found again, so what runs always fits the schema.
 */
const VALIDATOR_CACHE_DIR = path.join(__dirname, "..", "..", "node_modules", ".cache", "gitops-cluster-validators");

let ajv: Ajv | undefined;
let ajvVersion: string | undefined;
const compiled = new Map<string, ValidateFunction>();

/** The vendored schema of `group/version/Kind` as checked here: closed, with the operator's kinds. */
function checkedSchema(key: string, schema: Schema): Schema {
  // The server fills metadata and status itself: only the rest of the object is the user's.
  const closed = closeStructural(withOperatorKinds(key, schema)) as Schema;
  return { ...closed, properties: { ...(closed.properties as Schema), metadata: { type: "object" } } };
}

/** Compiles with ajv (loaded only now: most runs find every validator in the cache) and stores the code. */
function compileAndStore(schema: Schema, file: string): ValidateFunction {
  if (ajv === undefined) {
    const { default: AjvClass } = require("ajv") as typeof import("ajv");
    ajv = new AjvClass(AJV_OPTIONS);
  }
  const fn = ajv.compile(schema);
  const { default: standaloneCode } = require("ajv/dist/standalone") as typeof import("ajv/dist/standalone");
  const temp = `${file}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(VALIDATOR_CACHE_DIR, { recursive: true });
    fs.writeFileSync(temp, standaloneCode(ajv, fn));
    fs.renameSync(temp, file);
  } catch {
    // A read-only node_modules: validate without a cache.
    fs.rmSync(temp, { force: true });
  }
  return fn;
}

/** Where the compiled validator of a schema is kept: named by what its code depends on. */
function cacheFileOf(schema: Schema): string {
  ajvVersion ??= (require("ajv/package.json") as { version: string }).version;
  const digest = crypto.createHash("sha256").update(`ajv ${ajvVersion}\n${JSON.stringify(AJV_OPTIONS)}\n${JSON.stringify(schema)}`).digest("hex");
  return path.join(VALIDATOR_CACHE_DIR, `${digest}.js`);
}

/** The cache file of `group/version/Kind`'s validator (whether or not it is there yet). */
export function validatorCacheFile(group: string, version: string, kind: string): string | undefined {
  const key = `${group}/${version}/${kind}`;
  const entry = VENDORED.schemas[key];
  return entry && cacheFileOf(checkedSchema(key, entry.schema));
}

function validatorFor(key: string): ValidateFunction | undefined {
  const entry = VENDORED.schemas[key];
  if (entry === undefined) return undefined;
  let fn = compiled.get(key);
  if (fn === undefined) {
    const schema = checkedSchema(key, entry.schema);
    const file = cacheFileOf(schema);
    try {
      fn = require(file) as ValidateFunction;
    } catch {
      fn = compileAndStore(schema, file);
    }
    compiled.set(key, fn);
  }
  return fn;
}

/** One way an object does not fit its schema. */
export interface SchemaProblem {
  /** A JSON-pointer-like path, e.g. "/spec/patchesStrategicMerge". */
  path: string;
  /** "pruned" (unknown field, dropped by the API server) or "invalid" (rejected). */
  kind: "pruned" | "invalid";
  message: string;
}

function valueAt(body: unknown, pointer: string): unknown {
  let node = body;
  for (const part of pointer.split("/").slice(1)) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string, unknown>)[part.replace(/~1/g, "/").replace(/~0/g, "~")];
  }
  return node;
}

function problemOf(error: ErrorObject, body: unknown): SchemaProblem | undefined {
  if (error.keyword === "additionalProperties") {
    const field = (error.params as { additionalProperty: string }).additionalProperty;
    return { path: `${error.instancePath}/${field}`, kind: "pruned", message: "is not in the schema: the API server prunes it" };
  }
  // Missing required fields are not judged: the API server names them itself, and the repository
  // examples and tests of this project leave out interval/prune where they do not matter.
  if (error.keyword === "required") return undefined;
  // anyOf/oneOf report their branches separately; the branch errors say more.
  if (error.keyword === "anyOf" || error.keyword === "oneOf") return undefined;
  // Flux substitutes ${VAR}s after the build: a placeholder string is not judged by its type.
  const value = valueAt(body, error.instancePath);
  if (typeof value === "string" && value.includes("${")) return undefined;
  return { path: error.instancePath || "/", kind: "invalid", message: error.message ?? error.keyword };
}

/**
 * The problems of one object against `group/version/Kind`'s vendored schema; undefined when no
 * schema is vendored for that version (it is not served by the vendored Flux release).
 */
export function schemaProblems(group: string, version: string, kind: string, body: Record<string, unknown>): SchemaProblem[] | undefined {
  const validate = validatorFor(`${group}/${version}/${kind}`);
  if (validate === undefined) return undefined;
  const { status: _status, ...rest } = body;
  if (validate(rest)) return [];
  const problems: SchemaProblem[] = [];
  for (const error of validate.errors ?? []) {
    const problem = problemOf(error, rest);
    if (problem !== undefined && !problems.some((p) => p.path === problem.path && p.message === problem.message)) problems.push(problem);
  }
  return problems;
}

/** Where a vendored schema was read. */
export function schemaSource(group: string, version: string, kind: string): string | undefined {
  return VENDORED.schemas[`${group}/${version}/${kind}`]?.source;
}

/**
 * Compiles every vendored schema into the cache and drops the entries no schema has any more
 * (`npm ci` runs this through bin/ts-cache.js --warm, so the first verify after set-up is fast too).
 */
export function warmValidatorCache(): { validators: number; dropped: number } {
  const keep = new Set<string>();
  for (const key of Object.keys(VENDORED.schemas)) {
    validatorFor(key);
    keep.add(path.basename(cacheFileOf(checkedSchema(key, VENDORED.schemas[key].schema))));
  }
  let dropped = 0;
  for (const name of fs.existsSync(VALIDATOR_CACHE_DIR) ? fs.readdirSync(VALIDATOR_CACHE_DIR) : []) {
    if (keep.has(name)) continue;
    fs.rmSync(path.join(VALIDATOR_CACHE_DIR, name), { force: true });
    dropped++;
  }
  return { validators: keep.size, dropped };
}
