/**
 * The first `pulumi up`, estimated from the recorded graph: every resource starts once what it
 * depends on exists (its recorded dependencies and its provider), and takes the typical creation
 * time of its type. The longest chain is the critical path. Against it stands the inherent
 * minimum, the chain no program can shorten: network, then cluster, then a node group, then Flux
 * ready. Their ratio shows a needless serialisation (something waiting on what it need not) as a
 * number.
 *
 * Typical times, not guarantees: each figure says where it comes from. Times are in seconds.
 */
export interface CreationTime {
  seconds: number;
  source: string;
}

/** Typical creation time per resource type: one table, each figure with its source. */
export const CREATION_TIMES: Readonly<Record<string, CreationTime>> = {
  "eks:index:Cluster": {
    seconds: 600,
    source: "EKS User Guide, create-cluster: \"Cluster provisioning takes several minutes\"; ~10 min is the commonly observed figure (not an AWS number)",
  },
  "eks:index:ManagedNodeGroup": {
    seconds: 240,
    source: "EKS User Guide, create-managed-node-group: \"takes several minutes\" (instances launch and join); estimate",
  },
  "aws:ec2/natGateway:NatGateway": { seconds: 120, source: "estimate: a NAT gateway reaches `available` in 1-2 min; terraform-provider-aws create timeout 10m" },
  "aws:eks/addon:Addon": { seconds: 60, source: "estimate: an add-on reaches ACTIVE once its pods run; terraform-provider-aws create timeout 20m" },
  "aws:eks/podIdentityAssociation:PodIdentityAssociation": { seconds: 5, source: "estimate: an API call, no waiting" },
  "kubernetes:helm.sh/v3:Release": { seconds: 75, source: "estimate: chart pull plus pods Ready (Helm --wait); pulumi-kubernetes Release timeout 300s" },
  "kubernetes:fluxcd.controlplane.io/v1:FluxInstance": {
    seconds: 90,
    source: "estimate: pulumi.com/waitFor condition=Ready, the operator installs four controllers and waits for them",
  },
  "aws:kms/key:Key": { seconds: 10, source: "estimate: API call" },
  "aws:ec2/eip:Eip": { seconds: 3, source: "estimate: API call" },
  "aws:ec2/vpc:Vpc": { seconds: 5, source: "estimate: API call, waits for `available`" },
  "aws:ec2/subnet:Subnet": { seconds: 5, source: "estimate: API call, waits for `available`" },
  "aws:iam/role:Role": { seconds: 3, source: "estimate: API call (IAM is eventually consistent; the provider retries)" },
};

/** What the table gives types it does not list: components, providers, API objects without waiting. */
export const DEFAULT_CREATION_TIME: CreationTime = { seconds: 2, source: "estimate: one API call without waiting" };
/** The stack, providers and this project's components make no cloud call. */
const INSTANT = /^(pulumi:pulumi:Stack$|pulumi:providers:|gitops-cluster:index:)/;

export function creationTimeOf(type: string): CreationTime {
  if (INSTANT.test(type)) return { seconds: 0, source: "no cloud call (stack, provider or component)" };
  return CREATION_TIMES[type] ?? DEFAULT_CREATION_TIME;
}

/** The part of a recorded resource the estimate reads. */
export interface GraphResource {
  urn: string;
  type: string;
  /** Recorded engine dependencies (explicit and carried by Outputs). */
  dependencies: string[];
  provider?: string;
  inputs: Record<string, unknown>;
}

function urnsIn(value: unknown, urns: Set<string>, out: Set<string>): void {
  if (typeof value === "string" && urns.has(value)) out.add(value);
  else if (Array.isArray(value)) for (const v of value) urnsIn(v, urns, out);
  else if (value !== null && typeof value === "object") for (const v of Object.values(value)) urnsIn(v, urns, out);
}

/**
 * What a resource waits for before it is created. A remote component (@pulumi/eks) is registered
 * without the resources it takes by reference (the provider's children carry those edges, and the
 * mocks run no provider), so a reference in its inputs counts as a dependency here.
 */
