import { RE2JS } from "re2js";
import { K8sObject } from "../model";
import { isRecord } from "../read/yaml";
import { FieldSpec, pathSegments } from "./config";
import { cloneBody, idOf, idsOf, isClusterScoped, Json, metadataOf, setSharedValues, sharedValuesOf, storePreviousId, withAffixes, withBody } from "./objects";

/**
 * kustomize's builtin transformers that change names, namespaces, labels, annotations, images and
 * replicas. Each changes the object body itself, so later steps (a parent's patches) see the
 * result. Field specs are kustomize's defaults (api/internal/konfig/builtinpluginconsts/*.go).
 */


const fs = (path: string, create: boolean, kind?: string, group?: string, version?: string): FieldSpec => ({ path, create, kind, group, version });

/** builtinpluginconsts/metadatalabels.go (also the `templateLabels` set). */
const METADATA_LABELS: FieldSpec[] = [
  fs("metadata/labels", true),
  fs("spec/template/metadata/labels", true, "ReplicationController", undefined, "v1"),
  fs("spec/template/metadata/labels", true, "Deployment"),
  fs("spec/template/metadata/labels", true, "ReplicaSet"),
  fs("spec/template/metadata/labels", true, "DaemonSet"),
  fs("spec/template/metadata/labels", true, "StatefulSet", "apps"),
  fs("spec/volumeClaimTemplates[]/metadata/labels", true, "StatefulSet", "apps"),
  fs("spec/template/metadata/labels", true, "Job", "batch"),
  fs("spec/jobTemplate/metadata/labels", true, "CronJob", "batch"),
  fs("spec/jobTemplate/spec/template/metadata/labels", true, "CronJob", "batch"),
];

const AFFINITY = [
  "spec/template/spec/affinity/podAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels",
  "spec/template/spec/affinity/podAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
  "spec/template/spec/affinity/podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/labelSelector/matchLabels",
  "spec/template/spec/affinity/podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
  "spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels",
];

/** builtinpluginconsts/commonlabels.go: selectors too. */
const COMMON_LABELS: FieldSpec[] = [
  fs("spec/selector", true, "Service", undefined, "v1"),
  fs("spec/selector", true, "ReplicationController", undefined, "v1"),
  fs("spec/selector/matchLabels", true, "Deployment"),
  ...AFFINITY.map((p) => fs(p, false, "Deployment", "apps")),
  fs("spec/selector/matchLabels", true, "ReplicaSet"),
  fs("spec/selector/matchLabels", true, "DaemonSet"),
  fs("spec/selector/matchLabels", true, "StatefulSet", "apps"),
  ...AFFINITY.map((p) => fs(p, false, "StatefulSet", "apps")),
  fs("spec/selector/matchLabels", false, "Job", "batch"),
  fs("spec/jobTemplate/spec/selector/matchLabels", false, "CronJob", "batch"),
  fs("spec/selector/matchLabels", false, "PodDisruptionBudget", "policy"),
  fs("spec/podSelector/matchLabels", false, "NetworkPolicy", "networking.k8s.io"),
  fs("spec/ingress/from/podSelector/matchLabels", false, "NetworkPolicy", "networking.k8s.io"),
  fs("spec/egress/to/podSelector/matchLabels", false, "NetworkPolicy", "networking.k8s.io"),
  ...METADATA_LABELS,
];

/** builtinpluginconsts/commonannotations.go. */
const COMMON_ANNOTATIONS: FieldSpec[] = [
  fs("metadata/annotations", true),
  fs("spec/template/metadata/annotations", true, "ReplicationController", undefined, "v1"),
  fs("spec/template/metadata/annotations", true, "Deployment"),
  fs("spec/template/metadata/annotations", true, "ReplicaSet"),
  fs("spec/template/metadata/annotations", true, "DaemonSet"),
  fs("spec/template/metadata/annotations", true, "StatefulSet"),
  fs("spec/template/metadata/annotations", true, "Job", "batch"),
  fs("spec/jobTemplate/metadata/annotations", true, "CronJob", "batch"),
  fs("spec/jobTemplate/spec/template/metadata/annotations", true, "CronJob", "batch"),
];

