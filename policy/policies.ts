/**
 * Production guardrails for the EKS cluster this project builds. Each policy is exported on its
 * own so tests call its `validateResource` / `validateStack` directly.
 *
 * The policies check the AWS resource types the engine sees (`aws:eks/cluster:Cluster`, ...),
 * not our components or `eks:index:Cluster`: that component is a remote (multi-language)
 * component whose children are registered by the eks provider, and it is those children that
 * carry the inputs that matter.
 *
 * Which stacks are production: a policy pack runs in its own process, so `pulumi.getStack()`
 * there names no stack of ours, and `stackTags` are only filled for Pulumi Cloud stacks. Every
 * URN does carry its stack (`urn:pulumi:<stack>::<project>::...`), so the policies read the stack
 * from the URN and apply when it is one of the `productionStacks` in the policy's config
 * (default ["production"]); for other stacks they report "not applicable".
 */
import {
  PolicyResource, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, StackValidationArgs, StackValidationPolicy,
} from "@pulumi/policy";

export const DEFAULT_PRODUCTION_STACKS = ["production"];

export interface ProductionConfig {
  /** Stack names the policies apply to. */
  productionStacks?: string[];
}

const productionConfigSchema = {
  properties: {
    productionStacks: {
      type: "array" as const,
      items: { type: "string" as const },
      default: DEFAULT_PRODUCTION_STACKS,
      description: "Stack names treated as production; the policies do not apply to other stacks.",
    },
  },
};

/** The stack part of a URN: urn:pulumi:<stack>::<project>::<type>::<name>. */
export function stackOfUrn(urn: string): string | undefined {
  const match = /^urn:pulumi:([^:]+)::/.exec(urn);
  return match?.[1];
}

/** Stops the validation with "not applicable" unless the URN belongs to a production stack. */
function requireProduction(urn: string | undefined, args: { getConfig<T extends object>(): T; notApplicable(reason?: string): never }): void {
  const stacks = args.getConfig<ProductionConfig>().productionStacks ?? DEFAULT_PRODUCTION_STACKS;
  const stack = urn === undefined ? undefined : stackOfUrn(urn);
  if (stack === undefined || !stacks.includes(stack)) {
    args.notApplicable(`stack ${stack ?? "(unknown)"} is not a production stack (${stacks.join(", ")})`);
  }
}

const CLUSTER = "aws:eks/cluster:Cluster";
const NODE_GROUP = "aws:eks/nodeGroup:NodeGroup";
const LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate";
const SUBNET = "aws:ec2/subnet:Subnet";
const KMS_KEY = "aws:kms/key:Key";

/** The input fields read here, as the AWS provider names them (inputs.eks.ClusterArgs etc.). */
interface ClusterProps {
  name?: string;
  encryptionConfig?: { provider?: { keyArn?: string }; resources?: string[] };
  vpcConfig?: { endpointPublicAccess?: boolean; endpointPrivateAccess?: boolean; publicAccessCidrs?: string[] };
}
interface NodeGroupProps {
  nodeGroupName?: string;
  launchTemplate?: { id?: string; name?: string; version?: string };
  subnetIds?: string[];
}
interface LaunchTemplateProps {
  metadataOptions?: { httpTokens?: string; httpEndpoint?: string };
}
interface SubnetProps {
  id?: string;
  mapPublicIpOnLaunch?: boolean;
  tags?: Record<string, string>;
}

/** A resource-type policy for production stacks; `check` gets the typed inputs. */
function productionResourcePolicy<T>(
  policy: Omit<ResourceValidationPolicy, "validateResource" | "configSchema">,
  type: string,
  check: (props: T, args: ResourceValidationArgs, reportViolation: ReportViolation) => void,
): ResourceValidationPolicy {
  return {
    ...policy,
    configSchema: productionConfigSchema,
    validateResource: (args, reportViolation) => {
      if (args.type !== type) return;
      requireProduction(args.urn, args);
      check(args.props as T, args, reportViolation);
    },
  };
}

function productionStackPolicy(
  policy: Omit<StackValidationPolicy, "validateStack" | "configSchema">,
  check: (args: StackValidationArgs, reportViolation: ReportViolation) => void,
): StackValidationPolicy {
  return {
    ...policy,
    configSchema: productionConfigSchema,
    validateStack: (args, reportViolation) => {
      requireProduction(args.resources[0]?.urn, args);
      check(args, reportViolation);
    },
  };
}

/** https://docs.aws.amazon.com/eks/latest/userguide/enable-kms.html */
export const eksSecretsEncryption = productionResourcePolicy<ClusterProps>(
  {
    name: "eks-secrets-encryption",
    description: "Production EKS clusters envelope-encrypt Kubernetes secrets with a KMS key.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: "Set gitops-cluster:cluster.secretsEncryption to true (the production default).",
  },
  CLUSTER,
  (cluster, args, reportViolation) => {
    const config = cluster.encryptionConfig;
    if (!config) {
      reportViolation(`EKS cluster ${args.name} has no encryptionConfig: Kubernetes secrets are stored unencrypted by a key you control. Enable secrets encryption with a KMS key.`);
      return;
    }
    if (!(config.resources ?? []).includes("secrets")) {
      reportViolation(`EKS cluster ${args.name} has an encryptionConfig whose resources do not include "secrets".`);
    }
    if (!config.provider?.keyArn) {
      reportViolation(`EKS cluster ${args.name} has an encryptionConfig without provider.keyArn.`);
    }
  },
);

const OPEN_CIDRS = new Set(["0.0.0.0/0", "::/0"]);