export function createDependencies(resources: readonly GraphResource[]): Map<string, string[]> {
  const urns = new Set(resources.map((r) => r.urn));
  const edges = new Map<string, string[]>();
  for (const r of resources) {
    const set = new Set(r.dependencies.filter((d) => urns.has(d)));
    if (r.provider && urns.has(r.provider)) set.add(r.provider);
    if (r.type.startsWith("eks:index:")) urnsIn(r.inputs, urns, set);
    set.delete(r.urn);
    edges.set(r.urn, [...set]);
  }
  return edges;
}

export interface Estimate {
  /** Seconds until the last resource exists. */
  totalSeconds: number;
  /** The longest chain, first created first, with each step's finish time. */
  criticalPath: { urn: string; type: string; seconds: number; finishedAt: number }[];
}

/** Longest path through the creation DAG, each resource weighted by its typical creation time. */
export function estimateFirstUp(resources: readonly GraphResource[]): Estimate {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const deps = createDependencies(resources);
  const finish = new Map<string, number>();
  const via = new Map<string, string | undefined>();
  const visiting = new Set<string>();
  const finishOf = (urn: string): number => {
    const known = finish.get(urn);
    if (known !== undefined) return known;
    if (visiting.has(urn)) throw new Error(`the recorded graph has a cycle through ${urn}`);
    visiting.add(urn);
    let start = 0;
    let before: string | undefined;
    for (const d of deps.get(urn) ?? []) {
      const f = finishOf(d);
      if (before === undefined || f > start) {
        start = f;
        before = d;
      }
    }
    const done = start + creationTimeOf(byUrn.get(urn)!.type).seconds;
    visiting.delete(urn);
    finish.set(urn, done);
    via.set(urn, before);
    return done;
  };
  let last: string | undefined;
  for (const r of resources) if (last === undefined || finishOf(r.urn) > finishOf(last)) last = r.urn;
  const path: Estimate["criticalPath"] = [];
  for (let u = last; u !== undefined; u = via.get(u)) {
    const r = byUrn.get(u)!;
    const seconds = creationTimeOf(r.type).seconds;
    if (seconds > 0) path.unshift({ urn: u, type: r.type, seconds, finishedAt: finish.get(u)! });
  }
  return { totalSeconds: last === undefined ? 0 : finish.get(last)!, criticalPath: path };
}

/**
 * The chain no program can shorten: the VPC, a subnet, the EKS cluster, a node group, then Flux
 * ready (the operator's Helm release, the FluxInstance Ready, the root Kustomization applied).
 */
export const INHERENT_CHAIN: readonly string[] = [
  "aws:ec2/vpc:Vpc",
  "aws:ec2/subnet:Subnet",
  "eks:index:Cluster",
  "eks:index:ManagedNodeGroup",
  "kubernetes:helm.sh/v3:Release",
  "kubernetes:fluxcd.controlplane.io/v1:FluxInstance",
  "kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization",
];

export function inherentMinimumSeconds(): number {
  return INHERENT_CHAIN.reduce((sum, type) => sum + creationTimeOf(type).seconds, 0);
}

/** Admission webhook races, or that there are none. */
function webhookText(resources: readonly GraphResource[]): string[] {
  const races = webhookRaces(resources);
  const name = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);
  if (races.length === 0) return ["no step creates an object a Fail webhook may refuse before it answers (offline/first-up.ts CHART_WEBHOOKS)"];
  return races.map((r) => `RACE: ${name(r.step)} may create objects ${r.webhook} (${name(r.registeredBy)}) refuses while it is not ready`);
}

