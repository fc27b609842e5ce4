import * as assert from "assert";
import { CREATION_TIMES, GraphResource, INHERENT_CHAIN, estimateFirstUp, inherentMinimumSeconds } from "../../offline/first-up";
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

  it("the development stack's first up is within 1.1x of the inherent minimum", async function () {
    this.timeout(120_000);
    const run = await runProgram("development");
    const ratio = estimateFirstUp(run.resources).totalSeconds / inherentMinimumSeconds();
    assert.ok(ratio <= 1.1, `ratio ${ratio}`);
  });
});
