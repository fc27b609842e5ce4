/**
 * Who may use the cluster's Kubernetes API, as EKS access entries: people (`adminPrincipalArns`)
 * and the pipelines (`pipelineRoles`). Pure: no Pulumi import, so the rules are tested alone.
 *
 * The entries are the same whoever runs the program: they depend on settings only. The one entry
 * the stack does not declare is the creator's: pulumi-eks 4.3 always creates the cluster with
 * `accessConfig.bootstrapClusterCreatorAdminPermissions: true` and ignores later changes to it
 * (pulumi/pulumi-eks v4.3.0, nodejs/eks/cluster/cluster.ts createCore), so EKS gives the principal
 * that created the cluster a cluster-admin access entry of its own, and a second entry for that
 * principal fails with 409 ResourceInUseException (pulumi/pulumi-eks#2373). Who that is is a fact
 * of the cluster's history, not of the current run: `cluster.creatorPrincipalArn` records it.
 */
import type { PipelineRoles } from "../stacks/types";

/**
 * EKS access policies this stack associates.
 * - AmazonEKSClusterAdminPolicy: everything, cluster-wide (people, and the deploy role that runs `up`).
 * - AmazonEKSAdminViewPolicy: get/list/watch on every resource, Secrets included. The preview role
 *   runs `pulumi preview --refresh` and `drift`, which read back every Kubernetes object the stack
 *   owns: the `flux-system` deploy-key Secret, the Helm release of the Flux Operator (Helm keeps
 *   releases in Secrets), the `cluster-vars` ConfigMap and the Flux custom resources.
 *   AmazonEKSViewPolicy would not do: like Kubernetes' `view` ClusterRole it leaves Secrets out, so
 *   the refresh of the credentials Secret and of the Helm release would fail with 403. The writes a
 *   preview's server-side dry runs need come from PREVIEW_GROUP (components/preview-access.ts).
 * https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html
 */
export type AccessPolicyName = "AmazonEKSClusterAdminPolicy" | "AmazonEKSAdminViewPolicy";

/** Why a principal has an entry: the key of each entry starts with it. */
export type AccessPurpose = "admin" | "deploy" | "preview";

/**
 * The Kubernetes group of the preview role's access entry: bound to dry-run writes, and every
 * write from it that is not a dry run refused (components/preview-access.ts). EKS refuses group
 * names starting with `system:` or `eks`. https://docs.aws.amazon.com/eks/latest/APIReference/API_CreateAccessEntry.html
 */
export const PREVIEW_GROUP = "gitops-cluster:preview";

export interface AccessGrant {
  /** Names the AccessEntry resource: `<purpose>-<account>-<resource>`, stable when lists are reordered. */
  key: string;
  principalArn: string;
  purpose: AccessPurpose;
  policy: AccessPolicyName;
  /** Kubernetes groups of the entry, beyond what the policy grants. */
  kubernetesGroups: string[];
}

const POLICY_OF: Record<AccessPurpose, AccessPolicyName> = {
  admin: "AmazonEKSClusterAdminPolicy",
  deploy: "AmazonEKSClusterAdminPolicy",
  preview: "AmazonEKSAdminViewPolicy",
};

/** `admin-123456789012-role-ops-admin` for arn:aws:iam::123456789012:role/ops/admin. */
export function accessEntryKey(purpose: AccessPurpose, principalArn: string): string {
  const [, , , , account, ...resource] = principalArn.split(":");
  return `${purpose}-${account}-${resource.join(":")}`.replace(/[^A-Za-z0-9-]+/g, "-");
}

/**
 * One grant per principal: a principal listed as admin and as a pipeline role keeps its admin entry
 * (EKS allows one access entry per principal); `preview` never widens an admin's rights.
 */
export function accessGrants(adminPrincipalArns: readonly string[], pipelineRoles: PipelineRoles = {}): AccessGrant[] {
  const grants = new Map<string, AccessGrant>();
  const add = (purpose: AccessPurpose, principalArn: string | undefined) => {
    if (!principalArn || grants.has(principalArn)) return;
    grants.set(principalArn, {
      key: accessEntryKey(purpose, principalArn),
      principalArn,
      purpose,
      policy: POLICY_OF[purpose],
      kubernetesGroups: purpose === "preview" ? [PREVIEW_GROUP] : [],
    });
  };
  adminPrincipalArns.forEach((arn) => add("admin", arn));
  add("deploy", pipelineRoles.deploy);
  add("preview", pipelineRoles.preview);
  return [...grants.values()];
}

/** What the stack declares, and the one admin EKS made itself. */
export interface AccessPlan {
  /** The entries the stack declares: every grant but the creator's. */
  declared: AccessGrant[];
  /** The principal EKS made cluster admin when it created the cluster; no entry declared for it. */
  creatorPrincipalArn?: string;
}

/**
 * The access entries of a cluster created by `creatorPrincipalArn`: every grant but the creator's
 * (EKS made that one). IAM ARNs compare case-sensitively in the path, as EKS compares them.
 */
export function accessPlan(grants: readonly AccessGrant[], creatorPrincipalArn: string | undefined): AccessPlan {
  return {
    declared: grants.filter((grant) => grant.principalArn !== creatorPrincipalArn),
    ...(creatorPrincipalArn ? { creatorPrincipalArn } : {}),
  };
}

/** What a principal may do with the cluster's Kubernetes API under a plan. */
export type CallerAccess = "admin" | "preview" | "none";

/** `callerIssuerArn`: the IAM role behind an assumed-role session (aws.iam.getSessionContext), or the user ARN itself. */
export function callerAccess(plan: AccessPlan, allGrants: readonly AccessGrant[], callerIssuerArn: string): CallerAccess {
  if (plan.creatorPrincipalArn === callerIssuerArn) return "admin";
  const grant = allGrants.find((g) => g.principalArn === callerIssuerArn);
  if (!grant) return "none";
  return grant.policy === "AmazonEKSClusterAdminPolicy" ? "admin" : "preview";
}

/**
 * Why `callerIssuerArn` may not run this update, or undefined when it may: `up` needs cluster
 * admin, a preview any grant. A stack that names no principal at all is reachable by its creator
 * only, whom it cannot tell: nothing to check. Said before any resource is registered, so a
 * principal without a grant never gets halfway (a 403 from the Kubernetes API, a 409 for an entry).
 */
export function callerProblem(
  plan: AccessPlan,
  allGrants: readonly AccessGrant[],
  callerIssuerArn: string,
  dryRun: boolean,
): string | undefined {
  if (allGrants.length === 0 && !plan.creatorPrincipalArn) return undefined;
  const access = callerAccess(plan, allGrants, callerIssuerArn);
  if (access === "admin" || (access === "preview" && dryRun)) return undefined;
  const named = [
    ...(plan.creatorPrincipalArn ? [`${plan.creatorPrincipalArn} (cluster.creatorPrincipalArn)`] : []),
    ...allGrants.filter((g) => g.policy === "AmazonEKSClusterAdminPolicy").map((g) => `${g.principalArn} (${g.purpose === "admin" ? "cluster.adminPrincipalArns" : "cluster.pipelineRoles.deploy"})`),
  ];
  const why =
    access === "preview"
      ? "is the preview role (cluster.pipelineRoles.preview): it may run `pulumi preview`, not `pulumi up`"
      : "has no access entry in this stack";
  return (
    `${callerIssuerArn} ${why}; run as one of: ${named.join(", ") || "(none: add the principal to cluster.adminPrincipalArns)"}, ` +
    "or add it to gitops-cluster:cluster.adminPrincipalArns and run `pulumi up` as one of those first"
  );
}
