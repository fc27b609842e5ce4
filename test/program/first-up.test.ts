import * as assert from "assert";
import {
  CHART_WEBHOOKS, CREATION_TIMES, GraphResource, INHERENT_CHAIN, estimateFirstUp, inherentMinimumSeconds, webhookRaces,
} from "../../offline/first-up";
import { runProgram } from "../../offline/program";

const r = (name: string, type: string, dependencies: string[] = [], extra: Partial<GraphResource> = {}): GraphResource => ({
  urn: `urn:pulumi:s::p::${type}::${name}`, type, dependencies: dependencies.map((d) => d), inputs: {}, ...extra,
});

describe("the first pulumi up, estimated", () => {
  it("every figure of the table names its source", () => {
    for (const [type, time] of Object.entries(CREATION_TIMES)) {
      assert.ok(time.seconds > 0 && time.source.length > 10, type);
    }
    for (const type of INHERENT_CHAIN) assert.ok(type in CREATION_TIMES || type.startsWith("kubernetes:"), type);
  });

  it("is the longest chain; a needless wait on the cluster shows as a longer critical path", () => {
    const vpc = r("vpc", "aws:ec2/vpc:Vpc");
    const cluster = r("eks", "eks:index:Cluster", [vpc.urn]);
    // The node group takes the cluster by reference, as @pulumi/eks's ManagedNodeGroup does.
    const nodes = r("nodes", "eks:index:ManagedNodeGroup", [vpc.urn], { inputs: { cluster: cluster.urn } });
    const role = r("role", "aws:iam/role:Role");
    const parallel = estimateFirstUp([vpc, cluster, nodes, role, r("addon", "aws:eks/addon:Addon", [cluster.urn])]);
    assert.strictEqual(parallel.totalSeconds, 5 + 600 + 240);
    assert.deepStrictEqual(parallel.criticalPath.map((s) => s.type), ["aws:ec2/vpc:Vpc", "eks:index:Cluster", "eks:index:ManagedNodeGroup"]);
    // The same add-on made to wait for the node groups it does not need: 60s more.
    const serial = estimateFirstUp([vpc, cluster, nodes, role, r("addon", "aws:eks/addon:Addon", [cluster.urn, nodes.urn])]);
    assert.strictEqual(serial.totalSeconds, parallel.totalSeconds + 60);
  });

  it("a Service created while the Load Balancer Controller's Fail webhook is not ready is a failed step; ordering either way is not", () => {
    const nodes = r("nodes", "eks:index:ManagedNodeGroup");
    const lbc = r("lbc", "kubernetes:helm.sh/v3:Release", [nodes.urn], { inputs: { chart: "aws-load-balancer-controller" } });
    const operator = (deps: string[]) => r("op", "kubernetes:helm.sh/v3:Release", deps, { inputs: { chart: "oci://ghcr.io/controlplaneio-fluxcd/charts/flux-operator" } });
    const raced = webhookRaces([nodes, lbc, operator([nodes.urn])]);
    assert.deepStrictEqual(raced.map((x) => [x.step, x.webhook, x.registeredBy]), [[operator([]).urn, "mservice.elbv2.k8s.aws", lbc.urn]]);
    assert.deepStrictEqual(webhookRaces([nodes, lbc, operator([lbc.urn])]), []);
    // A plain Service object too, and one the release itself waits for is safe (created before the webhook).
    const service = r("svc", "kubernetes:core/v1:Service", [nodes.urn]);
    assert.deepStrictEqual(webhookRaces([nodes, lbc, service]).map((x) => x.step), [service.urn]);
    const before = r("lbc", "kubernetes:helm.sh/v3:Release", [service.urn], { inputs: { chart: "aws-load-balancer-controller" } });
    assert.deepStrictEqual(webhookRaces([nodes, service, before]), []);
    // Pods of the stack's own charts live in namespaces without the readiness-gate label: mpod never sees them.
    assert.ok(CHART_WEBHOOKS["aws-load-balancer-controller"].some((w) => w.name === "mpod.elbv2.k8s.aws" && w.namespaces === "labelled"));
    const podsOnly = r("ds", "kubernetes:apps/v1:DaemonSet", [nodes.urn]);
    assert.deepStrictEqual(webhookRaces([nodes, lbc, podsOnly]), []);
    // EKS add-ons: metrics-server creates its Service; coredns takes over the kube-dns Service that exists.
    const metrics = r("ms", "aws:eks/addon:Addon", [nodes.urn], { inputs: { addonName: "metrics-server" } });
    assert.deepStrictEqual(webhookRaces([nodes, lbc, metrics]).map((x) => x.step), [metrics.urn]);
    assert.deepStrictEqual(webhookRaces([nodes, lbc, r("dns", "aws:eks/addon:Addon", [nodes.urn], { inputs: { addonName: "coredns" } })]), []);
    // A Flux Kustomization applies whatever the repository holds: it must wait.
    const root = r("root", "kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization", [nodes.urn]);
    assert.ok(webhookRaces([nodes, lbc, root]).length >= 1);
  });

  for (const stack of ["development", "production"]) {
    it(`the ${stack} stack's first up has no webhook race and is within 1.1x of the inherent minimum`, async function () {
      this.timeout(120_000);
      const run = await runProgram(stack);
      assert.deepStrictEqual(webhookRaces(run.resources), []);
      const ratio = estimateFirstUp(run.resources).totalSeconds / inherentMinimumSeconds();
      assert.ok(ratio <= 1.1, `ratio ${ratio}`);
    });
  }
});
