import { K8sObject, Unresolved } from "../model";
import { isRecord } from "../read/yaml";
import { FieldSpec, NameBackReference, pathSegments } from "./config";
import { affixesOf, cloneJson, effectiveNamespace, idOf, idsOf, isClusterScoped, Json, originalIdOf, ResId, withBody } from "./objects";

/**
 * kustomize's last step before output, FixBackReferences (api/internal/target/kusttarget.go
 * makeCustomizedResMap; api/internal/accumulator/namereferencetransformer.go;
 * api/filters/nameref/nameref.go, kustomize v5.5.0): a field that names an object renamed during
 * the build (prefix, suffix, namespace, content hash) is changed to its new name, and a
 * `{name, namespace}` reference (RoleBinding subjects, webhook services) to its new namespace too.
 * The fields are kustomize's default name references (below, from
 * api/internal/konfig/builtinpluginconsts/namereference.go) plus what `configurations:` adds.
 */

type Holder = [kind: string, podSpec: string];

/** Where each workload keeps its pod spec, as the default table lists them. */
const POD = (kinds: string[]): Holder[] => kinds.map((kind) => [kind, POD_SPEC_AT[kind]]);
const POD_SPEC_AT: Record<string, string> = {
  Pod: "spec",
  PodTemplate: "template/spec",
  Deployment: "spec/template/spec",
  ReplicaSet: "spec/template/spec",
  ReplicationController: "spec/template/spec",
  DaemonSet: "spec/template/spec",
  StatefulSet: "spec/template/spec",
  Job: "spec/template/spec",
  CronJob: "spec/jobTemplate/spec/template/spec",
};

/** Every (holder kind, pod-spec-relative path) pair as field specs. */
function inPodSpecs(holders: Holder[], paths: string[]): FieldSpec[] {
  return holders.flatMap(([kind, at]) => paths.map((p) => ({ path: `${at}/${p}`, create: false, kind })));
}

const spec = (kind: string, path: string, group?: string, version?: string): FieldSpec => ({ path, create: false, kind, group, version });

const CONFIG_HOLDERS = POD(["Pod", "PodTemplate", "Deployment", "ReplicaSet", "DaemonSet", "StatefulSet", "Job", "CronJob"]);
const WORKLOADS = POD(["Pod", "StatefulSet", "Deployment", "ReplicationController", "CronJob", "Job", "DaemonSet"]);
const IN_CONTAINERS = (ref: string) => [`containers/env/valueFrom/${ref}KeyRef/name`, `initContainers/env/valueFrom/${ref}KeyRef/name`,
  `containers/envFrom/${ref}Ref/name`, `initContainers/envFrom/${ref}Ref/name`];