/** builtinpluginconsts/replicas.go. */
const REPLICAS: FieldSpec[] = [
  fs("spec/replicas", true, "Deployment"),
  fs("spec/replicas", true, "ReplicationController"),
  fs("spec/replicas", true, "ReplicaSet"),
  fs("spec/replicas", true, "StatefulSet"),
];

function selects(spec: FieldSpec, o: K8sObject): boolean {
  const version = o.apiVersion.slice(o.apiVersion.indexOf("/") + 1);
  return (spec.kind === undefined || spec.kind === o.kind) && (spec.group === undefined || spec.group === o.group)
    && (spec.version === undefined || spec.version === version);
}

/**
 * Visits the field a spec names (api/filters/fsslice, fieldspec.go): a `[]` segment or a list
 * value fans out over its elements; missing maps are created only when `create` is set, lists never.
 */
function visit(node: Json, segments: string[], create: boolean, leaf: (parent: Json, key: string, at: string) => void, at = ""): void {
  const [head, ...rest] = segments;
  const isList = head.endsWith("[]");
  const key = isList ? head.slice(0, -2) : head;
  const here = at === "" ? key : `${at}/${key}`;
  if (rest.length === 0) {
    leaf(node, key, here);
    return;
  }
  let child = node[key];
  if (child === undefined || child === null) {
    if (!create || isList) return;
    child = {};
    node[key] = child;
  }
  if (Array.isArray(child)) {
    child.forEach((e, i) => { if (isRecord(e)) visit(e, rest, create, leaf, `${here}/${i}`); });
  } else if (isRecord(child)) {
    visit(child, rest, create, leaf, here);
  }
}

/** The map at a "a/b/0/c" path of a body, if it is there. */
function mapAt(body: Json, at: string): Json | undefined {
  let node: unknown = body;
  for (const part of at.split("/")) node = Array.isArray(node) ? node[Number(part)] : isRecord(node) ? node[part] : undefined;
  return isRecord(node) ? node : undefined;
}

/**
 * Adds string pairs to the maps the field specs name, as kustomize's labels/annotations filters
 * do, value nodes shared included (see SharedValue): a key new to several maps links them; setting
 * a key that is already there changes every map linked to it.
 */
function addPairs(objects: K8sObject[], pairs: Record<string, string>, specs: FieldSpec[]): K8sObject[] {
  if (Object.keys(pairs).length === 0) return objects;
  return objects.map((o) => {
    const applicable = specs.filter((s) => selects(s, o));
    if (applicable.length === 0) return o;
    const body = cloneBody(o);
    let links = sharedValuesOf(o);
    for (const [key, value] of Object.entries(pairs)) {
      const fresh: string[] = [];
      for (const spec of applicable) {
        visit(body, pathSegments(spec.path), spec.create, (parent, field, at) => {
          let map = parent[field];
          if (map === undefined || map === null) {
            if (!spec.create) return;
            map = {};
            parent[field] = map;
          }
          if (!isRecord(map)) return;
          if (Object.prototype.hasOwnProperty.call(map, key)) {
            const link = links.find((l) => l.key === key && l.paths.includes(at));
            for (const other of link?.paths ?? []) {
              const m = mapAt(body, other);
              if (m !== undefined && Object.prototype.hasOwnProperty.call(m, key)) m[key] = value;
            }
            map[key] = value;
          } else {
            map[key] = value;
            fresh.push(at);
          }
        });
      }
      if (fresh.length > 1) links = [...links, { key, paths: fresh }];
    }
    return setSharedValues(withBody(o, body), links);
  });
}

/** kustomize `labels:` entries (api/types/labels.go) then `commonLabels`, as the LabelTransformer is configured. */
export function withLabels(objects: K8sObject[], k: Json, configured: FieldSpec[] = []): K8sObject[] {
  let out = objects;
  const commonLabels = configured.length === 0 ? COMMON_LABELS : [...COMMON_LABELS, ...configured];
  for (const entry of Array.isArray(k.labels) ? k.labels : []) {
    if (!isRecord(entry) || !isRecord(entry.pairs)) continue;
    const specs = entry.includeSelectors === true ? commonLabels
      : entry.includeTemplates === true ? METADATA_LABELS : [fs("metadata/labels", true)];
    out = addPairs(out, stringPairs(entry.pairs), specs);
  }
  if (isRecord(k.commonLabels)) out = addPairs(out, stringPairs(k.commonLabels), commonLabels);
  return out;
}

