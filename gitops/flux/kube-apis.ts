/**
 * Kubernetes built-in API versions that are no longer served, from the Kubernetes "Deprecated
 * API Migration Guide" (https://kubernetes.io/docs/reference/using-api/deprecation-guide/,
 * "Removed APIs by release", v1.16 to v1.32, the last release that removed a GA-replaced API).
 * Each row: the apiVersion and kinds, the first minor that no longer serves them, and what to
 * use instead (undefined: removed without a replacement, like PodSecurityPolicy).
 */

export interface RemovedKubeApi {
  apiVersion: string;
  kinds: string[];
  /** First Kubernetes minor that stopped serving it, e.g. "1.25". */
  removedIn: string;
  /** The served replacement apiVersion. */
  replacement?: string;
}

const WORKLOADS = ["DaemonSet", "Deployment", "ReplicaSet", "StatefulSet"];

export const REMOVED_KUBE_APIS: readonly RemovedKubeApi[] = [
  // v1.16
  { apiVersion: "extensions/v1beta1", kinds: WORKLOADS, removedIn: "1.16", replacement: "apps/v1" },
  { apiVersion: "apps/v1beta1", kinds: WORKLOADS, removedIn: "1.16", replacement: "apps/v1" },
  { apiVersion: "apps/v1beta2", kinds: WORKLOADS, removedIn: "1.16", replacement: "apps/v1" },
  { apiVersion: "extensions/v1beta1", kinds: ["NetworkPolicy"], removedIn: "1.16", replacement: "networking.k8s.io/v1" },
  { apiVersion: "extensions/v1beta1", kinds: ["PodSecurityPolicy"], removedIn: "1.16", replacement: "policy/v1beta1" },
  // v1.22
  { apiVersion: "admissionregistration.k8s.io/v1beta1", kinds: ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"], removedIn: "1.22", replacement: "admissionregistration.k8s.io/v1" },
  { apiVersion: "apiextensions.k8s.io/v1beta1", kinds: ["CustomResourceDefinition"], removedIn: "1.22", replacement: "apiextensions.k8s.io/v1" },
  { apiVersion: "apiregistration.k8s.io/v1beta1", kinds: ["APIService"], removedIn: "1.22", replacement: "apiregistration.k8s.io/v1" },
  { apiVersion: "authentication.k8s.io/v1beta1", kinds: ["TokenReview"], removedIn: "1.22", replacement: "authentication.k8s.io/v1" },
  { apiVersion: "authorization.k8s.io/v1beta1", kinds: ["SubjectAccessReview", "LocalSubjectAccessReview", "SelfSubjectAccessReview"], removedIn: "1.22", replacement: "authorization.k8s.io/v1" },
  { apiVersion: "certificates.k8s.io/v1beta1", kinds: ["CertificateSigningRequest"], removedIn: "1.22", replacement: "certificates.k8s.io/v1" },
  { apiVersion: "coordination.k8s.io/v1beta1", kinds: ["Lease"], removedIn: "1.22", replacement: "coordination.k8s.io/v1" },
  { apiVersion: "extensions/v1beta1", kinds: ["Ingress"], removedIn: "1.22", replacement: "networking.k8s.io/v1" },
  { apiVersion: "networking.k8s.io/v1beta1", kinds: ["Ingress", "IngressClass"], removedIn: "1.22", replacement: "networking.k8s.io/v1" },
  { apiVersion: "rbac.authorization.k8s.io/v1beta1", kinds: ["ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"], removedIn: "1.22", replacement: "rbac.authorization.k8s.io/v1" },
  { apiVersion: "scheduling.k8s.io/v1beta1", kinds: ["PriorityClass"], removedIn: "1.22", replacement: "scheduling.k8s.io/v1" },
  { apiVersion: "storage.k8s.io/v1beta1", kinds: ["CSIDriver", "CSINode", "StorageClass", "VolumeAttachment"], removedIn: "1.22", replacement: "storage.k8s.io/v1" },
  // v1.25
  { apiVersion: "batch/v1beta1", kinds: ["CronJob"], removedIn: "1.25", replacement: "batch/v1" },
  { apiVersion: "discovery.k8s.io/v1beta1", kinds: ["EndpointSlice"], removedIn: "1.25", replacement: "discovery.k8s.io/v1" },
  { apiVersion: "events.k8s.io/v1beta1", kinds: ["Event"], removedIn: "1.25", replacement: "events.k8s.io/v1" },
  { apiVersion: "autoscaling/v2beta1", kinds: ["HorizontalPodAutoscaler"], removedIn: "1.25", replacement: "autoscaling/v2" },
  { apiVersion: "policy/v1beta1", kinds: ["PodDisruptionBudget"], removedIn: "1.25", replacement: "policy/v1" },
  { apiVersion: "policy/v1beta1", kinds: ["PodSecurityPolicy"], removedIn: "1.25" },
  { apiVersion: "node.k8s.io/v1beta1", kinds: ["RuntimeClass"], removedIn: "1.25", replacement: "node.k8s.io/v1" },
  // v1.26
  { apiVersion: "flowcontrol.apiserver.k8s.io/v1beta1", kinds: ["FlowSchema", "PriorityLevelConfiguration"], removedIn: "1.26", replacement: "flowcontrol.apiserver.k8s.io/v1" },
  { apiVersion: "autoscaling/v2beta2", kinds: ["HorizontalPodAutoscaler"], removedIn: "1.26", replacement: "autoscaling/v2" },
  // v1.27
  { apiVersion: "storage.k8s.io/v1beta1", kinds: ["CSIStorageCapacity"], removedIn: "1.27", replacement: "storage.k8s.io/v1" },
  // v1.29
  { apiVersion: "flowcontrol.apiserver.k8s.io/v1beta2", kinds: ["FlowSchema", "PriorityLevelConfiguration"], removedIn: "1.29", replacement: "flowcontrol.apiserver.k8s.io/v1" },
  // v1.32
  { apiVersion: "flowcontrol.apiserver.k8s.io/v1beta3", kinds: ["FlowSchema", "PriorityLevelConfiguration"], removedIn: "1.32", replacement: "flowcontrol.apiserver.k8s.io/v1" },
];

function minorNumber(version: string): number | undefined {
  const match = /^v?1\.(\d+)/.exec(version.trim());
  return match === null ? undefined : Number(match[1]);
}

/** The removal row that applies to `apiVersion`/`kind` on Kubernetes `kubernetesVersion`, if any. */
export function removedKubeApi(apiVersion: string, kind: string, kubernetesVersion: string): RemovedKubeApi | undefined {
  const cluster = minorNumber(kubernetesVersion);
  if (cluster === undefined) return undefined;
  return REMOVED_KUBE_APIS.find((row) =>
    row.apiVersion === apiVersion && row.kinds.includes(kind) && cluster >= (minorNumber(row.removedIn) ?? Infinity));
}