/** The estimate in text, for the plan: total, inherent minimum, ratio and the critical path. */
export function firstUpText(resources: readonly GraphResource[]): string {
  const estimate = estimateFirstUp(resources);
  const inherent = inherentMinimumSeconds();
  const minutes = (s: number) => `${(s / 60).toFixed(1)} min`;
  const name = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);
  return [
    `critical path ${minutes(estimate.totalSeconds)}; inherent minimum (network -> cluster -> node group -> Flux ready) ` +
      `${minutes(inherent)}; ratio ${(estimate.totalSeconds / inherent).toFixed(2)}x`,
    ...estimate.criticalPath.map((s) => `    ${String(s.finishedAt).padStart(5)}s  +${String(s.seconds).padStart(3)}s  ${s.type}  ${name(s.urn)}`),
    "    (typical times per type with their sources: offline/first-up.ts CREATION_TIMES)",
    ...webhookText(resources),
  ].join("\n");
}

/**
 * An admission webhook a chart registers, as far as the first `up` cares: which creates it
 * intercepts, where, and whether a webhook that cannot answer fails the request.
 */
export interface AdmissionWebhook {
  name: string;
  failurePolicy: "Fail" | "Ignore";
  /** Resources (plural, as in the webhook's rules) whose CREATE it intercepts. */
  resources: string[];
  /**
   * `all`: every namespace; `labelled`: only namespaces carrying an opt-in label, which only the
   * GitOps repository sets (none of the stack's own objects live there).
   */
  namespaces: "all" | "labelled";
  source: string;
}

const LBC_WEBHOOKS = "aws/eks-charts 5239609 stable/aws-load-balancer-controller 3.5.0 templates/webhook.yaml (values.yaml defaults)";

/**
 * Webhooks per chart a `helm.v3.Release` of the stack installs. The objects of the release itself
 * are left out of its webhooks (the chart's objectSelector excludes its own app.kubernetes.io/name).
 */
export const CHART_WEBHOOKS: Readonly<Record<string, AdmissionWebhook[]>> = {
  "aws-load-balancer-controller": [
    // Every Service create in every namespace (aws-load-balancer-controller#4140).
    { name: "mservice.elbv2.k8s.aws", failurePolicy: "Fail", resources: ["services"], namespaces: "all", source: `${LBC_WEBHOOKS}: serviceMutatorWebhookConfig failurePolicy Fail, operations [CREATE], no namespaceSelector` },
    { name: "mpod.elbv2.k8s.aws", failurePolicy: "Fail", resources: ["pods"], namespaces: "labelled", source: `${LBC_WEBHOOKS}: namespaceSelector elbv2.k8s.aws/pod-readiness-gate-inject=enabled` },
    { name: "vingress.elbv2.k8s.aws", failurePolicy: "Fail", resources: ["ingresses"], namespaces: "all", source: `${LBC_WEBHOOKS}: webhookConfig.ingressValdationFailurePolicy` },
    { name: "mtargetgroupbinding.elbv2.k8s.aws", failurePolicy: "Fail", resources: ["targetgroupbindings"], namespaces: "all", source: LBC_WEBHOOKS },
    { name: "vtargetgroupbinding.elbv2.k8s.aws", failurePolicy: "Fail", resources: ["targetgroupbindings"], namespaces: "all", source: LBC_WEBHOOKS },
    { name: "vingressclassparams.elbv2.k8s.aws", failurePolicy: "Fail", resources: ["ingressclassparams"], namespaces: "all", source: LBC_WEBHOOKS },
  ],
};

/** `*`: the step may create any kind (the GitOps repository, a chart the table does not know). */
const ANY = "*";

/**
 * What a step creates in the cluster, as resources (plural). Releases and EKS add-ons create what
 * their chart or add-on ships; the FluxInstance makes the operator create the controllers with
 * their Services (source-controller, notification-controller, webhook-receiver); a Flux
 * Kustomization applies whatever the repository holds.
 */
