import { K8sObject } from "../model";
import { groupOf, isRecord } from "../yaml";

export type Json = Record<string, unknown>;

/**
 * An object's identity as kustomize's resid.ResId holds it (api/resid? kyaml/resid/resid.go):
 * group, version, kind, name and namespace.
 */
export interface ResId {
  group: string;
  version: string;
  kind: string;
  name: string;
  namespace: string;
}

/**
 * Every identity an object had before its current one, oldest first (kustomize keeps them in the
 * `internal.config.kubernetes.io/previous*` annotations, api/resource/resource.go StorePreviousId):
 * a patch may name an object by its original or its current id. Kept beside the object, not in it,
 * because objects are shared between cached builds and never mutated.
 */
const previous = new WeakMap<K8sObject, ResId[]>();

/**
 * Label and annotation values kustomize shares between fields. Its labels and annotations filters
 * (api/filters/labels, annotations) create ONE value node per key and set it into every field the
 * field specs name (metadata, selector, template...); a later transformer that sets the same key on
 * one of those fields changes that node in place, so all of them change. `paths` are the maps
 * ("metadata/labels", "spec/template/metadata/labels") holding the shared node for `key`.
 */
export interface SharedValue {
  key: string;
  paths: string[];
}
const shared = new WeakMap<K8sObject, SharedValue[]>();

export function sharedValuesOf(o: K8sObject): SharedValue[] {
  return shared.get(o) ?? [];
}

export function setSharedValues(o: K8sObject, values: SharedValue[]): K8sObject {
  shared.set(o, values);
  return o;
}

/** Generated ConfigMaps and Secrets that get kustomize's content-hash suffix at the end of the build. */
const hashed = new WeakSet<K8sObject>();

export function idOf(o: K8sObject): ResId {
  const slash = o.apiVersion.indexOf("/");
  return { group: o.group, version: o.apiVersion.slice(slash + 1), kind: o.kind, name: o.name, namespace: o.namespace ?? "" };
}

/** The original id first, then later ones, then the current one. */
export function idsOf(o: K8sObject): ResId[] {
  return [...(previous.get(o) ?? []), idOf(o)];
}

export function originalIdOf(o: K8sObject): ResId {
  return previous.get(o)?.[0] ?? idOf(o);
}

export function needsHash(o: K8sObject): boolean {
  return hashed.has(o);
}

export function markNeedsHash(o: K8sObject): K8sObject {
  hashed.add(o);
  return o;
}

export function clearNeedsHash(o: K8sObject): K8sObject {
  hashed.delete(o);
  return o;
}

const sameId = (a: ResId, b: ResId) =>
  a.group === b.group && a.version === b.version && a.kind === b.kind && a.name === b.name && a.namespace === b.namespace;

/**
 * The object with a new body: identity fields are read back from the body, the history and the
 * hash mark carry over, and a changed identity is remembered as a previous id.
 */
export function withBody(o: K8sObject, body: Json): K8sObject {
  const meta = isRecord(body.metadata) ? body.metadata : {};
  const apiVersion = typeof body.apiVersion === "string" ? body.apiVersion : o.apiVersion;
  const next: K8sObject = {
    apiVersion,
    kind: typeof body.kind === "string" ? body.kind : o.kind,
    group: groupOf(apiVersion),
    name: typeof meta.name === "string" ? meta.name : "",
    namespace: typeof meta.namespace === "string" && meta.namespace !== "" ? meta.namespace : undefined,
    body,
    source: o.source,
  };
  const before = idOf(o);
  const history = previous.get(o) ?? [];
  previous.set(next, sameId(before, idOf(next)) ? history : [...history, before]);
  if (hashed.has(o)) hashed.add(next);
  if (shared.has(o)) shared.set(next, shared.get(o) as SharedValue[]);
  return next;
}

/** A deep copy of a body, safe to change. */
export function cloneBody(o: K8sObject): Json {
  return structuredClone(o.body);
}

/** The object's metadata mapping, created when absent (on a body copy). */
export function metadataOf(body: Json): Json {
  if (!isRecord(body.metadata)) body.metadata = {};
  return body.metadata as Json;
}

/**
 * Kinds kyaml's built-in schema marks cluster-scoped (kyaml/openapi, IsNamespaceScoped): the
 * namespace transformer leaves them alone. Custom kinds are namespaced unless a CRD says otherwise.
 */
const CLUSTER_SCOPED_KINDS = new Set([
  "Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
  "StorageClass", "PriorityClass", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration",
  "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "MutatingAdmissionPolicy",
  "MutatingAdmissionPolicyBinding", "APIService", "CSIDriver", "CSINode", "VolumeAttachment", "IngressClass",
  "RuntimeClass", "PodSecurityPolicy", "CertificateSigningRequest", "FlowSchema", "PriorityLevelConfiguration",
  "ComponentStatus", "VolumeAttributesClass", "DeviceClass", "ClusterTrustBundle", "IPAddress", "ServiceCIDR",
  "TokenReview", "SelfSubjectReview", "SelfSubjectAccessReview", "SelfSubjectRulesReview", "SubjectAccessReview",
]);

export function isClusterScoped(o: { group: string; kind: string }): boolean {
  const builtin = o.group === "" || !o.group.includes(".") || o.group.endsWith(".k8s.io");
  return builtin && CLUSTER_SCOPED_KINDS.has(o.kind);
}

/** resid.ResId.EffectiveNamespace: cluster-scoped ids have none, an empty namespace is "default". */
export function effectiveNamespace(id: ResId): string {
  if (isClusterScoped(id)) return "~X";
  return id.namespace === "" ? "default" : id.namespace;
}
