/**
 * The contract between the bootstrap and the repository: the `cluster-vars` ConfigMap that
 * FluxBootstrap creates in flux-system, and the variables it supplies to Flux's post-build
 * substitution. The ordering check, the injection and the drift command read the same names.
 * https://fluxcd.io/flux/components/kustomize/kustomizations/#post-build-variable-substitution
 */
export const CLUSTER_VARS_CONFIGMAP = "cluster-vars";

// VPC_ID: the AWS Load Balancer Controller needs it, and with IMDSv2 required on the nodes it
// should be told rather than left to ask the instance metadata service from a pod.
export const CLUSTER_VARS = ["CLUSTER_NAME", "ENVIRONMENT", "AWS_REGION", "VPC_ID", "NODE_ROLE_ARN", "NODE_ROLE_NAME"] as const;
export type ClusterVar = (typeof CLUSTER_VARS)[number];

/** The placeholders namespace overlays use for the node role in `substitute` mode. */
export const NODE_ROLE_VARIABLES = { arn: "NODE_ROLE_ARN", name: "NODE_ROLE_NAME" } as const satisfies Record<string, ClusterVar>;
