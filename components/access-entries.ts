/**
 * Who may use the cluster's Kubernetes API, as EKS access entries: people (`adminPrincipalArns`)
 * and the pipelines (`pipelineRoles`). Pure: no Pulumi import, so the rules are tested alone.
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
 *   the refresh of the credentials Secret and of the Helm release would fail with 403.
 * https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html
 */
export type AccessPolicyName = "AmazonEKSClusterAdminPolicy" | "AmazonEKSAdminViewPolicy";

/** Why a principal has an entry: the key of each entry starts with it. */
export type AccessPurpose = "admin" | "deploy" | "preview";

export interface AccessGrant {
  /** Names the AccessEntry resource: `<purpose>-<account>-<resource>`, stable when lists are reordered. */
  key: string;
  principalArn: string;
  purpose: AccessPurpose;
  policy: AccessPolicyName;
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
    grants.set(principalArn, { key: accessEntryKey(purpose, principalArn), principalArn, purpose, policy: POLICY_OF[purpose] });
  };
  adminPrincipalArns.forEach((arn) => add("admin", arn));
  add("deploy", pipelineRoles.deploy);
  add("preview", pipelineRoles.preview);
  return [...grants.values()];
}

/**
 * The grants without the principal that runs `pulumi up`, when it creates the cluster: pulumi-eks
 * 4.3 always sets `accessConfig.bootstrapClusterCreatorAdminPermissions: true` (nodejs/eks/cluster/
 * cluster.ts, createCore), so EKS itself gives the creator a cluster-admin access entry, and a
 * second one for the same principal fails with 409 ResourceInUseException (pulumi/pulumi-eks#2373).
 * `callerIssuerArn` is the IAM role behind an assumed-role session (aws.iam.getSessionContext),
 * or the user ARN itself. IAM ARNs compare case-sensitively in the path, as EKS compares them.
 */
export function grantsWithoutCaller(grants: readonly AccessGrant[], callerIssuerArn: string): { grants: AccessGrant[]; leftOut?: AccessGrant } {
  const leftOut = grants.find((grant) => grant.principalArn === callerIssuerArn);
  return { grants: grants.filter((grant) => grant !== leftOut), ...(leftOut ? { leftOut } : {}) };
}