/** The default name references (kustomize v5.5.0), in this project's form. */
export const DEFAULT_NAME_REFERENCES: NameBackReference[] = [
  ...["Deployment", "ReplicationController", "ReplicaSet", "StatefulSet"].map((kind) => ({
    target: { kind }, referrers: [spec("HorizontalPodAutoscaler", "spec/scaleTargetRef/name")],
  })),
  {
    target: { kind: "ConfigMap", version: "v1" },
    referrers: [
      ...inPodSpecs(CONFIG_HOLDERS, ["volumes/configMap/name", ...IN_CONTAINERS("configMap"), "volumes/projected/sources/configMap/name"]),
      spec("Node", "spec/configSource/configMap"),
      spec("Role", "rules/resourceNames"),
      spec("ClusterRole", "rules/resourceNames"),
      spec("Ingress", "metadata/annotations/nginx.ingress.kubernetes.io\\/fastcgi-params-configmap"),
    ],
  },
  {
    target: { kind: "Secret", version: "v1" },
    referrers: [
      ...inPodSpecs(CONFIG_HOLDERS, ["volumes/secret/secretName", ...IN_CONTAINERS("secret"), "imagePullSecrets/name", "volumes/projected/sources/secret/name"]),
      spec("Ingress", "spec/tls/secretName"),
      ...["ingress.kubernetes.io", "nginx.ingress.kubernetes.io"].map((g) => spec("Ingress", `metadata/annotations/${g}\\/auth-secret`)),
      spec("Ingress", "metadata/annotations/nginx.ingress.kubernetes.io\\/auth-tls-secret"),
      spec("ServiceAccount", "imagePullSecrets/name"),
      ...["secretName", "adminSecretName", "userSecretName", "secretRef"].map((p) => spec("StorageClass", `parameters/${p}`)),
      spec("Role", "rules/resourceNames"),
      spec("ClusterRole", "rules/resourceNames"),
      spec("Service", "spec/template/spec/containers/env/valueFrom/secretKeyRef/name", "serving.knative.dev", "v1"),
      spec("PersistentVolume", "spec/azureFile/secretName"),
    ],
  },
  {
    target: { kind: "Service", version: "v1" },
    referrers: [
      spec("StatefulSet", "spec/serviceName", "apps"),
      spec("Ingress", "spec/rules/http/paths/backend/serviceName"),
      spec("Ingress", "spec/backend/serviceName"),
      spec("Ingress", "spec/rules/http/paths/backend/service/name"),
      spec("Ingress", "spec/defaultBackend/service/name"),
      spec("APIService", "spec/service/name", "apiregistration.k8s.io"),
      spec("ValidatingWebhookConfiguration", "webhooks/clientConfig/service", "admissionregistration.k8s.io"),
      spec("MutatingWebhookConfiguration", "webhooks/clientConfig/service", "admissionregistration.k8s.io"),
    ],
  },
  { target: { kind: "Role", group: "rbac.authorization.k8s.io" }, referrers: [spec("RoleBinding", "roleRef/name", "rbac.authorization.k8s.io")] },
  {
    target: { kind: "ClusterRole", group: "rbac.authorization.k8s.io" },
    referrers: ["RoleBinding", "ClusterRoleBinding"].map((k) => spec(k, "roleRef/name", "rbac.authorization.k8s.io")),
  },
  {
    target: { kind: "ServiceAccount", version: "v1" },
    referrers: [
      ...["RoleBinding", "ClusterRoleBinding"].map((k) => spec(k, "subjects", "rbac.authorization.k8s.io")),
      ...inPodSpecs(WORKLOADS, ["serviceAccountName"]),
    ],
  },
  { target: { kind: "PersistentVolumeClaim", version: "v1" }, referrers: inPodSpecs(WORKLOADS, ["volumes/persistentVolumeClaim/claimName"]) },
  {
    target: { kind: "PersistentVolume", version: "v1" },
    referrers: [spec("PersistentVolumeClaim", "spec/volumeName"), spec("ClusterRole", "rules/resourceNames")],
  },
  {
    target: { kind: "StorageClass", version: "v1", group: "storage.k8s.io" },
    referrers: [
      spec("PersistentVolume", "spec/storageClassName"),
      spec("PersistentVolumeClaim", "spec/storageClassName"),
      spec("StatefulSet", "spec/volumeClaimTemplates/spec/storageClassName"),
    ],
  },
  { target: { kind: "PriorityClass", version: "v1", group: "scheduling.k8s.io" }, referrers: inPodSpecs(WORKLOADS, ["priorityClassName"]) },
  // The default table gives the group as "networking.k8s.io/v1", which no object's group equals:
  // kustomize never follows an IngressClass rename, and neither does this.
  { target: { kind: "IngressClass", version: "v1", group: "networking.k8s.io/v1" }, referrers: [spec("Ingress", "spec/ingressClassName")] },
  {
    target: { kind: "ValidatingAdmissionPolicy", group: "admissionregistration.k8s.io" },
    referrers: [spec("ValidatingAdmissionPolicyBinding", "spec/policyName", "admissionregistration.k8s.io")],
  },
];

/** resid.Gvk.IsSelected: an empty selector field matches anything. */
function selected(id: ResId, sel: { group?: string; version?: string; kind?: string }): boolean {
  return (sel.kind === undefined || sel.kind === id.kind) && (sel.group === undefined || sel.group === id.group)
    && (sel.version === undefined || sel.version === id.version);
}

