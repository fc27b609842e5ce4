import * as assert from "assert";
import { NODE_MANAGED_POLICIES, NodeRole } from "../../components/node-role";
import type { ProgramRun } from "../../offline/program";
import { ofType, only, underMocks } from "./helpers";

const ROLE = "aws:iam/role:Role";
const ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment";

function nodeRoleIn(region: string): Promise<ProgramRun> {
  return underMocks(() => {
    const role = new NodeRole("node-role", { tags: { team: "platform" } });
    return { arn: role.arn, name: role.name };
  }, region);
}

describe("NodeRole", () => {
  let run: ProgramRun;
  before(async () => {
    run = await nodeRoleIn("eu-west-1");
  });

  it("can be assumed by EC2 and nothing else", () => {
    const policy = JSON.parse(only(run, ROLE).inputs.assumeRolePolicy as string);
    assert.deepStrictEqual(policy.Statement, [
      { Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" },
    ]);
  });

  it("has the worker, CNI, ECR read-only and SSM managed policies, and only those", () => {
    const attachments = ofType(run, ATTACHMENT);
    assert.deepStrictEqual(
      attachments.map((a) => a.inputs.policyArn).sort(),
      [
        "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
        "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
        "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
        "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
      ],
    );
    for (const a of attachments) assert.strictEqual(a.inputs.role, run.outputs.name);
  });

  it("creates no instance profile (managed node groups make their own) and outputs the role's ARN and name", () => {
    assert.deepStrictEqual(ofType(run, "aws:iam/instanceProfile:InstanceProfile"), []);
    assert.strictEqual(run.outputs.arn, `arn:aws:iam::123456789012:role/${run.outputs.name}`);
  });

  it("builds ARNs and the EC2 principal for the partition it runs in (China)", async () => {
    const china = await nodeRoleIn("cn-north-1");
    const policy = JSON.parse(only(china, ROLE).inputs.assumeRolePolicy as string);
    assert.deepStrictEqual(policy.Statement[0].Principal, { Service: "ec2.amazonaws.com.cn" });
    assert.deepStrictEqual(
      ofType(china, ATTACHMENT).map((a) => a.inputs.policyArn),
      NODE_MANAGED_POLICIES.map((p) => `arn:aws-cn:iam::aws:policy/${p}`),
    );
  });
});
