import type * as aws from "@pulumi/aws";

/**
 * IMDS PUT response hop limit. 1: a packet from a pod crosses one more hop than one from the node,
 * so pods cannot get an IMDSv2 token and cannot borrow the node role; 2: pods reach IMDS.
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-IMDS-existing-instances.html
 */
export type NodeMetadataHopLimit = 1 | 2;

/** EC2 resource types launched from the template that carry the stack's tags (cost allocation). */
export const TAGGED_LAUNCH_RESOURCES = ["instance", "volume", "network-interface"] as const;

/**
 * Root device of the EKS-optimized Amazon Linux 2023 AMI, the managed node groups' default AMI
 * type for the Kubernetes versions this stack deploys (pulumi-eks uses the same name in
 * createMNGCustomLaunchTemplate). https://docs.aws.amazon.com/eks/latest/userguide/launch-templates.html
 */
export const ROOT_DEVICE_NAME = "/dev/xvda";

export interface NodeLaunchTemplateOptions {
  description: string;
  /** Root volume size in GiB. */
  diskSize: number;
  encrypted: boolean;
  hopLimit: NodeMetadataHopLimit;
  tags: Record<string, string>;
}

/**
 * Launch template inputs for a managed node group: IMDSv2 only with the given hop limit, a gp3
 * root volume (encrypted when asked), and the stack's tags on the instances, their volumes and
 * network interfaces. A node group's own `tags` reach none of these: EKS tags only the node group.
 * https://docs.aws.amazon.com/eks/latest/userguide/launch-templates.html
 */
export function nodeLaunchTemplateArgs(options: NodeLaunchTemplateOptions): aws.ec2.LaunchTemplateArgs {
  const hasTags = Object.keys(options.tags).length > 0;
  return {
    description: options.description,
    // Managed node groups refuse a template that sets an instance profile or subnets; EKS sets those.
    metadataOptions: {
      httpEndpoint: "enabled",
      httpTokens: "required",
      httpPutResponseHopLimit: options.hopLimit,
    },
    blockDeviceMappings: [
      {
        deviceName: ROOT_DEVICE_NAME,
        ebs: {
          volumeSize: options.diskSize,
          volumeType: "gp3",
          deleteOnTermination: "true",
          // The provider's tri-state string: unset keeps the account's EBS default-encryption setting.
          encrypted: options.encrypted ? "true" : undefined,
        },
      },
    ],
    // EC2 refuses a tag specification without tags.
    tagSpecifications: hasTags ? TAGGED_LAUNCH_RESOURCES.map((resourceType) => ({ resourceType, tags: options.tags })) : undefined,
    tags: options.tags,
  };
}