/** Ids the object had before its current one (Resource.PrevIds). */
function previousIds(o: K8sObject): ResId[] {
  return idsOf(o).slice(0, -1);
}

/** reswrangler.go SubsetThatCouldBeReferencedByResource. */
function couldBeReferencedBy(referrer: K8sObject, objects: K8sObject[]): K8sObject[] {
  const rid = idOf(referrer);
  if (isClusterScoped(rid)) return objects;
  const subjectNamespaces = new Set<string>();
  if (referrer.kind === "RoleBinding" && Array.isArray(referrer.body.subjects)) {
    for (const s of referrer.body.subjects) if (isRecord(s) && s.kind === "ServiceAccount" && typeof s.namespace === "string") subjectNamespaces.add(s.namespace);
  }
  return objects.filter((o) => {
    const id = idOf(o);
    return isClusterScoped(id) || effectiveNamespace(id) === effectiveNamespace(rid) || subjectNamespaces.has(o.namespace ?? "");
  });
}

/** utils.SameEndingSubSlice: one list ends the other (both empty counts; one empty does not). */
function sameEnding(a: string[], b: string[]): boolean {
  const [short, long] = a.length <= b.length ? [a, b] : [b, a];
  if (short.length === 0) return long.length === 0;
  const diff = long.length - short.length;
  return short.every((x, i) => long[i + diff] === x);
}

/** Resource.PrefixesSuffixesEquals: the prefixes and suffixes two objects were given agree. */
function affixesAgree(a: K8sObject, b: K8sObject, allowEmpty: boolean): boolean {
  const x = affixesOf(a);
  const y = affixesOf(b);
  const part = (p: string[], q: string[]) => (allowEmpty && (p.length === 0 || q.length === 0)) || sameEnding(p, q);
  return part(x.prefixes, y.prefixes) && part(x.suffixes, y.suffixes);
}

/** A reference kustomize refuses: several possible targets that the prefixes and suffixes do not decide. */
interface Ambiguity {
  field: string;
  name: string;
  candidates: K8sObject[];
}

class Fixer {
  ambiguities: Ambiguity[] = [];
  constructor(private referrer: K8sObject, private spec: FieldSpec, private target: NameBackReference["target"], private candidates: K8sObject[]) {}

  /** nameref.go selectReferral: previous names, kind, roleRef, namespace, then prefixes and suffixes. */
  private select(oldName: string, pool: K8sObject[], identical: (c: K8sObject[]) => boolean): K8sObject | undefined {
    const rid = idOf(this.referrer);
    let c = pool.filter((o) => previousIds(o).some((id) => id.name === oldName));
    c = c.filter((o) => previousIds(o).some((id) => selected(id, this.target)));
    if (this.spec.path.endsWith("roleRef/name")) {
      const roleRef = this.referrer.body.roleRef;
      if (isRecord(roleRef) && typeof roleRef.apiGroup === "string" && typeof roleRef.kind === "string") {
        const sel = { group: roleRef.apiGroup, kind: roleRef.kind };
        c = c.filter((o) => previousIds(o).some((id) => selected(id, sel)));
      }
    }
    if (!isClusterScoped(rid)) {
      c = c.filter((o) => isClusterScoped(idOf(o)) || o.kind === "ServiceAccount" || effectiveNamespace(idOf(o)) === effectiveNamespace(rid));
    }
    if (c.length === 1) return c[0];
    c = c.filter((o) => affixesAgree(o, this.referrer, true));
    if (c.length > 1) c = c.filter((o) => affixesAgree(o, this.referrer, false));
    if (c.length === 0) return undefined;
    if (c.length === 1 || identical(c)) return c[0];
    this.ambiguities.push({ field: this.spec.path, name: oldName, candidates: c });
    return undefined;
  }

  /** nameref.go setScalar. */
  scalar(holder: Json | unknown[], key: string | number): void {
    const value = (holder as Record<string | number, unknown>)[key];
    if (typeof value !== "string") return;
    const referral = this.select(value, this.candidates, (c) => c.every((o) => o.name === c[0].name));
    if (referral !== undefined && referral.name !== value) (holder as Record<string | number, unknown>)[key] = referral.name;
  }

