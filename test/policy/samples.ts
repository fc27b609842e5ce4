/**
 * Resource inputs shaped like those the production plan gives the AWS provider (field names of
 * @pulumi/aws 7 ClusterArgs, NodeGroupArgs, LaunchTemplateArgs, SubnetArgs). Each test starts
 * from the compliant sample and changes the one thing its policy is about.
 */
import { Sample } from "./harness";

export const KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/5c1f8f7e-2a4b-4a57-9a0e-3d2f1b6c7a89";

export function cluster(overrides: Record<string, unknown> = {}, extra: Partial<Sample> = {}): Sample {
  return {
    type: "aws:eks/cluster:Cluster",
    name: "production-eksCluster",
    protect: true,
    props: {
      name: "production",
      version: "1.33",
      roleArn: "arn:aws:iam::123456789012:role/production-eksRole-1a2b3c4",
      vpcConfig: {
        subnetIds: ["subnet-0aaa000000000001", "subnet-0aaa000000000002", "subnet-0aaa000000000003"],
        endpointPublicAccess: true,
        endpointPrivateAccess: true,
        publicAccessCidrs: ["203.0.113.0/24"],
      },
      encryptionConfig: { provider: { keyArn: KEY_ARN }, resources: ["secrets"] },
      enabledClusterLogTypes: ["api", "audit", "authenticator"],
      ...overrides,
    },
    ...extra,
  };
}

/** `null`: metadataOptions left unset. */
export function launchTemplate(httpTokens: string | null = "required"): Sample {
  return {
    type: "aws:ec2/launchTemplate:LaunchTemplate",
    name: "production-system-nodes",
    props: { metadataOptions: httpTokens === null ? undefined : { httpTokens, httpEndpoint: "enabled", httpPutResponseHopLimit: 2 } },
  };
}

export function subnet(name: string, id: string, kind: "public" | "private"): Sample {
  return {
    type: "aws:ec2/subnet:Subnet",
    name,
    props: {
      id,
      vpcId: "vpc-0a1b2c3d4e5f60718",
      cidrBlock: kind === "public" ? "10.40.0.0/20" : "10.40.128.0/19",
      mapPublicIpOnLaunch: kind === "public",
      tags: kind === "public" ? { "kubernetes.io/role/elb": "1" } : { "kubernetes.io/role/internal-elb": "1" },
    },
  };
}

export function nodeGroup(props: Record<string, unknown> = {}, extra: Partial<Sample> = {}): Sample {
  return {
    type: "aws:eks/nodeGroup:NodeGroup",
    name: "production-system",
    props: {
      clusterName: "production",
      nodeRoleArn: "arn:aws:iam::123456789012:role/production-nodes-3a9f1c2",
      subnetIds: ["subnet-0aaa000000000001", "subnet-0aaa000000000002"],
      scalingConfig: { desiredSize: 3, minSize: 3, maxSize: 6 },
      launchTemplate: { id: "lt-0123456789abcdef0", version: "1" },
      ...props,
    },
    ...extra,
  };
}

export function kmsKey(protect: boolean): Sample {
  return { type: "aws:kms/key:Key", name: "production-secrets", protect, props: { enableKeyRotation: true, description: "EKS secrets" } };
}
