import { Repo } from "../read/repo";
import { AS_KUSTOMIZE_READS, isRecord, parseYamlDocuments } from "../read/yaml";
import { Json } from "./objects";

/**
 * kustomize's transformer configuration: where each builtin transformer writes, per kind
 * (api/internal/plugins/builtinconfig/transformerconfig.go). The defaults live beside the
 * transformers that use them; a kustomization's `configurations:` files add field specs, and a
 * kustomization's configuration carries the ones of everything it accumulates (kusttarget.go
 * accumulateTarget: ra.MergeConfig after its resources), so a base's `configurations` reach the
 * overlay's transformers and the final name-reference fix.
 */

/** One field spec: where a transformer writes, for which kinds (api/types/fieldspec.go). */
export interface FieldSpec {
  path: string;
  create: boolean;
  group?: string;
  version?: string;
  kind?: string;
}

/** A kind whose renaming is followed, and the fields that name it (builtinconfig/namebackreferences.go). */
export interface NameBackReference {
  target: { group?: string; version?: string; kind: string };
  referrers: FieldSpec[];
}

/** The field specs `configurations:` added, per transformer this build models. */
export interface TransformerConfig {
  commonLabels: FieldSpec[];
  commonAnnotations: FieldSpec[];
  images: FieldSpec[];
  replicas: FieldSpec[];
  nameReference: NameBackReference[];
}

export const NO_CONFIGURATIONS: TransformerConfig = { commonLabels: [], commonAnnotations: [], images: [], replicas: [], nameReference: [] };

/** Sections of a configuration file that change transformers this build does not let be configured. */
const NOT_MODELLED = ["namePrefix", "nameSuffix", "namespace", "labels", "templateLabels", "volumeClaimTemplateLabels", "varReference"];

const sameSpec = (a: FieldSpec, b: FieldSpec) =>
  a.path === b.path && a.kind === b.kind && a.group === b.group && a.version === b.version;

function mergeSpecs(a: FieldSpec[], b: FieldSpec[]): FieldSpec[] {
  if (b.length === 0) return a;
  const out = [...a];
  for (const spec of b) if (!out.some((s) => sameSpec(s, spec))) out.push(spec);
  return out;
}

/** tc.Merge: field specs are a set; name references merge per target kind. */
export function mergeConfig(a: TransformerConfig, b: TransformerConfig): TransformerConfig {
  if (b === NO_CONFIGURATIONS || b === a) return a;
  if (a === NO_CONFIGURATIONS) return b;
  const nameReference = [...a.nameReference];
  for (const ref of b.nameReference) {
    const i = nameReference.findIndex((r) => r.target.kind === ref.target.kind && r.target.group === ref.target.group && r.target.version === ref.target.version);
    if (i < 0) nameReference.push(ref);
    else nameReference[i] = { target: ref.target, referrers: mergeSpecs(nameReference[i].referrers, ref.referrers) };
  }
  return {
    commonLabels: mergeSpecs(a.commonLabels, b.commonLabels),
    commonAnnotations: mergeSpecs(a.commonAnnotations, b.commonAnnotations),
    images: mergeSpecs(a.images, b.images),
    replicas: mergeSpecs(a.replicas, b.replicas),
    nameReference,
  };
}

const optionalString = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);

function fieldSpecOf(v: unknown, where: string, problems: string[]): FieldSpec | undefined {
  if (!isRecord(v) || typeof v.path !== "string" || v.path === "") {
    problems.push(`${where}: a field spec needs a path`);
    return undefined;
  }
  return { path: v.path, create: v.create === true, group: optionalString(v.group), version: optionalString(v.version), kind: optionalString(v.kind) };
}

function fieldSpecsOf(v: unknown, where: string, problems: string[]): FieldSpec[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) {
    problems.push(`${where}: expected a list of field specs`);
    return [];
  }
  return v.flatMap((e, i) => fieldSpecOf(e, `${where}[${i}]`, problems) ?? []);
}

/** One configuration file's data, as builtinconfig.MakeTransformerConfig reads it. */
export function configOf(data: Json, file: string, problems: string[], unmodelled: string[]): TransformerConfig {
  for (const section of NOT_MODELLED) if (data[section] !== undefined && data[section] !== null) unmodelled.push(`${file}: ${section}`);
  const nameReference: NameBackReference[] = [];
  const refs = data.nameReference;
  if (refs !== undefined && refs !== null && !Array.isArray(refs)) problems.push(`${file}: nameReference: expected a list`);
  for (const [i, r] of (Array.isArray(refs) ? refs : []).entries()) {
    if (!isRecord(r) || typeof r.kind !== "string" || r.kind === "") {
      problems.push(`${file}: nameReference[${i}]: expected a kind`);
      continue;
    }
    nameReference.push({
      target: { kind: r.kind, group: optionalString(r.group), version: optionalString(r.version) },
      referrers: fieldSpecsOf(r.fieldSpecs, `${file}: nameReference[${i}].fieldSpecs`, problems),
    });
  }
  return {
    commonLabels: fieldSpecsOf(data.commonLabels, `${file}: commonLabels`, problems),
    commonAnnotations: fieldSpecsOf(data.commonAnnotations, `${file}: commonAnnotations`, problems),
    images: fieldSpecsOf(data.images, `${file}: images`, problems),
    replicas: fieldSpecsOf(data.replicas, `${file}: replicas`, problems),
    nameReference,
  };
}

/**
 * A kustomization's `configurations:` files (paths relative to its directory), merged. A missing
 * or unreadable file fails kustomize's build: a problem. Sections this build does not model are
 * named in `unmodelled`.
 */
export function loadConfigurations(repo: Repo, dir: string, refs: string[]): { config: TransformerConfig; problems: string[]; unmodelled: string[] } {
  let config = NO_CONFIGURATIONS;
  const problems: string[] = [];
  const unmodelled: string[] = [];
  for (const ref of refs) {
    const file = repo.join(dir, ref);
    if (!repo.isFile(file)) {
      problems.push(`configurations: ${ref} does not exist`);
      continue;
    }
    for (const d of parseYamlDocuments(repo.readText(file), file, AS_KUSTOMIZE_READS)) {
      if (d.data === null || d.data === undefined) continue;
      if (!isRecord(d.data)) {
        problems.push(`${file}: expected a transformer configuration (a map)`);
        continue;
      }
      config = mergeConfig(config, configOf(d.data, file, problems, unmodelled));
    }
  }
  return { config, problems, unmodelled };
}

/** A field spec path as segments: `/` separates, `\/` is a slash inside a key (annotation names). */
export function pathSegments(p: string): string[] {
  const out: string[] = [];
  let current = "";
  for (let i = 0; i < p.length; i++) {
    if (p[i] === "\\" && p[i + 1] === "/") {
      current += "/";
      i++;
    } else if (p[i] === "/") {
      out.push(current);
      current = "";
    } else current += p[i];
  }
  out.push(current);
  return out;
}