export const CREATED_OBJECTS: Readonly<Record<string, string[]>> = {
  "chart:flux-operator": ["serviceaccounts", "clusterroles", "clusterrolebindings", "services", "deployments", "pods"],
  "chart:aws-load-balancer-controller": ["serviceaccounts", "services", "deployments", "pods", "secrets"],
  "kind:FluxInstance": ["deployments", "services", "pods", "networkpolicies", "serviceaccounts"],
  "kind:Kustomization": [ANY],
  // EKS add-ons in kube-system. coredns's kube-dns Service exists from cluster creation (the add-on
  // takes it over: an UPDATE); metrics-server creates its Service.
  "addon:vpc-cni": ["daemonsets", "pods"],
  "addon:kube-proxy": ["daemonsets", "pods"],
  "addon:coredns": ["deployments", "pods"],
  "addon:eks-pod-identity-agent": ["daemonsets", "pods"],
  "addon:aws-ebs-csi-driver": ["deployments", "daemonsets", "pods", "csidrivers"],
  "addon:metrics-server": ["deployments", "services", "pods", "apiservices"],
};

/** The chart a Release installs: its `chart` input, the last path segment of an OCI reference. */
function chartOf(r: GraphResource): string {
  const chart = String(r.inputs.chart ?? "");
  return chart.slice(chart.lastIndexOf("/") + 1);
}

/** Plural resource of a Kubernetes type token: `kubernetes:core/v1:Service` -> services. */
function pluralOf(kind: string): string {
  const lower = kind.toLowerCase();
  return lower.endsWith("s") ? `${lower}es` : lower.endsWith("y") ? `${lower.slice(0, -1)}ies` : `${lower}s`;
}

export function createdObjects(r: GraphResource): string[] {
  if (r.type === "kubernetes:helm.sh/v3:Release") return CREATED_OBJECTS[`chart:${chartOf(r)}`] ?? [ANY];
  if (r.type === "aws:eks/addon:Addon") return CREATED_OBJECTS[`addon:${String(r.inputs.addonName)}`] ?? [ANY];
  if (r.type.startsWith("kubernetes:") && !r.type.startsWith("pulumi:")) {
    const kind = r.type.slice(r.type.lastIndexOf(":") + 1);
    return CREATED_OBJECTS[`kind:${kind}`] ?? [pluralOf(kind)];
  }
  return [];
}

export interface WebhookRace {
  /** The step whose creates may reach the webhook before it answers. */
  step: string;
  webhook: string;
  /** The release that registers the webhook. */
  registeredBy: string;
}

/**
 * Steps that may create an object while a `Fail` webhook matching it is registered but not yet
 * served: Helm registers the webhook configuration with the rest of the release and the
 * controller answers only once its pods are Ready (the release ready). A step is safe only when
 * the creation graph orders it: it waits for the release, or the release waits for it. Timing
 * never makes a step safe (typical times vary; an unordered pair races on some `up`).
 */
export function webhookRaces(resources: readonly GraphResource[]): WebhookRace[] {
  const deps = createDependencies(resources);
  const ancestors = new Map<string, Set<string>>();
  const ancestorsOf = (urn: string): Set<string> => {
    let known = ancestors.get(urn);
    if (known) return known;
    known = new Set();
    ancestors.set(urn, known);
    for (const d of deps.get(urn) ?? []) {
      known.add(d);
      for (const a of ancestorsOf(d)) known.add(a);
    }
    return known;
  };
  const races: WebhookRace[] = [];
  for (const release of resources) {
    if (release.type !== "kubernetes:helm.sh/v3:Release") continue;
    const hooks = (CHART_WEBHOOKS[chartOf(release)] ?? []).filter((w) => w.failurePolicy === "Fail");
    for (const step of resources) {
      if (step.urn === release.urn) continue;
      const created = createdObjects(step);
      if (created.length === 0 || ancestorsOf(step.urn).has(release.urn) || ancestorsOf(release.urn).has(step.urn)) continue;
      const any = created.includes(ANY);
      for (const hook of hooks) {
        const matches = any || (hook.namespaces === "all" && hook.resources.some((res) => created.includes(res)));
        if (matches) races.push({ step: step.urn, webhook: hook.name, registeredBy: release.urn });
      }
    }
  }
  return races;
}
