import { LineCounter, parseAllDocuments } from "yaml";
import { GitopsInputError } from "./errors";
import { K8sObject } from "./model";

/** The API group of an apiVersion: "apps/v1" -> "apps", "v1" -> "" (core). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? "" : apiVersion.slice(0, slash);
}

/** A YAML mapping as plain data. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Every document of a YAML stream as plain data with its 1-based start line; empty ones dropped. */
export function parseYamlDocuments(text: string, file: string): { data: unknown; line: number }[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  if (!Array.isArray(docs)) return []; // an empty stream
  const out: { data: unknown; line: number }[] = [];
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error !== undefined) {
      const line = error.linePos?.[0].line ?? lineCounter.linePos(error.pos[0]).line;
      throw new GitopsInputError(`YAML parse error: ${error.message.split("\n")[0]}`, file, line);
    }
    if (doc.contents === null) continue;
    out.push({ data: doc.toJS({ maxAliasCount: -1 }), line: lineCounter.linePos(doc.contents.range[0]).line });
  }
  return out;
}

/** One document that must be a mapping (a kustomization file, a providers file). */
export function parseYamlMapping(text: string, file: string): { data: Record<string, unknown>; line: number } {
  const docs = parseYamlDocuments(text, file);
  const first = docs[0];
  if (first === undefined) return { data: {}, line: 1 };
  if (!isRecord(first.data)) {
    throw new GitopsInputError("expected a YAML mapping", file, first.line);
  }
  return { data: first.data, line: first.line };
}

/** A document as a Kubernetes object, or undefined when it is not one (no apiVersion/kind). */
function toK8sObject(data: unknown, file: string, line: number): K8sObject | undefined {
  if (!isRecord(data) || typeof data.apiVersion !== "string" || typeof data.kind !== "string") return undefined;
  const metadata = isRecord(data.metadata) ? data.metadata : {};
  return {
    apiVersion: data.apiVersion,
    kind: data.kind,
    group: groupOf(data.apiVersion),
    name: typeof metadata.name === "string" ? metadata.name : "",
    namespace: typeof metadata.namespace === "string" && metadata.namespace !== "" ? metadata.namespace : undefined,
    body: data,
    source: { file, line },
  };
}

/**
 * The Kubernetes objects of a multi-document manifest file. Documents that are empty or carry no
 * apiVersion/kind are skipped; a `*List` kind is expanded into its items, as kustomize does
 * (https://github.com/kubernetes-sigs/kustomize/blob/master/api/resource/factory.go).
 */
export function parseManifests(text: string, file: string): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const { data, line } of parseYamlDocuments(text, file)) {
    const object = toK8sObject(data, file, line);
    if (object === undefined) continue;
    const items = object.body.items;
    if (object.kind.endsWith("List") && Array.isArray(items)) {
      for (const item of items) {
        const inner = toK8sObject(item, file, line);
        if (inner !== undefined) objects.push(inner);
      }
    } else {
      objects.push(object);
    }
  }
  return objects;
}
