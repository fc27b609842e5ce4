import * as assert from "assert";
import { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { runProgram } from "../../offline/program";
import { productionPolicies } from "../../policy/policies";
import { Outcome, Sample, validateResource, validateStack } from "./harness";
import { samplesFromPlan } from "./from-plan";

async function runPack(samples: Sample[], config: object = {}): Promise<Record<string, Outcome[]>> {
  const outcomes: Record<string, Outcome[]> = {};
  for (const policy of productionPolicies) {
    outcomes[policy.name] = "validateStack" in policy
      ? [await validateStack(policy as StackValidationPolicy, samples, config)]
      : await Promise.all(samples.map((s) => validateResource(policy as ResourceValidationPolicy, s, config)));
  }
  return outcomes;
}

const violations = (outcomes: Record<string, Outcome[]>): Record<string, string[]> =>
  Object.fromEntries(Object.entries(outcomes).map(([name, list]) => [name, list.flatMap((o) => o.violations.map((v) => v.message))]).filter(([, v]) => v.length > 0));

describe("policy pack on the offline plan's resources", function () {
  this.timeout(180000);
  let production: Sample[];
  let development: Sample[];

  before(async () => {
    production = samplesFromPlan(await runProgram("production"));
    development = samplesFromPlan(await runProgram("development"));
  });

  it("finds the AWS resources every policy is about in the production plan", () => {
    const types = new Set(production.map((s) => s.type));
    for (const type of ["aws:eks/cluster:Cluster", "aws:eks/nodeGroup:NodeGroup", "aws:ec2/launchTemplate:LaunchTemplate", "aws:ec2/subnet:Subnet", "aws:kms/key:Key"]) {
      assert.ok(types.has(type), `${type} in ${[...types]}`);
    }
  });

  it("the production plan passes every policy", async () => {
    assert.deepStrictEqual(violations(await runPack(production)), {});
  });

  it("the development plan is not judged: the policies are not applicable there", async () => {
    const outcomes = await runPack(development);
    assert.deepStrictEqual(violations(outcomes), {});
    assert.ok(outcomes["cluster-protected"][0].notApplicable?.includes("development"));
  });

  it("the development settings would fail production's policies: no KMS, an open endpoint, no protection", async () => {
    const found = violations(await runPack(development, { productionStacks: ["development"] }));
    assert.deepStrictEqual(Object.keys(found).sort(), ["cluster-protected", "eks-endpoint-restricted", "eks-secrets-encryption"]);
    assert.match(found["eks-endpoint-restricted"][0], /publicAccessCidrs containing 0\.0\.0\.0\/0/);
  });

  it("a production node group moved to the plan's public subnets is caught", async () => {
    const publicIds = production.filter((s) => s.type === "aws:ec2/subnet:Subnet" && s.name.includes("public")).map((s) => s.props.id);
    const moved = production.map((s) => (s.type === "aws:eks/nodeGroup:NodeGroup" ? { ...s, props: { ...s.props, subnetIds: publicIds } } : s));
    const found = violations(await runPack(moved));
    assert.deepStrictEqual(Object.keys(found), ["nodes-in-private-subnets"]);
    assert.ok(found["nodes-in-private-subnets"].every((m) => /runs in public subnet network-public-\d: it is tagged kubernetes\.io\/role\/elb=1/.test(m)), found["nodes-in-private-subnets"].join("\n"));
  });
});