export function withAnnotations(objects: K8sObject[], annotations: Json, configured: FieldSpec[] = []): K8sObject[] {
  return addPairs(objects, stringPairs(annotations), [...COMMON_ANNOTATIONS, ...configured]);
}

/** Label and annotation values are strings; YAML scalars are written as kustomize prints them. */
export function stringPairs(m: Json): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m)) out[k] = v === null ? "" : String(v);
  return out;
}

/**
 * kustomize `namespace:` (api/filters/namespace): metadata.namespace of every namespaced object,
 * the name of `v1` Namespace objects, APIService and CRD conversion webhook services, and the
 * namespace of (Cluster)RoleBinding subjects named `default`.
 */
export function withNamespace(objects: K8sObject[], namespace: string): K8sObject[] {
  return objects.map((original) => {
    const o = storePreviousId(original); // every object, changed or not (NamespaceTransformer.go)
    const body = cloneBody(o);
    const meta = metadataOf(body);
    if (!isClusterScoped(idOf(o))) meta.namespace = namespace;
    if (o.kind === "Namespace" && o.apiVersion === "v1") meta.name = namespace;
    const setIfPresent = (path: string[], create: boolean) =>
      visit(body, path, create, (parent, key) => {
        if (create || parent[key] !== undefined) parent[key] = namespace;
      });
    if (o.kind === "APIService" && o.group === "apiregistration.k8s.io") setIfPresent(["spec", "service", "namespace"], true);
    if (o.kind === "CustomResourceDefinition" && o.group === "apiextensions.k8s.io") {
      setIfPresent(["spec", "conversion", "webhook", "clientConfig", "service", "namespace"], false);
    }
    if ((o.kind === "RoleBinding" || o.kind === "ClusterRoleBinding") && Array.isArray(body.subjects)) {
      for (const s of body.subjects) if (isRecord(s) && s.name === "default") s.namespace = namespace;
    }
    return withBody(o, body);
  });
}

/** kustomize `namePrefix`/`nameSuffix` (api/internal/builtins/PrefixTransformer.go): CRDs, APIServices and Namespaces keep their names. */
export function withNameAffixes(objects: K8sObject[], prefix: string, suffix: string): K8sObject[] {
  if (prefix === "" && suffix === "") return objects;
  return objects.map((o) => {
    if (o.kind === "CustomResourceDefinition" || o.kind === "Namespace" || (o.kind === "APIService" && o.group === "apiregistration.k8s.io")) return o;
    const body = cloneBody(o);
    const meta = metadataOf(body);
    meta.name = `${prefix}${typeof meta.name === "string" ? meta.name : ""}${suffix}`;
    // The id before the affix is remembered (PrefixTransformer.go StorePreviousId), and the affix itself (AddNamePrefix).
    return withAffixes(withBody(o, body), prefix, suffix);
  });
}

/** A transformer kustomize would refuse to run (the build of that directory fails). */
export class TransformError extends Error {}

/**
 * kustomize `replicas:` (api/internal/builtins/ReplicaCountTransformer.go): the objects whose
 * original or current name is the entry's name, of the kinds that have replicas; none is an error.
 */
export function withReplicas(objects: K8sObject[], replicas: unknown[], configured: FieldSpec[] = []): K8sObject[] {
  const fieldSpecs = [...REPLICAS, ...configured];
  let out = objects;
  for (const r of replicas) {
    if (!isRecord(r) || typeof r.name !== "string") continue;
    let found = false;
    out = out.map((o) => {
      if (!idsOf(o).some((id) => id.name === r.name)) return o;
      const specs = fieldSpecs.filter((s) => selects(s, o));
      if (specs.length === 0) return o;
      found = true;
      const body = cloneBody(o);
      for (const s of specs) visit(body, pathSegments(s.path), s.create, (parent, key) => { parent[key] = r.count ?? 0; });
      return withBody(o, body);
    });
    if (!found) throw new TransformError(`replicas: no Deployment, ReplicationController, ReplicaSet or StatefulSet is named ${r.name}`);
  }
  return out;
}

