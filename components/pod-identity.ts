import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AwsPolicyKind } from "../gitops/model";
import type { PodIdentityReason } from "../gitops/charts/pod-identities";
import { loadBalancerControllerPolicy } from "./load-balancer-controller-policy";

/** What a role may do: one of the known least-privilege policies, or policy ARNs from settings. */
export type PodIdentityPolicy = { kind: AwsPolicyKind } | { policyArns: string[] };

export interface PodIdentityArgs {
  clusterName: pulumi.Input<string>;
  /** Namespace and service account the controller runs as. Required. */
  namespace: string;
  serviceAccount: string;
  policy: PodIdentityPolicy;
  /** Route 53 zones the DNS policies are limited to; required for `cert-manager-route53` and `external-dns`. */
  hostedZoneIds?: string[];
  /** What asked for this association (file:line or a setting), for the plan. */
  askedBy?: PodIdentityReason[];
  tags?: Record<string, string>;
}

/**
 * The trust policy of every Pod Identity role: the EKS Pod Identity service principal may assume
 * it and tag the session (the agent passes cluster, namespace and service account as session tags).
 * https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html
 */
export const POD_IDENTITY_TRUST = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "pods.eks.amazonaws.com" }, Action: ["sts:AssumeRole", "sts:TagSession"] }],
};


const zoneArns = (partition: string, zones: string[]) => zones.map((z) => `arn:${partition}:route53:::hostedzone/${z}`);

/**
 * cert-manager's DNS-01 solver: read changes, find the zone, and write TXT records in the named
 * zones only. https://cert-manager.io/docs/configuration/acme/dns01/route53/
 */
export function certManagerRoute53Policy(partition: string, zones: string[]): Record<string, unknown> {
  return {
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Action: "route53:GetChange", Resource: `arn:${partition}:route53:::change/*` },
      {
        Effect: "Allow",
        Action: ["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets"],
        Resource: zoneArns(partition, zones),
        Condition: { "ForAllValues:StringEquals": { "route53:ChangeResourceRecordSetsRecordTypes": ["TXT"] } },
      },
      { Effect: "Allow", Action: "route53:ListHostedZonesByName", Resource: "*" },
    ],
  };
}

/** external-dns: change records in the named zones; list zones and records. https://kubernetes-sigs.github.io/external-dns/latest/docs/tutorials/aws/ */
export function externalDnsPolicy(partition: string, zones: string[]): Record<string, unknown> {
  return {
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Action: "route53:ChangeResourceRecordSets", Resource: zoneArns(partition, zones) },
      {
        Effect: "Allow",
        Action: ["route53:ListHostedZones", "route53:ListResourceRecordSets", "route53:ListTagsForResources"],
        Resource: "*",
      },
    ],
  };
}

/** AWS managed policy of the EBS CSI driver. https://docs.aws.amazon.com/eks/latest/userguide/ebs-csi.html */
export const ebsCsiPolicyArn = (partition: string) => `arn:${partition}:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy`;

/** A human-readable name of the policy, for the plan. */
export function policyName(policy: PodIdentityPolicy): string {
  if ("policyArns" in policy) return policy.policyArns.join(", ");
  switch (policy.kind) {
    case "aws-load-balancer-controller":
      return "AWS Load Balancer Controller IAM policy (components/load-balancer-controller-policy.ts, equal to the controller's published v3.5.0 policy)";
    case "ebs-csi-driver":
      return "AmazonEBSCSIDriverPolicy (AWS managed)";
    case "cert-manager-route53":
      return "Route 53 DNS-01: TXT records in addons.hostedZoneIds";
    case "external-dns":
      return "Route 53 records in addons.hostedZoneIds";
  }
}

/**
 * An IAM role that only EKS Pod Identity can assume, its least-privilege policy, and the
 * association that hands it to one service account of the cluster.
 *
 * @example
 * new PodIdentity("lbc", { clusterName: cluster.clusterName, namespace: "kube-system",
 *   serviceAccount: "aws-load-balancer-controller", policy: { kind: "aws-load-balancer-controller" } });
 */
export class PodIdentity extends pulumi.ComponentResource {
  public readonly roleArn: pulumi.Output<string>;
  public readonly association: aws.eks.PodIdentityAssociation;

  constructor(name: string, args: PodIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gitops-cluster:index:PodIdentity", name, {}, opts);
    const child = { parent: this };
    const partition = aws.getPartitionOutput({}, child).partition;
    const zones = args.hostedZoneIds ?? [];
    const { policy } = args;
    if ("kind" in policy && (policy.kind === "cert-manager-route53" || policy.kind === "external-dns") && zones.length === 0) {
      const asked = (args.askedBy ?? []).map((a) => `${a.file}:${a.line} (${a.what})`).join("; ");
      throw new pulumi.RunError(
        `${args.namespace}/${args.serviceAccount} needs Route 53 access${asked ? ` for ${asked}` : ""}, limited to named hosted zones; ` +
          "set gitops-cluster:addons.hostedZoneIds to the zone ids it may change",
      );
    }

    const role = new aws.iam.Role(`${name}-role`, {
      description: `EKS Pod Identity role of ${args.namespace}/${args.serviceAccount}`,
      assumeRolePolicy: JSON.stringify(POD_IDENTITY_TRUST),
      tags: args.tags,
    }, child);
    const attachments: pulumi.Resource[] = [];
    const attach = (suffix: string, policyArn: pulumi.Input<string>) =>
      attachments.push(new aws.iam.RolePolicyAttachment(`${name}-${suffix}`, { role: role.name, policyArn }, child));
    if ("policyArns" in policy) {
      policy.policyArns.forEach((arn, i) => attach(`policy-${i + 1}`, arn));
    } else if (policy.kind === "ebs-csi-driver") {
      attach("policy", pulumi.interpolate`${partition.apply(ebsCsiPolicyArn)}`);
    } else {
      const document = partition.apply((p) =>
        JSON.stringify(
          policy.kind === "aws-load-balancer-controller"
            ? loadBalancerControllerPolicy(p)
            : policy.kind === "cert-manager-route53"
              ? certManagerRoute53Policy(p, zones)
              : externalDnsPolicy(p, zones),
        ),
      );
      attachments.push(new aws.iam.RolePolicy(`${name}-policy`, { role: role.name, policy: document }, child));
    }

    // The association waits for the policy: a pod started in between would get a role that cannot act yet.
    this.association = new aws.eks.PodIdentityAssociation(`${name}-association`, {
      clusterName: args.clusterName,
      namespace: args.namespace,
      serviceAccount: args.serviceAccount,
      roleArn: role.arn,
      tags: args.tags,
    }, { ...child, dependsOn: attachments });
    this.roleArn = role.arn;
    this.registerOutputs({ roleArn: this.roleArn });
  }
}
