/**
 * The credentials the stack's AWS provider deploys with, for the Kubernetes provider's
 * kubeconfig: `aws eks get-token` must run as the same principal, or it reaches the wrong account
 * or gets Unauthorized (pulumi/pulumi-eks#1426).
 */
import * as pulumi from "@pulumi/pulumi";

export interface KubeconfigCredentials {
  /** `aws:profile`. */
  profileName?: string;
  /** The role of `aws:assumeRoles`, assumed from the profile's credentials. */
  roleArn?: string;
}

/**
 * From the `aws` config namespace. `aws eks get-token --role` assumes one role from the base
 * credentials, so a chain of several roles in `aws:assumeRoles` is refused, naming the key.
 * https://www.pulumi.com/registry/packages/aws/installation-configuration/
 */
export function kubeconfigCredentials(): KubeconfigCredentials {
  const config = new pulumi.Config("aws");
  const profileName = config.get("profile") || undefined;
  const assumeRoles = config.getObject<{ roleArn?: string }[]>("assumeRoles") ?? [];
  if (assumeRoles.length > 1) {
    throw new pulumi.RunError(
      `aws:assumeRoles lists ${assumeRoles.length} roles; the cluster's kubeconfig runs aws eks get-token --role, which assumes one: ` +
        "use one role, or a profile whose role_arn/source_profile chain does the rest (set aws:profile)",
    );
  }
  const roleArn = assumeRoles[0]?.roleArn || undefined;
  return { ...(profileName ? { profileName } : {}), ...(roleArn ? { roleArn } : {}) };
}
