import { parse } from "yaml";
import { MAX_ALIAS_COUNT, isRecord } from "../read/yaml";
import { Json } from "./objects";

/**
 * kustomize reads a kustomization file with sigs.k8s.io/yaml: YAML 1.1 (so `yes`, `on`, `010` are
 * a bool and a number), then JSON into Go structs (api/types/kustomization.go), where a bool or a
 * number in a string field fails the build ("cannot unmarshal bool into Go struct field
 * Kustomization.commonLabels of type string"). This checks the fields the resolver reads the same way.
 */
export function kustomizationTypeErrors(text: string): string[] {
  let k: unknown;
  try {
    k = parse(text, { version: "1.1", maxAliasCount: MAX_ALIAS_COUNT });
  } catch {
    return []; // syntax errors are reported by the YAML 1.2 reader, with lines
  }
  return typeErrorsIn(k);
}

/**
 * The same check on a kustomization already read as data, for a file that YAML 1.1 reads exactly
 * as YAML 1.2 did (gitops/kustomize/yaml11.ts): no second parse.
 */
export function typeErrorsIn(k: unknown): string[] {
  if (!isRecord(k)) return [];
  const errors: string[] = [];
  const want = (value: unknown, type: "string" | "boolean" | "number", where: string) => {
    if (value === undefined || value === null) return;
    if (typeof value !== type) errors.push(`${where}: expected a ${type}, got ${JSON.stringify(value)} (YAML 1.1, as kustomize reads it; quote it)`);
  };
  const stringMap = (value: unknown, where: string) => {
    if (isRecord(value)) for (const [key, v] of Object.entries(value)) want(v, "string", `${where}.${key}`);
  };
  const stringList = (value: unknown, where: string) => {
    if (Array.isArray(value)) value.forEach((v, i) => want(v, "string", `${where}[${i}]`));
  };
  const each = (value: unknown, where: string, check: (e: Json, at: string) => void) => {
    if (Array.isArray(value)) value.forEach((e, i) => { if (isRecord(e)) check(e, `${where}[${i}]`); });
  };
  for (const f of ["namespace", "namePrefix", "nameSuffix", "kind", "apiVersion"]) want(k[f], "string", f);
  for (const f of ["resources", "bases", "components", "patchesStrategicMerge"]) stringList(k[f], f);
  stringMap(k.commonLabels, "commonLabels");
  stringMap(k.commonAnnotations, "commonAnnotations");
  each(k.labels, "labels", (e, at) => {
    stringMap(e.pairs, `${at}.pairs`);
    want(e.includeSelectors, "boolean", `${at}.includeSelectors`);
    want(e.includeTemplates, "boolean", `${at}.includeTemplates`);
  });
  each(k.images, "images", (e, at) => { for (const f of ["name", "newName", "newTag", "digest", "tagSuffix"]) want(e[f], "string", `${at}.${f}`); });
  each(k.replicas, "replicas", (e, at) => { want(e.name, "string", `${at}.name`); want(e.count, "number", `${at}.count`); });
  const options = (o: unknown, at: string) => {
    if (!isRecord(o)) return;
    stringMap(o.labels, `${at}.labels`);
    stringMap(o.annotations, `${at}.annotations`);
    want(o.disableNameSuffixHash, "boolean", `${at}.disableNameSuffixHash`);
    want(o.immutable, "boolean", `${at}.immutable`);
  };
  options(k.generatorOptions, "generatorOptions");
  for (const list of ["configMapGenerator", "secretGenerator"]) {
    each(k[list], list, (g, at) => {
      for (const f of ["name", "namespace", "behavior", "type"]) want(g[f], "string", `${at}.${f}`);
      for (const f of ["literals", "files", "envs"]) stringList(g[f], `${at}.${f}`);
      options(g.options, `${at}.options`);
    });
  }
  for (const list of ["patches", "patchesJson6902"]) {
    each(k[list], list, (p, at) => {
      want(p.path, "string", `${at}.path`);
      want(p.patch, "string", `${at}.patch`);
      if (isRecord(p.target)) for (const f of ["group", "version", "kind", "name", "namespace", "labelSelector", "annotationSelector"]) want(p.target[f], "string", `${at}.target.${f}`);
    });
  }
  return errors;
}
