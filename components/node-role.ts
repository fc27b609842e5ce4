import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/**
 * AWS managed policies every EKS node needs, plus SSM so nodes can be reached without SSH keys.
 * https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html
 */
export const NODE_MANAGED_POLICIES = [
  "AmazonEKSWorkerNodePolicy",
  "AmazonEKS_CNI_Policy",
  "AmazonEC2ContainerRegistryReadOnly",
  "AmazonSSMManagedInstanceCore",
] as const;

export interface NodeRoleArgs {
  /** Tags on the role. Default none. */
  tags?: Record<string, string>;
  /**
   * Fixed IAM role name (at most 64 characters). Default: a generated name. A fixed name makes the
   * role's ARN known at preview time, so the overlay injection can show what it will commit.
   * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
   */
  roleName?: string;
}

const defaults = { tags: {} };

/**
 * The IAM role EKS nodes run as: trusted by EC2 only, with the worker, CNI, ECR read-only and
 * SSM managed policies (ARNs built for the account's partition, so it works in China and
 * GovCloud too). Its ARN and name are what namespace overlays carry.
 *
 * @example
 * const nodeRole = new NodeRole("node-role", { tags: { team: "platform" } });
 * new Cluster("cluster", { ..., nodeRoleArn: nodeRole.arn });
 */
export class NodeRole extends pulumi.ComponentResource {
  /** Resolves once all managed policies are attached: nodes started earlier fail to join. */
  public readonly arn: pulumi.Output<string>;
  public readonly name: pulumi.Output<string>;
  /** The role's ARN, known at preview time when `roleName` is set (else the same as `arn`). */
  public readonly previewableArn: pulumi.Output<string>;

  constructor(name: string, args: NodeRoleArgs = {}, opts?: pulumi.ComponentResourceOptions) {
    super("gitops-cluster:index:NodeRole", name, {}, opts);
    const { tags, roleName } = { ...defaults, ...args };
    const child = { parent: this };
    const partition = aws.getPartitionOutput({}, child);

    const role = new aws.iam.Role(`${name}-role`, {
      name: roleName,
      description: "EKS managed node group nodes",
      // The EC2 service principal carries the partition's DNS suffix (amazonaws.com.cn in China):
      // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-services
      assumeRolePolicy: partition.dnsSuffix.apply((dnsSuffix) =>
        JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { Service: `ec2.${dnsSuffix}` }, Action: "sts:AssumeRole" }],
        }),
      ),
      tags,
    }, child);

    const attachments = NODE_MANAGED_POLICIES.map(
      (policy) =>
        new aws.iam.RolePolicyAttachment(`${name}-${policy}`, {
          role: role.name,
          policyArn: pulumi.interpolate`arn:${partition.partition}:iam::aws:policy/${policy}`,
        }, child),
    );
    // No instance profile: managed node groups create their own from the role, and nothing
    // else launches instances with it. https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html

    this.arn = pulumi.all([role.arn, ...attachments.map((a) => a.id)]).apply(([arn]) => arn);
    this.name = role.name;
    // IAM role ARNs are arn:<partition>:iam::<account>:role/<name>; with a fixed name every part is
    // known before the role exists (invokes answer during preview), unlike `role.arn`.
    this.previewableArn = roleName
      ? pulumi.interpolate`arn:${partition.partition}:iam::${aws.getCallerIdentityOutput({}, child).accountId}:role/${roleName}`
      : role.arn;
    this.registerOutputs({ arn: this.arn, name: this.name, previewableArn: this.previewableArn });
  }
}
