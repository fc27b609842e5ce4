import * as fs from "fs";
import * as path from "path";
import { stringify } from "yaml";
import { seededRandom } from "../../fuzz/random";

/**
 * A seeded generator of kustomize trees for the differential test. Each tree is
 * `t<seed>/{base, components/*, overlay}`: bases with objects and generators, components with
 * patches and transformers, an overlay with targeted (placeholder `_` names) and untargeted
 * strategic merge patches, JSON 6902 patches, label/annotation selectors (set-based), namespace,
 * prefix/suffix, labels, annotations, images and replicas. Every name carries the token `z<seed>z`,
 * so many trees can be built by one `kubectl kustomize` call and told apart afterwards.
 */

type Json = Record<string, unknown>;


class Dice {
  constructor(readonly next: () => number) {}
  chance(p: number): boolean {
    return this.next() < p;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  some<T>(items: readonly T[], max = items.length): T[] {
    return items.filter(() => this.chance(0.5)).slice(0, max);
  }
}

const LABEL_KEYS = ["app", "tier", "team", "substitution.flux/disabled"] as const;
const LABEL_VALUES = ["a", "b", "c", "true"] as const;
const KINDS = ["ConfigMap", "Deployment", "Service", "FluxKustomization", "HelmRelease", "ClusterRole", "RoleBinding", "StatefulSet", "CronJob", "Namespace", "Secret", "ServiceAccount"] as const;
type Kind = (typeof KINDS)[number];

const API: Record<Kind, [string, string]> = {
  ConfigMap: ["v1", "ConfigMap"],
  Secret: ["v1", "Secret"],
  ServiceAccount: ["v1", "ServiceAccount"],
  Deployment: ["apps/v1", "Deployment"],
  StatefulSet: ["apps/v1", "StatefulSet"],
  CronJob: ["batch/v1", "CronJob"],
  Service: ["v1", "Service"],
  FluxKustomization: ["kustomize.toolkit.fluxcd.io/v1", "Kustomization"],
  HelmRelease: ["helm.toolkit.fluxcd.io/v2", "HelmRelease"],
  ClusterRole: ["rbac.authorization.k8s.io/v1", "ClusterRole"],
  RoleBinding: ["rbac.authorization.k8s.io/v1", "RoleBinding"],
  Namespace: ["v1", "Namespace"],
};

interface Made {
  kind: Kind;
  name: string;
  body: Json;
}

function labels(d: Dice, app: string): Json {
  const out: Json = { app };
  for (const k of d.some(LABEL_KEYS.slice(1))) out[k] = d.pick(LABEL_VALUES);
  return out;
}

function podSpec(d: Dice): Json {
  const containers: Json[] = [{
    name: "main",
    image: d.pick(["nginx", "nginx:1.2", "ghcr.io/acme/app:v1", "nginx@sha256:abc123", "registry.k8s.io/pause:3.9"]),
    ports: [{ containerPort: 80 }],
    env: [{ name: "A", value: "x" }],
  }];
  if (d.chance(0.4)) containers.push({ name: "sidecar", image: d.pick(["busybox", "nginx:1.2"]) });
  const spec: Json = { containers };
  if (d.chance(0.3)) spec.initContainers = [{ name: "init", image: "busybox:1" }];
  return spec;
}

function object(d: Dice, kind: Kind, name: string, token: string): Made {
  const [apiVersion, k] = API[kind];
  const app = `app-${d.int(3)}`;
  const metadata: Json = { name };
  if (kind !== "Namespace" && d.chance(0.6)) metadata.labels = labels(d, app);
  if (d.chance(0.4)) metadata.annotations = { note: d.pick(["x", "y"]), ...(d.chance(0.5) ? { "kustomize.toolkit.fluxcd.io/substitute": "disabled" } : {}) };
  const body: Json = { apiVersion, kind: k, metadata };
  switch (kind) {
    case "ConfigMap":
      body.data = { key: `v${d.int(100)}`, other: "text" };
      break;
    case "Secret":
      body.type = "Opaque";
      body.stringData = { password: `p${d.int(100)}` };
      break;
    case "ServiceAccount":
      break;
    case "Deployment":
      body.spec = { replicas: 1 + d.int(3), selector: { matchLabels: { app } }, template: { metadata: { labels: { app } }, spec: podSpec(d) } };
      break;
    case "StatefulSet":
      body.spec = {
        serviceName: "svc", selector: { matchLabels: { app } }, template: { metadata: { labels: { app } }, spec: podSpec(d) },
        volumeClaimTemplates: [{ metadata: { name: "data" }, spec: { accessModes: ["ReadWriteOnce"] } }],
      };
      break;
    case "CronJob":
      body.spec = { schedule: "*/5 * * * *", jobTemplate: { spec: { template: { spec: { ...podSpec(d), restartPolicy: "Never" } } } } };
      break;
    case "Service":
      body.spec = { selector: { app }, ports: [{ port: 80, targetPort: 8080 }] };
      break;
    case "FluxKustomization":
      body.spec = { interval: "10m", path: `./apps/${app}`, prune: true, sourceRef: { kind: "GitRepository", name: "flux-system" } };
      break;
    case "HelmRelease":
      body.spec = { interval: "1h", chart: { spec: { chart: "podinfo", sourceRef: { kind: "HelmRepository", name: "podinfo" } } }, values: { replicaCount: 1 } };
      break;
    case "ClusterRole":
      body.rules = [{ apiGroups: [""], resources: ["pods"], verbs: ["get"] }];
      break;
    case "RoleBinding":
      body.subjects = [{ kind: "ServiceAccount", name: "default" }, { kind: "ServiceAccount", name: `sa-${token}` }];
      body.roleRef = { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" };
      break;
    case "Namespace":
      break;
  }
  return { kind, name, body };
}

/** A label or annotation selector, set-based or equality-based. */
function selector(d: Dice, keys: readonly string[]): string {
  const terms: string[] = [];
  for (let i = 0; i < 1 + d.int(2); i++) {
    const key = d.pick(keys);
    const v = d.pick(LABEL_VALUES);
    const v2 = d.pick(LABEL_VALUES);
    terms.push(d.pick([`${key}=${v}`, `${key}==${v}`, `${key}!=${v}`, `${key} in (${v},${v2})`, `${key} notin (${v})`, key, `!${key}`]));
  }
  return terms.join(",");
}

const KIND_PATTERNS = ["Deployment", "ConfigMap", "Kustomization", "HelmRelease", "Deployment|StatefulSet", ".*", "Service.*", "Secret"];

function target(d: Dice, token: string): Json {
  const t: Json = {};
  if (d.chance(0.8)) t.kind = d.pick(KIND_PATTERNS);
  if (d.chance(0.3)) t.name = d.pick([`.*-1-${token}`, `.*${token}.*`, `(cm|deploy)-.*`, ".*"]);
  if (d.chance(0.2)) t.group = d.pick(["apps", "", "kustomize.toolkit.fluxcd.io", "helm.toolkit.fluxcd.io"]);
  if (d.chance(0.1)) t.version = d.pick(["v1", "v2"]);
  if (d.chance(0.35)) t.labelSelector = selector(d, LABEL_KEYS);
  if (d.chance(0.15)) t.annotationSelector = selector(d, ["note", "kustomize.toolkit.fluxcd.io/substitute"]);
  return t;
}

/** A strategic merge body for a targeted patch: name and kind are placeholders kustomize ignores. */
function targetedBody(d: Dice): Json {
  const body: Json = { apiVersion: d.pick(["v1", "kustomize.toolkit.fluxcd.io/v1", "apps/v1"]), kind: d.pick(["_", "Kustomization", "Deployment"]), metadata: { name: "_" } };
  const meta = body.metadata as Json;
  const what = d.int(4);
  if (what === 0) meta.labels = { patched: d.pick(["yes", "no"]) };
  else if (what === 1) meta.annotations = { "patched-by": "overlay" };
  else if (what === 2) body.spec = { wait: true, timeout: "5m" };
  else body.spec = { template: { spec: { containers: [{ name: "main", image: "patched:1" }] } } };
  if (d.chance(0.2)) meta.namespace = "ignored";
  return body;
}

function jsonOps(d: Dice, m: Made): Json[] | undefined {
  const ops: Json[] = [];
  ops.push({ op: "add", path: "/metadata/annotations", value: { json6902: "yes" } });
  if (m.kind === "Deployment" && d.chance(0.5)) ops.push({ op: "replace", path: "/spec/replicas", value: 5 });
  if (m.kind === "ConfigMap" && d.chance(0.5)) ops.push({ op: "remove", path: "/data/other" });
  if (m.kind === "FluxKustomization" && d.chance(0.5)) ops.push({ op: "add", path: "/spec/dependsOn", value: [{ name: "infra" }] });
  if (d.chance(0.2)) ops.push({ op: "copy", from: "/metadata/name", path: "/metadata/annotations/copied" });
  return ops;
}

function yamlDocs(bodies: Json[]): string {
  return bodies.map((b) => stringify(b)).join("---\n");
}

function write(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

/** A name kustomize may rename later: `<kind>-<i>-z<seed>z`. */
function nameOf(kind: Kind, i: number, token: string): string {
  return kind === "Namespace" ? `ns-${i}-${token}` : `${kind.toLowerCase().slice(0, 6)}-${i}-${token}`;
}

function generators(d: Dice, token: string, where: string, file: (rel: string, text: string) => void): Json {
  const k: Json = {};
  if (d.chance(0.5)) {
    const gens: Json[] = [];
    const name = `gen-${where}-${token}`;
    const g: Json = { name, literals: [`k${d.int(9)}=v${d.int(9)}`, `quoted="q ${d.int(9)}"`] };
    if (d.chance(0.4)) {
      file(`${where}.env`, `# comment\nENV_A=1\nENV_B=two=2\n`);
      g.envs = [`${where}.env`];
    }
    if (d.chance(0.4)) {
      file(`${where}-config.txt`, `line one <&>\nline two\n`);
      g.files = d.chance(0.5) ? [`${where}-config.txt`] : [`config=${where}-config.txt`];
    }
    if (d.chance(0.3)) g.options = { disableNameSuffixHash: true, labels: { generated: d.chance(0.02) ? "yes" : "generated" } };
    gens.push(g);
    k.configMapGenerator = gens;
  }
  if (d.chance(0.3)) {
    k.secretGenerator = [{ name: `sec-${where}-${token}`, literals: [`password=s${d.int(99)}`], ...(d.chance(0.3) ? { type: "kubernetes.io/basic-auth" } : {}) }];
  }
  if (d.chance(0.2)) k.generatorOptions = { labels: { "from-options": d.chance(0.02) ? "on" : "options" }, ...(d.chance(0.3) ? { annotations: { gen: "x" } } : {}) };
  return k;
}

/** Writes tree `seed` under `root`; returns the directory to build (relative to root). */
export function writeTree(root: string, seed: number): string {
  const d = new Dice(seededRandom(seed));
  const token = `z${seed}z`;
  const dir = path.join(root, `t${seed}`);
  const made: Made[] = [];
  // Base: objects in one or two files, maybe its own transformers and generators.
  const kinds: Kind[] = [];
  for (let i = 0; i < 3 + d.int(5); i++) {
    const kind = d.pick(KINDS);
    // Two Namespaces under one `namespace:` become one id, which kustomize refuses: rarely.
    kinds.push(kind === "Namespace" && kinds.includes("Namespace") && d.chance(0.9) ? "ConfigMap" : kind);
  }
  const baseObjects = kinds.map((kind, i) => object(d, kind, nameOf(kind, i, token), token));
  made.push(...baseObjects);
  // Pod specs that name generated ConfigMaps and Secrets and a ServiceAccount: kustomize rewrites
  // these references when prefixes, suffixes and content hashes rename their targets.
  const account = baseObjects.find((m) => m.kind === "ServiceAccount");
  for (const m of baseObjects) {
    if (!["Deployment", "StatefulSet", "CronJob"].includes(m.kind) || !d.chance(0.6)) continue;
    const spec = (m.kind === "CronJob" ? (((m.body.spec as Json).jobTemplate as Json).spec as Json).template : (m.body.spec as Json).template) as Json;
    const pod = spec.spec as Json;
    const where = d.pick(["base", "overlay", "c0"]);
    pod.volumes = [{ name: "config", configMap: { name: `gen-${where}-${token}` } }, { name: "creds", secret: { secretName: `sec-${d.pick(["base", "overlay"])}-${token}` } }];
    const main = (pod.containers as Json[])[0];
    main.envFrom = [{ configMapRef: { name: `gen-${d.pick(["base", "overlay"])}-${token}` } }];
    (main.env as Json[]).push({ name: "PASSWORD", valueFrom: { secretKeyRef: { name: `sec-base-${token}`, key: "password" } } });
    if (account !== undefined && d.chance(0.7)) pod.serviceAccountName = account.name;
  }
  const split = d.chance(0.4) ? Math.ceil(baseObjects.length / 2) : baseObjects.length;
  write(path.join(dir, "base", "objects.yaml"), yamlDocs(baseObjects.slice(0, split).map((m) => m.body)));
  const baseK: Json = { apiVersion: "kustomize.config.k8s.io/v1beta1", kind: "Kustomization", resources: ["objects.yaml"] };
  if (split < baseObjects.length) {
    write(path.join(dir, "base", "more.yml"), yamlDocs(baseObjects.slice(split).map((m) => m.body)));
    (baseK.resources as string[]).push("more.yml");
  }
  if (d.chance(0.3)) baseK.namePrefix = "base-";
  if (d.chance(0.2)) baseK.namespace = `basens-${token}`;
  if (d.chance(0.3)) baseK.commonLabels = { base: "base" };
  Object.assign(baseK, generators(d, token, "base", (rel, text) => write(path.join(dir, "base", rel), text)));
  write(path.join(dir, "base", "kustomization.yaml"), stringify(baseK));

  // Components: an extra object, a targeted patch, maybe a transformer or generator.
  const components: string[] = [];
  for (let c = 0; c < d.int(3); c++) {
    const cdir = path.join(dir, "components", `c${c}`);
    const ck: Json = { apiVersion: "kustomize.config.k8s.io/v1alpha1", kind: "Component" };
    if (d.chance(0.6)) {
      const extra = object(d, "ConfigMap", `comp-${c}-${token}`, token);
      write(path.join(cdir, "extra.yaml"), stringify(extra.body));
      ck.resources = ["extra.yaml"];
    }
    ck.patches = [{ target: target(d, token), patch: stringify(targetedBody(d)) }];
    if (d.chance(0.3)) ck.commonAnnotations = { [`component-${c}`]: d.chance(0.03) ? "on" : "enabled" };
    if (d.chance(0.2)) ck.nameSuffix = `-c${c}`;
    if (d.chance(0.2)) ck.labels = [{ pairs: { component: `c${c}` }, includeTemplates: d.chance(0.5) }];
    Object.assign(ck, generators(d, token, `c${c}`, (rel, text) => write(path.join(cdir, rel), text)));
    write(path.join(cdir, "kustomization.yaml"), stringify(ck));
    components.push(`../components/c${c}`);
  }

  // Overlay: the tree's top.
  const k: Json = { apiVersion: "kustomize.config.k8s.io/v1beta1", kind: "Kustomization", resources: ["../base"] };
  if (d.chance(0.3)) {
    const own = object(d, d.pick(["ConfigMap", "Deployment", "FluxKustomization"] as const), `own-${token}`, token);
    write(path.join(dir, "overlay", "own.yaml"), stringify(own.body));
    (k.resources as string[]).push("own.yaml");
  }
  if (components.length > 0) k.components = components;
  const patches: Json[] = [];
  for (let i = 0; i < d.int(3); i++) patches.push({ target: target(d, token), patch: stringify(targetedBody(d)) });
  // An untargeted strategic merge patch names one base object by its original name.
  const named = d.pick(baseObjects);
  const baseRenamed = baseK.namePrefix !== undefined || baseK.namespace !== undefined;
  if (d.chance(0.5) && named.kind !== "Namespace") {
    const apiVersion = (named.body.apiVersion as string);
    const meta: Json = { name: named.name };
    if (baseK.namespace !== undefined && !["ClusterRole", "Namespace"].includes(named.kind)) meta.namespace = baseK.namespace;
    const body: Json = { apiVersion, kind: named.body.kind, metadata: { ...meta, labels: { untargeted: "yes" } } };
    if (d.chance(0.15)) body.$patch = "delete";
    if (named.kind === "Deployment" && d.chance(0.6)) body.spec = { template: { spec: { containers: [{ name: "sidecar", image: "envoy:1" }, { name: "main", env: [{ name: "B", value: "y" }] }] } } };
    if (d.chance(0.5)) patches.push({ patch: stringify(body) });
    else {
      write(path.join(dir, "overlay", "smp.yaml"), stringify(body));
      k.patchesStrategicMerge = ["smp.yaml"];
    }
  }
  // JSON 6902, by target (kind and exact current name).
  if (d.chance(0.5)) {
    const m = d.pick(baseObjects);
    const ops = jsonOps(d, m);
    const [, kind] = API[m.kind];
    const t: Json = { kind, name: baseRenamed ? `.*${m.name}` : m.name };
    if (d.chance(0.5)) (k.patches ? patches : patches).push({ target: t, patch: stringify(ops) });
    else {
      write(path.join(dir, "overlay", "ops.yaml"), stringify(ops));
      k.patchesJson6902 = [{ target: { ...t, version: (m.body.apiVersion as string).split("/").pop(), ...(m.kind === "FluxKustomization" ? { group: "kustomize.toolkit.fluxcd.io" } : {}) }, path: "ops.yaml" }];
    }
  }
  if (patches.length > 0) k.patches = patches;
  if (d.chance(0.5)) k.namespace = `ns-1-${token}`;
  if (d.chance(0.4)) k.namePrefix = d.pick(["dev-", "p-"]);
  if (d.chance(0.3)) k.nameSuffix = "-x";
  if (d.chance(0.3)) k.commonLabels = { env: d.pick(["dev", "prod"]) };
  if (d.chance(0.3)) k.labels = [{ pairs: { owner: "team" }, includeSelectors: d.chance(0.5), includeTemplates: d.chance(0.5) }];
  if (d.chance(0.3)) k.commonAnnotations = { "owner-note": d.chance(0.05) ? "yes" : "noted" };
  if (d.chance(0.4)) {
    k.images = [d.pick([{ name: "nginx", newTag: "1.25" }, { name: "nginx", newName: "mirror/nginx" }, { name: "busybox", digest: "sha256:0123" }, { name: "ghcr.io/acme/app", newName: "ghcr.io/acme/app2", newTag: "v2" }])];
  }
  const deployments = baseObjects.filter((m) => m.kind === "Deployment" || m.kind === "StatefulSet");
  if (deployments.length > 0 && d.chance(0.4)) k.replicas = [{ name: d.pick(deployments).name, count: 2 + d.int(3) }];
  Object.assign(k, generators(d, token, "overlay", (rel, text) => write(path.join(dir, "overlay", rel), text)));
  write(path.join(dir, "overlay", "kustomization.yaml"), stringify(k));
  return `t${seed}/overlay`;
}

/** The seed a built object belongs to, from the token in its name or namespace. */
export function seedOf(body: Json): number | undefined {
  const meta = (body.metadata ?? {}) as Json;
  const m = /z(\d+)z/.exec(`${String(meta.name ?? "")} ${String(meta.namespace ?? "")}`);
  return m === null ? undefined : Number(m[1]);
}

/**
 * The fields of a Flux Kustomization's spec that kustomize-controller writes into the
 * kustomization it builds, for tree `seed` (written by writeTree): targetNamespace, name affixes,
 * targeted patches (some naming a base object by the name it has before the overlay's own prefix),
 * images that may merge with the overlay's, and a component of its own (`t<seed>/fluxcomp`,
 * written here), sometimes beside a missing one that `ignoreMissingComponents` skips.
 */
export function writeFluxFields(root: string, seed: number): Json {
  const d = new Dice(seededRandom(seed * 7919 + 17));
  const token = `z${seed}z`;
  const spec: Json = {};
  if (d.chance(0.5)) spec.targetNamespace = `tns-${token}`;
  if (d.chance(0.35)) spec.namePrefix = "flux-";
  if (d.chance(0.25)) spec.nameSuffix = "-f";
  const patches: Json[] = [];
  for (let i = 0; i < d.int(3); i++) patches.push({ target: target(d, token), patch: stringify(targetedBody(d)) });
  if (d.chance(0.5)) {
    // By the exact name of a base object: matches only before the overlay's own prefix is added.
    const kind = d.pick(["ConfigMap", "Deployment", "Service", "Secret"]);
    const i = d.int(6);
    patches.push({ target: { kind, name: `${kind === "Namespace" ? "ns" : kind.toLowerCase().slice(0, 6)}-${i}-${token}` }, patch: stringify([{ op: "add", path: "/metadata/annotations", value: { "flux-patched": "yes" } }]) });
  }
  if (patches.length > 0) spec.patches = patches;
  if (d.chance(0.4)) {
    spec.images = [d.pick([{ name: "nginx", newTag: "1.27" }, { name: "nginx", digest: "sha256:4567" }, { name: "busybox", newName: "mirror/busybox" }, { name: "ghcr.io/acme/app", newTag: "v3" }])];
  }
  if (d.chance(0.3)) {
    const ck: Json = { apiVersion: "kustomize.config.k8s.io/v1alpha1", kind: "Component", commonAnnotations: { "flux-component": "added" } };
    if (d.chance(0.5)) ck.patches = [{ target: target(d, token), patch: stringify(targetedBody(d)) }];
    write(path.join(root, `t${seed}`, "fluxcomp", "kustomization.yaml"), stringify(ck));
    spec.components = ["../fluxcomp"];
    if (d.chance(0.5)) {
      spec.components = ["../fluxcomp", "../missing"];
      spec.ignoreMissingComponents = true;
    }
  }
  return spec;
}
