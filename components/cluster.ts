import * as aws from "@pulumi/aws";
import * as eks from "@pulumi/eks";
import * as pulumi from "@pulumi/pulumi";
import type { ControlPlaneLogType, NodeGroupSettings } from "../stacks/types";

export interface ClusterArgs {
  /** EKS cluster name. Required. https://docs.aws.amazon.com/eks/latest/userguide/create-cluster.html */
  clusterName: string;
  /** Kubernetes minor version, e.g. "1.33". Default: the newest EKS offers. https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html */
  kubernetesVersion?: string;
  /** VPC of the cluster. Required. */
  vpcId: pulumi.Input<string>;
  /** Subnets for internet-facing load balancers. Required. */
  publicSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** Subnets the nodes run in. Required. */
  privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * Whether the API server endpoint is reachable from the internet. Default false.
   * https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html
   */
  endpointPublicAccess?: boolean;
  /** Whether the API server endpoint is reachable from inside the VPC. Default true. */
  endpointPrivateAccess?: boolean;
  /** CIDRs allowed to reach the public endpoint (ignored when it is off). Default none. */
  publicAccessCidrs?: string[];
  /**
   * Envelope-encrypt Kubernetes secrets with a KMS key created here (rotation on). Default false.
   * https://docs.aws.amazon.com/eks/latest/userguide/envelope-encryption.html
   */
  secretsEncryption?: boolean;
  /**
   * Control plane log types sent to CloudWatch Logs. Default none.
   * https://docs.aws.amazon.com/eks/latest/userguide/control-plane-logs.html
   */
  logTypes?: ControlPlaneLogType[];
  /**
   * IAM principals granted AmazonEKSClusterAdminPolicy (cluster scope) through access entries.
   * Default none. https://docs.aws.amazon.com/eks/latest/userguide/access-entries.html
   */
  adminPrincipalArns?: string[];
  /** Pulumi `protect` on the EKS cluster and its KMS key. Default false. */
  protect?: boolean;
  /** Role of the nodes of every managed node group without an entry in `nodeRoleArns`. Required. */
  nodeRoleArn: pulumi.Input<string>;
  /**
   * Node group name -> the role its nodes run as, for groups with a role of their own (settings'
   * `dedicatedRole`); other groups use `nodeRoleArn`. Default none.
   * https://docs.aws.amazon.com/eks/latest/userguide/create-node-role.html
   */
  nodeRoleArns?: Record<string, pulumi.Input<string>>;
  /**
   * Managed node groups, in the private subnets. Default none.
   * https://docs.aws.amazon.com/eks/latest/userguide/managed-node-groups.html
   */
  nodeGroups?: NodeGroupSettings[];
  /** Tags on every taggable resource. Default none. */
  tags?: Record<string, string>;
}

const defaults = {
  endpointPublicAccess: false,
  endpointPrivateAccess: true,
  publicAccessCidrs: [] as string[],
  secretsEncryption: false,
  logTypes: [] as ControlPlaneLogType[],
  adminPrincipalArns: [] as string[],
  protect: false,
  nodeGroups: [] as NodeGroupSettings[],
  tags: {} as Record<string, string>,
};

/**
 * Access entry key (it names the AccessEntry resource) for a principal: account and path, e.g.
 * `admin-123456789012-role-ops-admin`; unique as ARNs are, and stable when the list is reordered.
 */
function accessEntryKey(principalArn: string): string {
  const [, , , , account, ...resource] = principalArn.split(":");
  return `admin-${account}-${resource.join(":")}`.replace(/[^A-Za-z0-9-]+/g, "-");
}

/**
 * An EKS cluster (no default node group) with access-entry authentication, an OIDC provider for
 * IAM roles for service accounts, control plane logging, optional KMS secrets encryption, and
 * one managed node group per entry of `nodeGroups`, each running as its own role from
 * `nodeRoleArns` or else the shared `nodeRoleArn`.
 *
 * @example
 * const cluster = new Cluster("cluster", {
 *   clusterName: "dev", vpcId: network.vpcId, publicSubnetIds: network.publicSubnetIds,
 *   privateSubnetIds: network.privateSubnetIds, nodeRoleArn: nodeRole.arn,
 *   nodeGroups: [{ name: "general", instanceTypes: ["t3.large"], capacityType: "SPOT", minSize: 1,
 *                  maxSize: 3, desiredSize: 2, diskSize: 30, labels: {}, taints: [] }],
 * });
 * export const kubeconfig = cluster.kubeconfig; // a secret
 */
export class Cluster extends pulumi.ComponentResource {
  public readonly clusterName: pulumi.Output<string>;
  /** Kubeconfig (JSON) using `aws eks get-token`; a Pulumi secret. */
  public readonly kubeconfig: pulumi.Output<string>;
  public readonly oidcProviderArn: pulumi.Output<string>;
  /** The managed node groups: depend on these for anything that needs nodes. */
  public readonly nodeGroups: eks.ManagedNodeGroup[];
  public readonly nodeGroupNames: pulumi.Output<string[]>;

  constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gitops-cluster:index:Cluster", name, {}, opts);
    const a = { ...defaults, ...args };
    const child = { parent: this };
    const partition = aws.getPartitionOutput({}, child).partition;

    const secretsKey = a.secretsEncryption
      ? new aws.kms.Key(`${name}-secrets`, {
          description: `Envelope encryption of Kubernetes secrets in EKS cluster ${a.clusterName}`,
          enableKeyRotation: true,
          deletionWindowInDays: 30,
          tags: a.tags,
        }, { ...child, protect: a.protect })
      : undefined;

    const accessEntries = Object.fromEntries(
      a.adminPrincipalArns.map((principalArn) => [
        accessEntryKey(principalArn),
        {
          principalArn,
          accessPolicies: {
            admin: {
              policyArn: pulumi.interpolate`arn:${partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy`,
              accessScope: { type: "cluster" },
            },
          },
        },
      ]),
    );

    const cluster = new eks.Cluster(`${name}-eks`, {
      name: a.clusterName,
      version: a.kubernetesVersion,
      vpcId: a.vpcId,
      publicSubnetIds: a.publicSubnetIds,
      privateSubnetIds: a.privateSubnetIds,
      nodeAssociatePublicIpAddress: false,
      skipDefaultNodeGroup: true,
      // PlatformAddons owns the managed add-ons, each pinned: @pulumi/eks 4.3 would otherwise
      // create vpc-cni (VpcCniAddon) and kube-proxy at the newest version (cluster/cluster.ts),
      // and two owners of one add-on fight. coredns it skips without a default node group.
      useDefaultVpcCni: true,
      kubeProxyAddonOptions: { enabled: false },
      corednsAddonOptions: { enabled: false },
      // Access entries only: the aws-auth ConfigMap is deprecated.
      // https://docs.aws.amazon.com/eks/latest/userguide/grant-k8s-access.html#set-cam
      authenticationMode: eks.AuthenticationMode.Api,
      accessEntries,
      createOidcProvider: true,
      enabledClusterLogTypes: a.logTypes,
      endpointPublicAccess: a.endpointPublicAccess,
      endpointPrivateAccess: a.endpointPrivateAccess,
      publicAccessCidrs: a.endpointPublicAccess ? a.publicAccessCidrs : undefined,
      encryptionConfigKeyArn: secretsKey?.arn,
      // EKS's own deletion protection as well as Pulumi's protect: it also stops a console click or
      // another tool. https://docs.aws.amazon.com/eks/latest/userguide/deletion-protection.html
      deletionProtection: a.protect,
      tags: a.tags,
    }, { ...child, protect: a.protect });

    const roleArnOf = (group: string): pulumi.Input<string> =>
      a.nodeRoleArns && Object.hasOwn(a.nodeRoleArns, group) ? a.nodeRoleArns[group] : a.nodeRoleArn;
    // No access entry for the node role here: with API authentication EKS creates the EC2_LINUX
    // entry for a managed node group's role itself, and a second one would fail as a duplicate.
    // https://docs.aws.amazon.com/eks/latest/userguide/creating-access-entries.html
    this.nodeGroups = a.nodeGroups.map(
      (group) =>
        new eks.ManagedNodeGroup(`${name}-${group.name}`, {
          cluster,
          nodeGroupNamePrefix: `${group.name}-`,
          nodeRoleArn: roleArnOf(group.name),
          subnetIds: a.privateSubnetIds,
          instanceTypes: group.instanceTypes,
          capacityType: group.capacityType,
          scalingConfig: { minSize: group.minSize, maxSize: group.maxSize, desiredSize: group.desiredSize },
          diskSize: group.diskSize,
          labels: group.labels,
          taints: group.taints.map((t) => ({ key: t.key, value: t.value, effect: t.effect })),
          // IMDSv2 only: @pulumi/eks then builds a launch template with httpTokens "required" and
          // hop limit 2 (pods behind the node's network namespace still reach IMDS), moving the
          // disk size into it. https://github.com/pulumi/pulumi-eks/blob/master/nodejs/eks/nodes/nodegroup.ts
          // https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-IMDS-existing-instances.html
          enableIMDSv2: true,
          tags: a.tags,
        }, child),
    );

    this.clusterName = cluster.eksCluster.name;
    this.kubeconfig = pulumi.secret(cluster.kubeconfigJson);
    this.oidcProviderArn = cluster.oidcProviderArn;
    this.nodeGroupNames = pulumi.all(this.nodeGroups.map((g) => g.nodeGroup.nodeGroupName));
    this.registerOutputs({
      clusterName: this.clusterName,
      kubeconfig: this.kubeconfig,
      oidcProviderArn: this.oidcProviderArn,
      nodeGroupNames: this.nodeGroupNames,
    });
  }
}