/** https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html */
export const eksEndpointRestricted = productionResourcePolicy<ClusterProps>(
  {
    name: "eks-endpoint-restricted",
    description: "A production cluster's public API endpoint is limited to known CIDRs.",
    enforcementLevel: "mandatory",
    severity: "high",
    remediationSteps: "Set gitops-cluster:cluster.publicAccessCidrs to your office/VPN ranges, or turn endpointPublicAccess off and reach the API privately.",
  },
  CLUSTER,
  (cluster, args, reportViolation) => {
    const vpc = cluster.vpcConfig ?? {};
    // AWS defaults: a public endpoint open to 0.0.0.0/0.
    if (vpc.endpointPublicAccess === false) return;
    const cidrs = vpc.publicAccessCidrs ?? [];
    const open = cidrs.filter((c) => OPEN_CIDRS.has(c));
    if (cidrs.length === 0 || open.length > 0) {
      const why = cidrs.length === 0 ? "no publicAccessCidrs (AWS then allows 0.0.0.0/0)" : `publicAccessCidrs containing ${open.join(", ")}`;
      const privateNote = vpc.endpointPrivateAccess ? "" : "; private access is off too, so nodes reach the API over the internet";
      reportViolation(`EKS cluster ${args.name} has a public API endpoint with ${why}${privateNote}.`);
    }
  },
);

/** https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-IMDS-existing-instances.html */
export const imdsv2LaunchTemplate = productionResourcePolicy<LaunchTemplateProps>(
  {
    name: "nodes-require-imdsv2",
    description: "Launch templates of production nodes require IMDSv2 (metadataOptions.httpTokens = required).",
    enforcementLevel: "mandatory",
    severity: "high",
  },
  LAUNCH_TEMPLATE,
  (template, args, reportViolation) => {
    const tokens = template.metadataOptions?.httpTokens;
    if (tokens !== "required") {
      reportViolation(`Launch template ${args.name} allows IMDSv1 (metadataOptions.httpTokens is ${tokens === undefined ? "unset" : `"${tokens}"`}, must be "required"): a pod could read the node role's credentials.`);
    }
  },
);

export const nodeGroupLaunchTemplate = productionResourcePolicy<NodeGroupProps>(
  {
    name: "node-groups-use-launch-template",
    description: "Production managed node groups use a launch template, so IMDSv2 can be enforced on their instances.",
    enforcementLevel: "mandatory",
    severity: "high",
  },
  NODE_GROUP,
  (group, args, reportViolation) => {
    if (!group.launchTemplate?.id && !group.launchTemplate?.name) {
      reportViolation(`Node group ${args.name} has no launchTemplate: EKS's default template leaves IMDSv1 enabled on its nodes.`);
    }
  },
);

/** Why a subnet is public, or undefined. A subnet that maps public IPs or hosts internet-facing load balancers is public. */
function publicReason(subnet: SubnetProps): string | undefined {
  if (subnet.mapPublicIpOnLaunch) return "mapPublicIpOnLaunch is true";
  if (subnet.tags?.["kubernetes.io/role/elb"] === "1") return 'it is tagged kubernetes.io/role/elb=1 (internet-facing load balancers)';
  return undefined;
}

/**
 * Node groups run in private subnets. Checkable where the subnets are in the stack: matched by
 * the node group's subnetIds, or, during a first preview where ids are still unknown, by the
 * subnets its `subnetIds` input depends on. Subnets from outside the stack are not judged.
 */
export const nodesInPrivateSubnets = productionStackPolicy(
  {
    name: "nodes-in-private-subnets",
    description: "Production node groups run only in private subnets.",
    enforcementLevel: "mandatory",
    severity: "high",
  },
  (args, reportViolation) => {
    const subnets = args.resources.filter((r) => r.type === SUBNET);
    const byId = new Map(subnets.map((s) => [String((s.props as SubnetProps).id ?? ""), s]));
    for (const group of args.resources.filter((r) => r.type === NODE_GROUP)) {
      const ids = ((group.props as NodeGroupProps).subnetIds ?? []).filter((id) => typeof id === "string");
      const used = new Set<PolicyResource>([
        ...ids.map((id) => byId.get(id)).filter((s): s is PolicyResource => s !== undefined),
        ...(group.propertyDependencies?.subnetIds ?? []).filter((r) => r.type === SUBNET),
      ]);
      for (const subnet of used) {
        const reason = publicReason(subnet.props as SubnetProps);
        if (reason) reportViolation(`Node group ${group.name} runs in public subnet ${subnet.name}: ${reason}.`, group.urn);
      }
    }
  },
);

/**
 * The cluster, and the KMS keys that encrypt its secrets, are `protect`ed: deleting either by
 * accident loses the cluster or makes its secrets unreadable. A destroy must unprotect first.
 */
export const clusterProtected = productionStackPolicy(
  {
    name: "cluster-protected",
    description: "The production EKS cluster and its KMS keys have Pulumi's protect option.",
    enforcementLevel: "mandatory",
    severity: "medium",
    remediationSteps: "Set gitops-cluster:cluster.protect to true (the production default).",
  },
  (args, reportViolation) => {
    for (const resource of args.resources.filter((r) => r.type === CLUSTER || r.type === KMS_KEY)) {
      if (!resource.opts?.protect) {
        const what = resource.type === CLUSTER ? "EKS cluster" : "KMS key";
        reportViolation(`${what} ${resource.name} is not protected: set protect so a stray destroy or replace cannot delete it.`, resource.urn);
      }
    }
  },
);

export const productionPolicies = [
  eksSecretsEncryption,
  eksEndpointRestricted,
  imdsv2LaunchTemplate,
  nodeGroupLaunchTemplate,
  nodesInPrivateSubnets,
  clusterProtected,
];