  /** nameref.go setMapping: `name`, and `namespace` when the referral has one. */
  mapping(node: Json): void {
    if (typeof node.name !== "string") return;
    let pool = this.candidates;
    if (typeof node.namespace === "string") {
      const ns = node.namespace;
      // GroupedByOriginalNamespace, then GroupedByCurrentNamespace: keyed by effective namespace.
      const byOriginal = pool.filter((o) => effectiveNamespace(originalIdOf(o)) === ns);
      pool = byOriginal.length > 0 ? byOriginal : pool.filter((o) => effectiveNamespace(idOf(o)) === ns);
    }
    const referral = this.select(node.name, pool, (c) => c.every((o) => o.name === c[0].name && o.namespace === c[0].namespace));
    if (referral === undefined) return;
    if (referral.name === node.name && (referral.namespace ?? "") === "") return;
    node.name = referral.name;
    if ((referral.namespace ?? "") !== "") node.namespace = referral.namespace;
  }

  /** nameref.go set: a scalar, a map, or a list of either. */
  set(holder: Json, key: string): void {
    const value = holder[key];
    if (value === undefined || value === null) return;
    if (typeof value === "string") this.scalar(holder, key);
    else if (isRecord(value)) this.mapping(value);
    else if (Array.isArray(value)) {
      value.forEach((e, i) => {
        if (typeof e === "string") this.scalar(value, i);
        else if (isRecord(e)) this.mapping(e);
      });
    }
  }
}

/** fieldspec.Filter: walks the path, fanning out over lists; never creates a field. */
function visitField(node: Json, segments: string[], leaf: (holder: Json, key: string) => void): void {
  const [head, ...rest] = segments;
  if (rest.length === 0) {
    leaf(node, head);
    return;
  }
  const child = node[head];
  if (Array.isArray(child)) child.forEach((e) => { if (isRecord(e)) visitField(e, rest, leaf); });
  else if (isRecord(child)) visitField(child, rest, leaf);
}

/**
 * The objects with their references to renamed objects following the new names, and the
 * references kustomize refuses (several candidates that prefixes and suffixes do not decide).
 */
export function fixNameReferences(objects: K8sObject[], extra: NameBackReference[] = []): { objects: K8sObject[]; unresolved: Unresolved[] } {
  const renamed = objects.filter((o) => previousIds(o).length > 0);
  if (renamed.length === 0) return { objects, unresolved: [] };
  const table = [...DEFAULT_NAME_REFERENCES, ...extra];
  const unresolved: Unresolved[] = [];
  const fixed = objects.map((o) => {
    const orgId = originalIdOf(o);
    let body: Json | undefined;
    for (const ref of table) {
      const specs = ref.referrers.filter((s) => selected(orgId, s));
      if (specs.length === 0) continue;
      const candidates = couldBeReferencedBy(o, renamed).filter((c) => previousIds(c).some((id) => selected(id, ref.target)));
      if (candidates.length === 0) continue;
      body ??= cloneJson(o.body) as Json;
      for (const s of specs) {
        const fixer = new Fixer(o, s, ref.target, candidates);
        visitField(body, pathSegments(s.path), (holder, key) => fixer.set(holder, key));
        for (const a of fixer.ambiguities) {
          // kustomize fails the build: "found multiple possible referrals" (nameref.go selectReferral).
          unresolved.push({
            reason: "kustomize-error",
            ref: `name reference ${a.field}: ${a.name} in ${o.kind} ${o.name} could be ${a.candidates.map((c) => `${c.kind} ${c.namespace ?? ""}/${c.name}`.replace(" /", " ")).join(" or ")}: kustomize finds multiple possible referrals`,
            source: o.source,
          });
        }
      }
    }
    return body === undefined || JSON.stringify(body) === JSON.stringify(o.body) ? o : withBody(o, body);
  });
  return { objects: fixed, unresolved };
}
