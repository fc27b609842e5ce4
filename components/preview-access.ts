import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PREVIEW_GROUP } from "./access-entries";

/**
 * What the preview role needs beyond reading: `pulumi preview` previews Kubernetes objects with
 * server-side dry runs (pulumi-kubernetes enables them by default since 4.0; a dry-run create or
 * patch is authorised as the real verb, so a view policy gets 403: pulumi/pulumi-kubernetes#2213).
 * RBAC cannot tell a dry run from a write, so the role gets the write verbs on the kinds the stack
 * applies, and a ValidatingAdmissionPolicy refuses every request from its group that is not a dry
 * run (`request.dryRun`, admissionregistration.k8s.io/v1, GA in Kubernetes 1.30). Nothing it sends
 * persists. The policy cannot be lifted by the role: it has no verb on admissionregistration.
 * https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/
 */
export interface PreviewAccessArgs {
  /** Kubeconfig the program deploys with (the deploy role's). Required; a secret. */
  kubeconfig: pulumi.Input<string>;
}

/** Resources the stack itself applies with the Kubernetes provider: what a preview dry-runs. */
export const PREVIEW_DRY_RUN_RULES: k8s.types.input.rbac.v1.PolicyRule[] = [
  { apiGroups: [""], resources: ["namespaces", "configmaps", "secrets"], verbs: ["create", "update", "patch"] },
  { apiGroups: ["source.toolkit.fluxcd.io"], resources: ["gitrepositories"], verbs: ["create", "update", "patch"] },
  { apiGroups: ["kustomize.toolkit.fluxcd.io"], resources: ["kustomizations"], verbs: ["create", "update", "patch"] },
  { apiGroups: ["fluxcd.controlplane.io"], resources: ["fluxinstances"], verbs: ["create", "update", "patch"] },
];

/** The CEL the policy holds every write of the preview group to. */
export const DRY_RUN_ONLY = "request.dryRun == true";

export class PreviewAccess extends pulumi.ComponentResource {
  constructor(name: string, args: PreviewAccessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gitops-cluster:index:PreviewAccess", name, {}, opts);
    // Its own provider, waiting for what the component waits for (the access entries).
    const provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: pulumi.secret(args.kubeconfig) }, { parent: this, dependsOn: opts?.dependsOn });
    const inCluster = { parent: this, provider };
    const roleName = "gitops-cluster-preview-dry-run";
    const role = new k8s.rbac.v1.ClusterRole(`${name}-dry-run`, { metadata: { name: roleName }, rules: PREVIEW_DRY_RUN_RULES }, inCluster);
    new k8s.rbac.v1.ClusterRoleBinding(`${name}-dry-run`, {
      metadata: { name: roleName },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: role.metadata.name },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: PREVIEW_GROUP }],
    }, inCluster);
    const policyName = "gitops-cluster-preview-dry-run-only";
    const policy = new k8s.admissionregistration.v1.ValidatingAdmissionPolicy(`${name}-dry-run-only`, {
      metadata: { name: policyName },
      spec: {
        failurePolicy: "Fail",
        matchConstraints: {
          resourceRules: [{ apiGroups: ["*"], apiVersions: ["*"], resources: ["*"], operations: ["CREATE", "UPDATE", "DELETE", "CONNECT"] }],
        },
        matchConditions: [{ name: "preview-group", expression: `request.userInfo.groups.exists(g, g == '${PREVIEW_GROUP}')` }],
        validations: [{ expression: DRY_RUN_ONLY, message: `${PREVIEW_GROUP} may only dry-run (pulumi preview); it changes nothing` }],
      },
    }, inCluster);
    new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(`${name}-dry-run-only`, {
      metadata: { name: policyName },
      spec: { policyName: policy.metadata.name, validationActions: ["Deny"] },
    }, inCluster);
    this.registerOutputs({});
  }
}
