import { K8sObject, Unresolved } from "../model";
import { isRecord } from "../read/yaml";
import { cloneJson, effectiveNamespace, idOf, idsOf, Json, withBody } from "./objects";

/**
 * kustomize's last step before output, FixBackReferences (api/internal/target/kusttarget.go,
 * api/filters/nameref): a field that names an object renamed during the build (prefix, suffix,
 * content hash) is changed to the new name. Modelled for the references a pod spec makes
 * (builtinpluginconsts/namereference.go: ConfigMap and Secret volumes, env, envFrom, projected
 * sources, imagePullSecrets; serviceAccountName); any other built-in field that still names a
 * renamed object is reported, never left silently different.
 */

/** Where each kind keeps its pod spec. */
const POD_SPEC: Record<string, string[]> = {
  Pod: ["spec"],
  PodTemplate: ["template", "spec"],
  Deployment: ["spec", "template", "spec"],
  ReplicaSet: ["spec", "template", "spec"],
  ReplicationController: ["spec", "template", "spec"],
  DaemonSet: ["spec", "template", "spec"],
  StatefulSet: ["spec", "template", "spec"],
  Job: ["spec", "template", "spec"],
  CronJob: ["spec", "jobTemplate", "spec", "template", "spec"],
};

/** Kinds whose renaming kustomize follows in other objects' fields (namereference.go). */
const REFERENCED_KINDS = new Set([
  "ConfigMap", "Secret", "ServiceAccount", "Service", "Role", "ClusterRole", "PersistentVolumeClaim", "PersistentVolume",
  "StorageClass", "PriorityClass", "IngressClass", "Deployment", "StatefulSet", "ReplicaSet", "ReplicationController",
  "ValidatingAdmissionPolicy",
]);

const isBuiltinGroup = (g: string) => g === "" || !g.includes(".") || g.endsWith(".k8s.io");

interface Renamed {
  object: K8sObject;
  kind: string;
  /** Names it had before, not its current one. */
  previous: Set<string>;
}

function renamedObjects(objects: K8sObject[]): Renamed[] {
  const out: Renamed[] = [];
  for (const o of objects) {
    if (!REFERENCED_KINDS.has(o.kind)) continue;
    const previous = new Set(idsOf(o).map((id) => id.name).filter((n) => n !== o.name));
    if (previous.size > 0) out.push({ object: o, kind: o.kind, previous });
  }
  return out;
}

/** The one renamed object of `kind` that had `name` and lives in the referrer's namespace. */
function target(renamed: Renamed[], kind: string, name: string, referrer: K8sObject): K8sObject | undefined {
  const ns = effectiveNamespace(idOf(referrer));
  const found = renamed.filter((r) => r.kind === kind && r.previous.has(name) && effectiveNamespace(idOf(r.object)) === ns);
  return found.length === 1 ? found[0].object : undefined;
}

function podSpecRefs(spec: Json): { holder: Json; field: string; kind: string }[] {
  const refs: { holder: Json; field: string; kind: string }[] = [];
  const records = (v: unknown) => (Array.isArray(v) ? v.filter(isRecord) : []);
  if (typeof spec.serviceAccountName === "string") refs.push({ holder: spec, field: "serviceAccountName", kind: "ServiceAccount" });
  for (const s of records(spec.imagePullSecrets)) refs.push({ holder: s, field: "name", kind: "Secret" });
  for (const v of records(spec.volumes)) {
    if (isRecord(v.configMap)) refs.push({ holder: v.configMap, field: "name", kind: "ConfigMap" });
    if (isRecord(v.secret)) refs.push({ holder: v.secret, field: "secretName", kind: "Secret" });
    if (isRecord(v.projected)) {
      for (const src of records(v.projected.sources)) {
        if (isRecord(src.configMap)) refs.push({ holder: src.configMap, field: "name", kind: "ConfigMap" });
        if (isRecord(src.secret)) refs.push({ holder: src.secret, field: "name", kind: "Secret" });
      }
    }
  }
  for (const c of [...records(spec.containers), ...records(spec.initContainers)]) {
    for (const e of records(c.env)) {
      const from = isRecord(e.valueFrom) ? e.valueFrom : {};
      if (isRecord(from.configMapKeyRef)) refs.push({ holder: from.configMapKeyRef, field: "name", kind: "ConfigMap" });
      if (isRecord(from.secretKeyRef)) refs.push({ holder: from.secretKeyRef, field: "name", kind: "Secret" });
    }
    for (const e of records(c.envFrom)) {
      if (isRecord(e.configMapRef)) refs.push({ holder: e.configMapRef, field: "name", kind: "ConfigMap" });
      if (isRecord(e.secretRef)) refs.push({ holder: e.secretRef, field: "name", kind: "Secret" });
    }
  }
  return refs;
}

function podSpecOf(body: Json, kind: string): Json | undefined {
  let node: unknown = body;
  for (const key of POD_SPEC[kind] ?? []) node = isRecord(node) ? node[key] : undefined;
  return POD_SPEC[kind] !== undefined && isRecord(node) ? node : undefined;
}

/** The objects with pod-spec references to renamed objects fixed, and the references not modelled. */
export function fixNameReferences(objects: K8sObject[]): { objects: K8sObject[]; unresolved: Unresolved[] } {
  const renamed = renamedObjects(objects);
  if (renamed.length === 0) return { objects, unresolved: [] };
  const unresolved: Unresolved[] = [];
  const fixed = objects.map((o) => {
    if (!isBuiltinGroup(o.group)) return o;
    let body = o.body;
    const spec = podSpecOf(body, o.kind);
    if (spec !== undefined && podSpecRefs(spec).some((r) => target(renamed, r.kind, String(r.holder[r.field]), o) !== undefined)) {
      body = cloneJson(o.body);
      for (const r of podSpecRefs(podSpecOf(body, o.kind) as Json)) {
        const t = target(renamed, r.kind, String(r.holder[r.field]), o);
        if (t !== undefined) r.holder[r.field] = t.name;
      }
    }
    // Anything else that still names a renamed object: kustomize may rewrite it; say so.
    // Only objects kustomize could match: same namespace as the referrer, or cluster-scoped.
    const ns = effectiveNamespace(idOf(o));
    const previous = new Set(renamed
      .filter((r) => r.object !== o && [ns, "~X"].includes(effectiveNamespace(idOf(r.object))))
      .flatMap((r) => [...r.previous]));
    const walk = (node: unknown, at: string): void => {
      if (typeof node === "string") {
        if (previous.has(node) && at !== "metadata.name" && at !== "metadata.namespace" && !at.startsWith("metadata.labels") && !at.startsWith("metadata.annotations")) {
          unresolved.push({ reason: "unsupported-kustomize", ref: `name reference ${at}: ${node} in ${o.kind} ${o.name} (renamed in this build)`, source: o.source });
        }
      } else if (Array.isArray(node)) node.forEach((e, i) => walk(e, `${at}[${i}]`));
      else if (isRecord(node)) for (const [k, v] of Object.entries(node)) walk(v, at === "" ? k : `${at}.${k}`);
    };
    walk(body, "");
    return body === o.body ? o : withBody(o, body);
  });
  return { objects: fixed, unresolved };
}