/** api/internal/image/image.go Split: name, tag, digest. */
function splitImage(image: string): [string, string, string] {
  const slash = image.indexOf("/");
  const search = slash > 0 ? image.slice(slash) : image;
  const base = slash > 0 ? slash : 0;
  const id = search.indexOf("@");
  const ic = search.indexOf(":");
  if (ic < 0 && id < 0) return [image, "", ""];
  if (id >= 0 && (id < ic || ic < 0)) return [image.slice(0, id + base), "", image.slice(id + base + 1)];
  if (id >= 0 && ic >= 0) return [image.slice(0, ic + base), image.slice(ic + base + 1, id + base), image.slice(id + base + 1)];
  return [image.slice(0, ic + base), image.slice(ic + base + 1), ""];
}

const imagePatterns = new Map<string, RE2JS | null>();

/** api/internal/image/image.go IsImageMatched: the name as a (Go, unanchored-inside) pattern plus optional tag and digest. */
function imageMatches(value: string, name: string): boolean {
  let re = imagePatterns.get(name);
  if (re === undefined) {
    try {
      re = RE2JS.compile(`^${name}(:[a-zA-Z0-9_.{}-]*)?(@sha256:[a-zA-Z0-9_.{}-]*)?$`);
    } catch {
      re = null;
    }
    imagePatterns.set(name, re);
  }
  return re !== null && re.matcher(value).matches();
}

function newImage(value: string, image: Json): string {
  let [name, tag, digest] = splitImage(value);
  if (typeof image.newName === "string" && image.newName !== "") name = image.newName;
  const newTag = image.newTag === undefined || image.newTag === null ? "" : String(image.newTag);
  const newDigest = typeof image.digest === "string" ? image.digest : "";
  if (newTag !== "" && newDigest !== "") [tag, digest] = [newTag, newDigest];
  else if (newTag !== "") [tag, digest] = [newTag, ""];
  else if (newDigest !== "") [tag, digest] = ["", newDigest];
  return name + (tag !== "" ? `:${tag}` : "") + (digest !== "" ? `@${digest}` : "");
}

/**
 * kustomize `images:` (api/filters/imagetag, LegacyFilter): the `image` of every element of any
 * `containers`/`initContainers` list anywhere in the object, CRDs excepted.
 */
export function withImages(objects: K8sObject[], images: unknown[], configured: FieldSpec[] = []): K8sObject[] {
  const entries = images.filter((i): i is Json => isRecord(i) && typeof i.name === "string");
  if (entries.length === 0) return objects;
  return objects.map((o) => {
    if (o.kind === "CustomResourceDefinition") return o;
    const body = cloneBody(o);
    let changed = false;
    // Then the configured field specs (ImageTagTransformer.go: LegacyFilter, then Filter over the
    // field specs; a value that names none of the images is left as it is).
    const setAt = (parent: Json, key: string) => {
      for (const image of entries) {
        const current = parent[key];
        if (typeof current === "string" && imageMatches(current, image.name as string)) {
          parent[key] = newImage(current, image);
          changed = true;
        }
      }
    };
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) {
        node.forEach(walk);
      } else if (isRecord(node)) {
        for (const [key, value] of Object.entries(node)) {
          walk(value);
          if ((key === "containers" || key === "initContainers") && Array.isArray(value)) {
            for (const c of value) {
              if (!isRecord(c)) continue;
              for (const image of entries) {
                const current = c.image;
                if (typeof current === "string" && imageMatches(current, image.name as string)) {
                  c.image = newImage(current, image);
                  changed = true;
                }
              }
            }
          }
        }
      }
    };
    walk(body);
    for (const spec of configured) if (selects(spec, o)) visit(body, pathSegments(spec.path), false, setAt);
    return changed ? withBody(o, body) : o;
  });
}
