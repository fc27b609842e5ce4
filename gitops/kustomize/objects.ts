import { K8sObject } from "../model";
import { emptyValuedKeys, groupOf, isRecord, setEmptyValuedKeys } from "../read/yaml";

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

/**
 * The name prefixes and suffixes each kustomization layer added, innermost first (kustomize's
 * `internal.config.kubernetes.io/prefixes|suffixes` build annotations, Resource.AddNamePrefix):
 * name references use them to choose between objects an old name may mean.
 */
export interface Affixes {
  prefixes: string[];
  suffixes: string[];
}
const affixes = new WeakMap<K8sObject, Affixes>();
const NO_AFFIXES: Affixes = { prefixes: [], suffixes: [] };

export function affixesOf(o: K8sObject): Affixes {
  return affixes.get(o) ?? NO_AFFIXES;
}

/** The object with a prefix and/or suffix recorded (empty ones are not, as appendCsvAnnotation). */
export function withAffixes(o: K8sObject, prefix: string, suffix: string): K8sObject {
  const current = affixesOf(o);
  affixes.set(o, {
    prefixes: prefix === "" ? current.prefixes : [...current.prefixes, prefix],
    suffixes: suffix === "" ? current.suffixes : [...current.suffixes, suffix],
  });
  return o;
}

/** Carries what the weak maps remember about `from` over to `to`, a new version of it. */
function carry(from: K8sObject, to: K8sObject): void {
  if (hashed.has(from)) hashed.add(to);
  if (shared.has(from)) shared.set(to, shared.get(from) as SharedValue[]);
  if (affixes.has(from)) affixes.set(to, affixes.get(from) as Affixes);
}

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
  const last = history[history.length - 1];
  const recorded = last !== undefined && sameId(last, before);
  previous.set(next, sameId(before, idOf(next)) || recorded ? history : [...history, before]);
  carry(o, next);
  return next;
}

/**
 * The object with its current id recorded as a previous one, changed or not, as kustomize's
 * Resource.StorePreviousId does in the transformers that may rename (api/resource/resource.go;
 * NamespaceTransformer, Prefix/SuffixTransformer, a JSON 6902 patch, the hash): name references
 * then count it among the candidates an old name may mean (nameref.go previousNameMatches).
 */
export function storePreviousId(o: K8sObject): K8sObject {
  const next: K8sObject = { ...o };
  const history = previous.get(o) ?? [];
  const current = idOf(o);
  const last = history[history.length - 1];
  previous.set(next, last !== undefined && sameId(last, current) ? history : [...history, current]);
  carry(o, next);
  return next;
}

/** A deep copy of a body, safe to change. */
export function cloneBody(o: K8sObject): Json {
  return cloneJson(o.body);
}

/** A deep copy of YAML data that keeps which keys were written with no value (gitops/read/yaml.ts emptyValuedKeys). */
export function cloneJson<T>(value: T): T {
  if (Array.isArray(value)) return value.map(cloneJson) as T;
  if (!isRecord(value)) return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === "__proto__") Object.defineProperty(out, k, { value: cloneJson(v), writable: true, enumerable: true, configurable: true });
    else out[k] = cloneJson(v);
  }
  const empty = emptyValuedKeys(value);
  if (empty !== undefined) setEmptyValuedKeys(out, empty);
  return out as T;
}

/** The object's metadata mapping, created when absent (on a body copy). */
export function metadataOf(body: Json): Json {
  if (!isRecord(body.metadata)) body.metadata = {};
  return body.metadata as Json;
}

/**
 * The types kustomize treats as cluster-scoped: kyaml's precomputedIsNamespaceScoped entries set
 * to false (kyaml/openapi/openapi.go at kyaml/v0.21.1, the kyaml of kustomize v5.8.1 that Flux
 * 2.9's kustomize-controller pins). Only the exact apiVersion and kind count: any other type,
 * newer ones too (ValidatingAdmissionPolicy, VolumeAttributesClass, FlowSchema v1), is
 * namespaceable to kustomize, so its `namespace:` sets their metadata.namespace. Checked against
 * kubectl kustomize (test/kustomize-diff/scope.test.ts).
 */
const CLUSTER_SCOPED_TYPES = new Set([
  "admissionregistration.k8s.io/v1 MutatingWebhookConfiguration", "admissionregistration.k8s.io/v1 ValidatingWebhookConfiguration",
  "admissionregistration.k8s.io/v1beta1 MutatingWebhookConfiguration", "admissionregistration.k8s.io/v1beta1 ValidatingWebhookConfiguration",
  "apiextensions.k8s.io/v1 CustomResourceDefinition", "apiextensions.k8s.io/v1beta1 CustomResourceDefinition",
  "apiregistration.k8s.io/v1 APIService", "apiregistration.k8s.io/v1beta1 APIService",
  "certificates.k8s.io/v1 CertificateSigningRequest", "certificates.k8s.io/v1beta1 CertificateSigningRequest",
  "flowcontrol.apiserver.k8s.io/v1beta1 FlowSchema", "flowcontrol.apiserver.k8s.io/v1beta1 PriorityLevelConfiguration",
  "networking.k8s.io/v1 IngressClass", "networking.k8s.io/v1beta1 IngressClass",
  "node.k8s.io/v1 RuntimeClass", "node.k8s.io/v1beta1 RuntimeClass",
  "policy/v1beta1 PodSecurityPolicy",
  "rbac.authorization.k8s.io/v1 ClusterRole", "rbac.authorization.k8s.io/v1 ClusterRoleBinding",
  "rbac.authorization.k8s.io/v1beta1 ClusterRole", "rbac.authorization.k8s.io/v1beta1 ClusterRoleBinding",
  "scheduling.k8s.io/v1 PriorityClass", "scheduling.k8s.io/v1beta1 PriorityClass",
  "storage.k8s.io/v1 CSIDriver", "storage.k8s.io/v1 CSINode", "storage.k8s.io/v1 StorageClass", "storage.k8s.io/v1 VolumeAttachment",
  "storage.k8s.io/v1beta1 CSIDriver", "storage.k8s.io/v1beta1 CSINode", "storage.k8s.io/v1beta1 StorageClass", "storage.k8s.io/v1beta1 VolumeAttachment",
  "v1 ComponentStatus", "v1 Namespace", "v1 Node", "v1 NodeProxyOptions", "v1 PersistentVolume",
]);

export function isClusterScoped(o: { group: string; version: string; kind: string }): boolean {
  return CLUSTER_SCOPED_TYPES.has(`${o.group === "" ? "" : `${o.group}/`}${o.version} ${o.kind}`);
}

/** resid.ResId.EffectiveNamespace: cluster-scoped ids have none, an empty namespace is "default". */
export function effectiveNamespace(id: ResId): string {
  if (isClusterScoped(id)) return "~X";
  return id.namespace === "" ? "default" : id.namespace;
}
