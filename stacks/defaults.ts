/**
 * What a stack gets for every setting it leaves out, per environment. `stacks/settings.ts`
 * applies these before validating, so a stack file only says what differs from them.
 */
import type {
  AddonsSettings,
  ClusterSettings,
  EksAddonName,
  ControlPlaneLogType,
  Environment,
  FluxSettings,
  InjectionSettings,
  NetworkSettings,
  NodeGroupSettings,
} from "./types";

export const ENVIRONMENTS: readonly Environment[] = ["development", "production"];

export const CONTROL_PLANE_LOG_TYPES: readonly ControlPlaneLogType[] = [
  "api",
  "audit",
  "authenticator",
  "controllerManager",
  "scheduler",
];

/**
 * Flux distribution installed by the Flux Operator: v2.9.4, August 2026
 * (https://github.com/fluxcd/flux2/releases/tag/v2.9.4; fluxcd/terraform-provider-flux#834 moved
 * to it on 2026-08-07). v2.9.5 followed on 2026-08-31 (terraform-provider-flux#836): worth a
 * reviewed move. A concrete patch rather than "2.9.x", so that an upgrade is a reviewed change
 * and not something the operator does overnight.
 */
export const FLUX_VERSION = "2.9.4";

/**
 * flux-operator Helm chart (oci://ghcr.io/controlplaneio-fluxcd/charts/flux-operator); v0.60.0 is
 * the release of September 2026 (controlplaneio-fluxcd/flux-operator PR #1038). The operator
 * installs any Flux 2.x, so this moves independently of FLUX_VERSION; it is newer than v0.58.0
 * (2026-08-07, flux-operator PR #988), the release made the day Flux 2.9.4 came out, so it knows
 * 2.9.4's manifests.
 */
export const FLUX_OPERATOR_CHART_VERSION = "0.60.0";

/**
 * EKS Kubernetes minor version for new clusters: in EKS standard support and inside the range
 * Flux 2.9 is tested against (its controllers are built with Kubernetes 1.36 libraries).
 */
export const KUBERNETES_VERSION = "1.35";

/**
 * How long a Kustomization's deletion waits for what it pruned (its `spec.timeout`). An ALB and its
 * target groups go in about a minute, an EBS volume once its pod is gone; 15m leaves room for a
 * StatefulSet's graceful shutdown. On timeout kustomize-controller gives up waiting and lets go.
 */
export const DELETION_TIMEOUT = "15m";

/**
 * EKS managed add-on versions per Kubernetes minor, pinned so that an upgrade is a reviewed change:
 * raising `cluster.kubernetesVersion` moves each add-on to its row's version in the same `up`.
 * The names are EKS's (https://docs.aws.amazon.com/eks/latest/userguide/workloads-add-ons-available-eks.html).
 * Sources: kube-proxy 1.34 v1.34.0-eksbuild.5 is the EKS user guide's table (managing-kube-proxy,
 * awsdocs/amazon-eks-user-guide#1146); the rest are UNVERIFIED: they could not be checked offline
 * against `aws eks describe-addon-versions --kubernetes-version 1.NN --addon-name NAME`. At preview
 * the program asks EKS for the newest version of each (aws.eks.getAddonVersion) and warns where it
 * differs; a stack replaces any of them with `gitops-cluster:addons.versions`.
 */
export const EKS_ADDON_VERSIONS_BY_MINOR: Readonly<Record<string, Readonly<Record<EksAddonName, string>>>> = {
  "1.34": {
    "vpc-cni": "v1.20.4-eksbuild.2",
    "kube-proxy": "v1.34.0-eksbuild.5",
    coredns: "v1.12.4-eksbuild.1",
    "eks-pod-identity-agent": "v1.3.10-eksbuild.1",
    "aws-ebs-csi-driver": "v1.53.0-eksbuild.1",
    "metrics-server": "v0.8.0-eksbuild.2",
  },
  "1.35": {
    "vpc-cni": "v1.20.4-eksbuild.2",
    "kube-proxy": "v1.35.0-eksbuild.2",
    coredns: "v1.13.1-eksbuild.1",
    "eks-pod-identity-agent": "v1.3.10-eksbuild.1",
    "aws-ebs-csi-driver": "v1.53.0-eksbuild.1",
    "metrics-server": "v0.8.0-eksbuild.2",
  },
};

/** The add-on versions of KUBERNETES_VERSION. */
export const EKS_ADDON_VERSIONS: Readonly<Record<EksAddonName, string>> = EKS_ADDON_VERSIONS_BY_MINOR[KUBERNETES_VERSION];

/**
 * AWS Load Balancer Controller chart (https://aws.github.io/eks-charts, chart aws-load-balancer-controller):
 * 3.5.0 / app v3.5.0 is helm/aws-load-balancer-controller/Chart.yaml at kubernetes-sigs/aws-load-balancer-controller
 * 225f44568848eb25f13e304a5f1cc68c0cd9415d (2026-08-17); components/load-balancer-controller-policy.ts grants what
 * that release's docs/install/iam_policy.json grants (tested against the upstream copy of v3.5.0).
 */
export const LOAD_BALANCER_CONTROLLER_CHART_VERSION = "3.5.0";

/** Every add-on on, the versions above, no hosted zones: the same in both environments. */
export const DEFAULT_ADDONS: AddonsSettings = {
  vpcCni: true,
  kubeProxy: true,
  coredns: true,
  podIdentityAgent: true,
  ebsCsiDriver: true,
  loadBalancerController: true,
  metricsServer: true,
  versions: {},
  hostedZoneIds: [],
};

