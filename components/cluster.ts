import * as aws from "@pulumi/aws";
import * as eks from "@pulumi/eks";
import * as pulumi from "@pulumi/pulumi";
import type { ControlPlaneLogType, NodeGroupSettings, PipelineRoles, PrivateEndpointAccess } from "../stacks/types";
import { accessGrants, accessPlan, type AccessGrant } from "./access-entries";
import { architectureOf } from "../stacks/formats";
import { nodeLaunchTemplateArgs, type NodeMetadataHopLimit } from "./node-launch-template";

/**
 * The EKS-optimized Amazon Linux 2023 AMI type for a node group's instance types (settings made
 * sure they share one architecture). https://docs.aws.amazon.com/eks/latest/APIReference/API_Nodegroup.html#AmazonEKS-Type-Nodegroup-amiType
 */
export function amiTypeOf(instanceTypes: readonly string[]): string {
  return architectureOf(instanceTypes[0] ?? "") === "arm64" ? "AL2023_ARM_64_STANDARD" : "AL2023_x86_64_STANDARD";
}

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
   * Sources allowed on 443 to the private endpoint, as ingress rules on the cluster security group
   * EKS creates (the one on the endpoint's network interfaces). With `skipDefaultSecurityGroups`
   * that group admits only itself (the nodes), so a runner, VPN or bastion in the VPC needs a rule
   * here. Default none. https://docs.aws.amazon.com/eks/latest/userguide/sec-group-reqs.html
   */
  privateEndpointAccess?: PrivateEndpointAccess;
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
  /**
   * Roles of the CI pipelines: `deploy` (runs `pulumi up`) gets AmazonEKSClusterAdminPolicy,
   * `preview` (runs `pulumi preview --refresh` and `drift`) AmazonEKSAdminViewPolicy, which reads
   * Secrets too (see components/access-entries.ts). Default none.
   * https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html
   */
  pipelineRoles?: PipelineRoles;
  /**
   * The IAM principal (role or user ARN) that created the cluster: EKS made it cluster admin itself
   * (pulumi-eks 4.3 sets bootstrapClusterCreatorAdminPermissions), so no entry is declared for it.
   * Fixed for the cluster's life, whoever runs later updates. Default none (every grant declared).
   */
  creatorPrincipalArn?: string;
  /**
   * Credentials the Kubernetes provider's kubeconfig uses for `aws eks get-token`: the stack's
   * `aws:profile` and the role of `aws:assumeRoles`, so the cluster is reached as the same
   * principal the AWS provider deploys as. Default: the default credential chain.
   * https://docs.aws.amazon.com/cli/latest/reference/eks/get-token.html
   */
  kubeconfigCredentials?: { profileName?: string; roleArn?: string };
  /**
   * IMDS PUT response hop limit of the nodes (1 or 2). 1: only the node itself reaches the instance
   * metadata service, so pods cannot take the node role's credentials; pods that call AWS use Pod
   * Identity. 2: pods on the pod network reach IMDS too (a controller without Pod Identity falls
   * back to the node role). Default 2.
   * https://docs.aws.amazon.com/eks/latest/best-practices/identity-and-access-management.html#_restrict_access_to_the_instance_profile_assigned_to_the_worker_node
   */
  nodeMetadataHopLimit?: NodeMetadataHopLimit;
  /** Encrypt the nodes' root volumes (the account's default EBS key). Default false. https://docs.aws.amazon.com/ebs/latest/userguide/ebs-encryption.html */
  encryptNodeVolumes?: boolean;
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
  privateEndpointAccess: { cidrs: [], securityGroupIds: [] } as PrivateEndpointAccess,
  secretsEncryption: false,
  logTypes: [] as ControlPlaneLogType[],
  adminPrincipalArns: [] as string[],
  pipelineRoles: {} as PipelineRoles,
  nodeMetadataHopLimit: 2 as NodeMetadataHopLimit,
  encryptNodeVolumes: false,
  protect: false,
  nodeGroups: [] as NodeGroupSettings[],
  tags: {} as Record<string, string>,
};

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
  /** Kubeconfig for this program's Kubernetes providers: the stack's AWS profile and role; a secret. */
  public readonly providerKubeconfig: pulumi.Output<string>;
  /** The principals given access entries here (the creator of the cluster left out), with their policy. */
  public readonly accessEntries: pulumi.Output<{ principalArn: string; policy: string; kubernetesGroups: string[] }[]>;
  /** Ingress rules on 443 to the private endpoint, one per source of `privateEndpointAccess`. */
  public readonly endpointRules: aws.vpc.SecurityGroupIngressRule[];
  /** The access entries declared, by principal: what the Kubernetes providers of other components wait for. */
  public readonly accessResources: pulumi.Resource[];
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
      createOidcProvider: true,
      enabledClusterLogTypes: a.logTypes,
      endpointPublicAccess: a.endpointPublicAccess,
      endpointPrivateAccess: a.endpointPrivateAccess,
      publicAccessCidrs: a.endpointPublicAccess ? a.publicAccessCidrs : undefined,
      encryptionConfigKeyArn: secretsKey?.arn,
      // EKS's own deletion protection as well as Pulumi's protect: it also stops a console click or
      // another tool. https://docs.aws.amazon.com/eks/latest/userguide/deletion-protection.html
      deletionProtection: a.protect,
      // Without it pulumi-eks adds a node security group that no node here uses: managed node
      // groups with a launch template and no security groups of their own get the cluster
      // security group EKS creates. https://docs.aws.amazon.com/eks/latest/userguide/sec-group-reqs.html
      skipDefaultSecurityGroups: true,
      tags: a.tags,
    }, { ...child, protect: a.protect });

    this.endpointRules = a.endpointPrivateAccess ? this.declareEndpointRules(name, cluster, a.privateEndpointAccess, a.tags) : [];

    const plan = accessPlan(accessGrants(a.adminPrincipalArns, a.pipelineRoles), a.creatorPrincipalArn);
    this.accessResources = this.declareAccessEntries(name, cluster, plan.declared, partition);
    this.accessEntries = pulumi.output(
      plan.declared.map((g) => ({ principalArn: g.principalArn, policy: g.policy, kubernetesGroups: g.kubernetesGroups })),
    );

    const roleArnOf = (group: string): pulumi.Input<string> =>
      a.nodeRoleArns && Object.hasOwn(a.nodeRoleArns, group) ? a.nodeRoleArns[group] : a.nodeRoleArn;
    // No access entry for the node role here: with API authentication EKS creates the EC2_LINUX
    // entry for a managed node group's role itself, and a second one would fail as a duplicate.
    // https://docs.aws.amazon.com/eks/latest/userguide/creating-access-entries.html
    this.nodeGroups = a.nodeGroups.map((group) => {
      // Our own launch template rather than pulumi-eks's (`enableIMDSv2` + `diskSize`), which
      // hard-codes hop limit 2 and has no tag specifications or volume encryption
      // (nodejs/eks/nodes/nodegroup.ts, createMNGCustomLaunchTemplate).
      const launchTemplate = new aws.ec2.LaunchTemplate(`${name}-${group.name}`, nodeLaunchTemplateArgs({
        description: `EKS cluster ${a.clusterName}, node group ${group.name}`,
        diskSize: group.diskSize,
        encrypted: a.encryptNodeVolumes,
        hopLimit: a.nodeMetadataHopLimit,
        tags: a.tags,
      }), child);
      return new eks.ManagedNodeGroup(`${name}-${group.name}`, {
        cluster,
        // EKS accepts node group names of at most 63 characters and the AWS provider appends a
        // 26-character unique suffix to a prefix: settings keep group names to 36.
        nodeGroupNamePrefix: `${group.name}-`,
        nodeRoleArn: roleArnOf(group.name),
        subnetIds: a.privateSubnetIds,
        instanceTypes: group.instanceTypes,
        capacityType: group.capacityType,
        scalingConfig: { minSize: group.minSize, maxSize: group.maxSize, desiredSize: group.desiredSize },
        labels: group.labels,
        taints: group.taints.map((t) => ({ key: t.key, value: t.value, effect: t.effect })),
        // A changed template is a new version; EKS rolls the nodes onto it.
        launchTemplate: { id: launchTemplate.id, version: launchTemplate.latestVersion.apply((v) => String(v)) },
        // The nodes follow the control plane: pulumi-eks sets a managed node group's version only
        // when it has no launch template (pulumi-eks v4.3.0 nodejs/eks/nodes/nodegroup.ts,
        // createManagedNodeGroupInternal: "if (!args.version && !args.launchTemplate)"), and passes
        // `version` and `amiType` through when given. Our template names no AMI, so EKS picks the
        // AL2023 AMI of `version` and, when it changes, upgrades the nodes in place
        // (UpdateNodegroupVersion). https://docs.aws.amazon.com/eks/latest/userguide/launch-templates.html#launch-template-custom-ami
        version: a.kubernetesVersion,
        amiType: amiTypeOf(group.instanceTypes),
        tags: a.tags,
      }, child);
    });

    this.clusterName = cluster.eksCluster.name;
    this.kubeconfig = pulumi.secret(cluster.kubeconfigJson);
    // pulumi-eks's `kubeconfig` output leaves the profile out on purpose (it is for people, each
    // with their own credentials: genKubeconfig(false) in nodejs/eks/cluster/cluster.ts), and
    // `providerCredentialOpts` changes only the provider pulumi-eks builds for itself. The
    // `getKubeconfig` method writes `--profile` and `--role` into the exec arguments of
    // `aws eks get-token` (generateKubeconfig), which is what our Kubernetes provider needs.
    const credentials = a.kubeconfigCredentials ?? {};
    this.providerKubeconfig = pulumi.secret(
      credentials.profileName || credentials.roleArn
        ? cluster.getKubeconfig({ profileName: credentials.profileName, roleArn: credentials.roleArn }).result
        : cluster.kubeconfigJson,
    );
    this.oidcProviderArn = cluster.oidcProviderArn;
    this.nodeGroupNames = pulumi.all(this.nodeGroups.map((g) => g.nodeGroup.nodeGroupName));
    this.registerOutputs({
      clusterName: this.clusterName,
      kubeconfig: this.kubeconfig,
      providerKubeconfig: this.providerKubeconfig,
      accessEntries: this.accessEntries,
      oidcProviderArn: this.oidcProviderArn,
      nodeGroupNames: this.nodeGroupNames,
    });
  }

  /** One rule per source, named after it, so a source added or removed touches its rule only. */
  private declareEndpointRules(name: string, cluster: eks.Cluster, access: PrivateEndpointAccess, tags: Record<string, string>): aws.vpc.SecurityGroupIngressRule[] {
    const securityGroupId = cluster.eksCluster.vpcConfig.clusterSecurityGroupId;
    const rule = (source: string, from: Pick<aws.vpc.SecurityGroupIngressRuleArgs, "cidrIpv4" | "referencedSecurityGroupId">) =>
      new aws.vpc.SecurityGroupIngressRule(`${name}-endpoint-${source.replace(/[^A-Za-z0-9]+/g, "-")}`, {
        securityGroupId,
        ipProtocol: "tcp",
        fromPort: 443,
        toPort: 443,
        description: `Kubernetes API (private endpoint) from ${source}`,
        ...from,
        tags,
      }, { parent: this });
    return [
      ...access.cidrs.map((cidr) => rule(cidr, { cidrIpv4: cidr })),
      ...access.securityGroupIds.map((id) => rule(id, { referencedSecurityGroupId: id })),
    ];
  }

  /**
   * One AccessEntry and policy association per declared grant: from settings alone, so every
   * principal that runs the program declares the same entries (nothing created inside an apply).
   * Declared here rather than through pulumi-eks's `accessEntries`; the aliases keep entries an
   * earlier version created under the eks component.
   */
  private declareAccessEntries(name: string, cluster: eks.Cluster, grants: AccessGrant[], partition: pulumi.Output<string>): pulumi.Resource[] {
    const child = { parent: this };
    return grants.flatMap((grant) => {
      const oldEntryName = `${name}-eks-${grant.key}`;
      const entry = new aws.eks.AccessEntry(`${name}-${grant.key}`, {
        clusterName: cluster.eksCluster.name,
        principalArn: grant.principalArn,
        type: "STANDARD",
        kubernetesGroups: grant.kubernetesGroups.length > 0 ? grant.kubernetesGroups : undefined,
      }, { ...child, aliases: [{ name: oldEntryName, parent: cluster }] });
      const association = grant.policy === "AmazonEKSClusterAdminPolicy" ? "admin" : "view";
      const policy = new aws.eks.AccessPolicyAssociation(`${name}-${grant.key}-${association}`, {
        clusterName: cluster.eksCluster.name,
        principalArn: entry.principalArn,
        policyArn: pulumi.interpolate`arn:${partition}:eks::aws:cluster-access-policy/${grant.policy}`,
        accessScope: { type: "cluster" },
      }, {
        ...child,
        dependsOn: [entry],
        aliases: [{ name: `${oldEntryName}-${association}`, parent: pulumi.createUrn(oldEntryName, "aws:eks/accessEntry:AccessEntry", cluster.urn) }],
      });
      return [entry, policy];
    });
  }
}