export type NodeGroupDefaults = Pick<NodeGroupSettings, "instanceTypes" | "capacityType" | "minSize" | "maxSize" | "desiredSize" | "diskSize" | "dedicatedRole">;

export interface EnvironmentDefaults {
  network: Omit<NetworkSettings, "existing">;
  cluster: Omit<ClusterSettings, "name">;
  /** Applied field by field to every configured node group. */
  nodeGroup: NodeGroupDefaults;
  flux: Pick<FluxSettings, "version" | "operatorChartVersion" | "branch" | "interval" | "deletionTimeout">;
  gitops: { repoDir: string; clusterPath: string };
  injection: Pick<InjectionSettings, "mode" | "key" | "valueForm" | "overlayDir">;
}

const DEVELOPMENT: EnvironmentDefaults = {
  // One NAT gateway and two zones: a zone outage may stop development, and that is acceptable.
  network: { vpcCidr: "10.10.0.0/16", zoneCount: 2, natGateways: "single" },
  cluster: {
    kubernetesVersion: KUBERNETES_VERSION,
    endpointPublicAccess: true,
    endpointPrivateAccess: true,
    publicAccessCidrs: ["0.0.0.0/0"],
    privateEndpointAccess: { cidrs: [], securityGroupIds: [] },
    secretsEncryption: false,
    logTypes: ["api", "audit"],
    adminPrincipalArns: [],
    protect: false,
    pipelineRoles: {},
    // Pods may reach the instance metadata service (and the node role) in development, where no
    // Pod Identity association is required for a controller to work.
    nodeMetadataHopLimit: 2,
    encryptNodeVolumes: false,
  },
  // Two burstable instance families so Spot has more capacity pools to draw from.
  nodeGroup: {
    instanceTypes: ["t3.large", "t3a.large"],
    capacityType: "SPOT",
    minSize: 1,
    maxSize: 3,
    desiredSize: 2,
    diskSize: 30,
    dedicatedRole: false,
  },
  flux: {
    version: FLUX_VERSION,
    operatorChartVersion: FLUX_OPERATOR_CHART_VERSION,
    branch: "main",
    interval: "1m",
    deletionTimeout: DELETION_TIMEOUT,
  },
  gitops: { repoDir: "examples/gitops", clusterPath: "clusters/development" },
  injection: {
    mode: "substitute",
    key: "iam_role",
    valueForm: "auto",
    overlayDir: "infrastructure/kustomized/overlays/development",
  },
};

const PRODUCTION: EnvironmentDefaults = {
  // A NAT gateway per zone so losing one zone does not cut the others off from the internet.
  network: { vpcCidr: "10.20.0.0/16", zoneCount: 3, natGateways: "perZone" },
  cluster: {
    ...DEVELOPMENT.cluster,
    // Private endpoint only: operators come in through the VPC (VPN, bastion) unless the stack
    // opens the public endpoint to named CIDRs.
    endpointPublicAccess: false,
    publicAccessCidrs: [],
    privateEndpointAccess: { cidrs: [], securityGroupIds: [] },
    secretsEncryption: true,
    logTypes: [...CONTROL_PLANE_LOG_TYPES],
    protect: true,
    // Hop limit 1: a pod's request to IMDS crosses one more network hop than the node's own, so
    // pods can no longer take the node role's credentials; controllers that call AWS get their
    // own role through Pod Identity (PlatformAddons) instead. It applies only without the EBS CSI
    // driver: its node plugin needs IMDS (hop limit 2, stacks/settings.ts readCluster).
    // https://docs.aws.amazon.com/eks/latest/best-practices/identity-and-access-management.html
    nodeMetadataHopLimit: 1,
    encryptNodeVolumes: true,
  },
  // On-demand, and three nodes so one per zone survives a node or zone loss.
  nodeGroup: {
    instanceTypes: ["m7i.large"],
    capacityType: "ON_DEMAND",
    minSize: 3,
    maxSize: 6,
    desiredSize: 3,
    diskSize: 50,
    dedicatedRole: false,
  },
  // The seed repository's cadence: changes reach production within five minutes.
  flux: { ...DEVELOPMENT.flux, interval: "5m" },
  gitops: { repoDir: "examples/gitops", clusterPath: "clusters/production" },
  injection: { ...DEVELOPMENT.injection, overlayDir: "infrastructure/kustomized/overlays/production" },
};

/** A fresh copy each call: callers may keep and change what they get. */
export function defaultsFor(environment: Environment): EnvironmentDefaults {
  return structuredClone(environment === "production" ? PRODUCTION : DEVELOPMENT);
}

/** EKS cluster names allow [A-Za-z0-9_-]; a stack name may also hold dots. */
export function defaultClusterName(project: string, stack: string): string {
  return `${project}-${stack}`.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 100);
}

/** The IAM role name of the shared node role (settings check it fits IAM's 64 characters). */
export function sharedRoleName(clusterName: string): string {
  return `${clusterName}-nodes`;
}

/** The IAM role name of a node group with `dedicatedRole` (settings check it fits IAM's 64 characters). */
export function dedicatedRoleName(clusterName: string, groupName: string): string {
  return `${clusterName}-${groupName}-nodes`;
}

/** The root Kustomization's spec.path for a cluster directory of the repository. */
export function fluxPathFor(clusterPath: string): string {
  return `./${clusterPath}`;
}
