import { SourceMapping } from "../gitops/model";
/**
 * Typed settings of one stack. `stacks/settings.ts` reads them from Pulumi config
 * (namespace `gitops-cluster`), applies the environment's defaults (`stacks/defaults.ts`) and
 * validates them; components receive the slice they need and never read config themselves.
 */

import type { FluxComponent } from "../gitops/flux/apis";

export type Environment = "development" | "production";

/** EC2 capacity for a managed node group. https://docs.aws.amazon.com/eks/latest/userguide/managed-node-groups.html#managed-node-group-capacity-types */
export type CapacityType = "ON_DEMAND" | "SPOT";

/** Kubernetes taint effect as the EKS API spells it. */
export type TaintEffect = "NO_SCHEDULE" | "NO_EXECUTE" | "PREFER_NO_SCHEDULE";

export interface NodeTaint {
  key: string;
  value?: string;
  effect: TaintEffect;
}

export interface NodeGroupSettings {
  /** Unique within the stack; used in resource names and to map namespaces to node roles. */
  name: string;
  instanceTypes: string[];
  capacityType: CapacityType;
  minSize: number;
  maxSize: number;
  desiredSize: number;
  /** Root volume size in GiB. */
  diskSize: number;
  labels: Record<string, string>;
  taints: NodeTaint[];
  /**
   * The group gets its own node IAM role, `<cluster>-<group>-nodes`, for workloads that need
   * other AWS permissions than the rest (attach those to that role). Namespaces mapped to the
   * group in `injection.namespaceNodeGroups` carry its role. Default false: the shared node role.
   * Not allowed on the first group, the default group whose (shared) role unmapped namespaces get.
   */
  dedicatedRole: boolean;
}

export interface ExistingNetwork {
  vpcId: string;
  /** Subnets for internet-facing load balancers. */
  publicSubnetIds: string[];
  /** Subnets the nodes run in. */
  privateSubnetIds: string[];
}

export interface NetworkSettings {
  vpcCidr: string;
  /** Number of availability zones (2 in development, 3 in production). */
  zoneCount: number;
  /** One NAT gateway for the VPC (cheaper) or one per zone (survives a zone outage). */
  natGateways: "single" | "perZone";
  /** When set, no network is created and the cluster uses these ids. */
  existing?: ExistingNetwork;
}

export type ControlPlaneLogType = "api" | "audit" | "authenticator" | "controllerManager" | "scheduler";

/** IAM roles of the CI pipelines, each given an access entry (see components/access-entries.ts). */
export interface PipelineRoles {
  /** Runs `pulumi up` (release workflow): cluster admin. */
  deploy?: string;
  /** Runs `pulumi preview --refresh` and `drift`: reads every object, Secrets included. */
  preview?: string;
}

/** Who may reach the private API endpoint on 443, beyond the nodes (the cluster security group). */
export interface PrivateEndpointAccess {
  /** Source CIDRs: a runner's subnet, a VPN, a peered network. */
  cidrs: string[];
  /** Source security groups: a bastion's, a runner fleet's. */
  securityGroupIds: string[];
}

export interface ClusterSettings {
  /** EKS cluster name (default `<project>-<stack>`). */
  name: string;
  /** Kubernetes minor version, e.g. "1.33". */
  kubernetesVersion: string;
  endpointPublicAccess: boolean;
  endpointPrivateAccess: boolean;
  /** CIDRs allowed to reach a public endpoint (`endpointAccess.publicCidrs`, or `publicAccessCidrs`). */
  publicAccessCidrs: string[];
  /** Sources allowed on 443 to the private endpoint (`endpointAccess.privateCidrs`, `.securityGroupIds`). */
  privateEndpointAccess: PrivateEndpointAccess;
  /** Envelope-encrypt Kubernetes secrets with a KMS key created for the cluster. */
  secretsEncryption: boolean;
  logTypes: ControlPlaneLogType[];
  /** IAM principal ARNs granted cluster admin through access entries. */
  adminPrincipalArns: string[];
  /** Pulumi `protect` on the cluster, KMS key and network: a destroy must unprotect first. */
  protect: boolean;
  /** Roles of the deploy and preview pipelines, given access entries. */
  pipelineRoles: PipelineRoles;
  /**
   * The IAM principal that creates the cluster (default: pipelineRoles.deploy). EKS makes it admin
   * itself, so no access entry is declared for it, whoever runs later updates.
   */
  creatorPrincipalArn?: string;
  /** IMDS hop limit of the nodes: 1 (production) keeps pods off the node role; 2 (development). */
  nodeMetadataHopLimit: 1 | 2;
  /** Encrypt the nodes' root volumes (production). */
  encryptNodeVolumes: boolean;
}

export type GitCredentials =
  /** Generate an SSH deploy key; register it read-only on GitHub when `github` is set. */
  | { kind: "deployKey"; github?: { owner: string; repository: string } }
  /** Use a Secret that already exists in flux-system (created out of band). */
  | { kind: "existingSecret"; secretName: string };

export interface FluxSettings {
  /** Flux distribution version installed by the Flux Operator, e.g. "2.7.x" or "2.7.3". */
  version: string;
  /** flux-operator Helm chart version. */
  operatorChartVersion: string;
  /** SSH URL of the GitOps repository, e.g. ssh://git@github.com/acme/gitops.git */
  repoUrl: string;
  branch: string;
  /** Path the root Kustomization reconciles, "./clusters/<cluster>". */
  path: string;
  /** Reconcile interval of the GitRepository and the root Kustomization, e.g. "5m". */
  interval: string;
  credentials: GitCredentials;
  /**
   * Generation of the generated deploy key, an integer or a date (YYYY-MM-DD): changing it
   * rotates the key in one `up`. Unset: the key the stack has always had.
   */
  deployKeyGeneration?: string;
  /**
   * Controllers the FluxInstance runs (`spec.components`). Unset: the four defaults plus what
   * the repository applies (image-reflector/image-automation for image.toolkit.fluxcd.io kinds,
   * source-watcher for ArtifactGenerator). https://fluxoperator.dev/docs/crd/fluxinstance/#components
   */
  components?: FluxComponent[];
  /**
   * Kustomize patches for the Flux controllers, carried to `FluxInstance.spec.kustomize.patches`:
   * where the patches of `flux bootstrap`'s flux-system/kustomization.yaml go (`migrate` reports them).
   * https://fluxoperator.dev/docs/crd/fluxinstance/#kustomize-patches
   */
  kustomizePatches?: FluxKustomizePatch[];
  /**
   * How long deleting the root Kustomization (and each child) waits for what it pruned to be
   * gone: its `spec.timeout`, which kustomize-controller's WaitForTermination uses, e.g. "15m".
   */
  deletionTimeout: string;
}

/** One kustomize patch for the Flux controllers: the patch text and the objects it targets. */
export interface FluxKustomizePatch {
  patch: string;
  target?: Record<string, string>;
}

/** Extra chart -> CRD groups rows for the ordering check (see gitops/model.ts ChartProvider). */
export interface ExtraProvider {
  chart: string;
  groups: string[];
}

export interface GitopsSettings {
  /** Local checkout of the GitOps repository, relative to the project directory. */
  repoDir: string;
  /** Cluster directory inside it, e.g. "clusters/development". */
  clusterPath: string;
  /** Ordering check: chart rows added to the shipped table. */
  extraProviders: ExtraProvider[];
  /** Ordering check: API groups installed outside Flux. */
  preinstalledGroups: string[];
  /** Ordering check: Flux sources read from a local directory ("KIND/NAMESPACE/NAME=DIR", DIR relative to repoDir). */
  sources: SourceMapping[];
  /** Ordering check: helmfiles or CRD manifests (repo-relative) applied before Flux starts. */
  bootstrapFiles: string[];
  /** Chart repository mirrors, "FROM=TO" (gitops/charts/sources.ts): fetch FROM's charts from TO. */
  chartMirrors?: import("../gitops/charts/sources").ChartMirror[];
}

export interface InjectionSettings {
  /** `substitute`: overlays hold ${NODE_ROLE_ARN}; `commit`: the real value is committed. */
  mode: "substitute" | "commit";
  /** The key that carries the role in namespace manifests. */
  key: string;
  /** Value form to write; `auto` keeps the form each file already uses. */
  valueForm: "auto" | "arn" | "name";
  /** Overlay directory inside the repository, e.g. "infrastructure/kustomized/overlays/development". */
  overlayDir: string;
  /** Namespace -> node group name; unmapped namespaces get the first node group's role (the shared one). */
  namespaceNodeGroups: Record<string, string>;
  /** For `commit` mode: where to commit. */
  commit?: { owner: string; repository: string; branch: string };
}

/** EKS managed add-ons the stack installs (https://docs.aws.amazon.com/eks/latest/userguide/workloads-add-ons-available-eks.html). */
export type EksAddonName = "vpc-cni" | "kube-proxy" | "coredns" | "eks-pod-identity-agent" | "aws-ebs-csi-driver" | "metrics-server";

/** What the stack installs outside Flux, so that it outlives Flux's prune on destroy. */
export interface AddonsSettings {
  vpcCni: boolean;
  kubeProxy: boolean;
  coredns: boolean;
  podIdentityAgent: boolean;
  ebsCsiDriver: boolean;
  /** The AWS Load Balancer Controller as a Helm release of the stack; false leaves it to the repository. */
  loadBalancerController: boolean;
  /** metrics-server as an EKS add-on: the resource metrics API HorizontalPodAutoscalers read. */
  metricsServer: boolean;
  /** Add-on versions that replace the pinned ones (stacks/defaults.ts EKS_ADDON_VERSIONS). */
  versions: Partial<Record<EksAddonName, string>>;
  /** Route 53 hosted zone ids cert-manager (DNS-01) and external-dns may change; nothing else. */
  hostedZoneIds: string[];
}

/** A Pod Identity association for a controller the chart table does not know. */
export interface PodIdentitySetting {
  namespace: string;
  serviceAccount: string;
  /** Managed or customer policy ARNs the role gets. */
  policyArns: string[];
}

export interface Settings {
  /** Pulumi project and stack names. */
  project: string;
  stack: string;
  environment: Environment;
  region: string;
  /** Tags on every taggable AWS resource. */
  tags: Record<string, string>;
  network: NetworkSettings;
  cluster: ClusterSettings;
  nodeGroups: NodeGroupSettings[];
  flux: FluxSettings;
  gitops: GitopsSettings;
  injection: InjectionSettings;
  addons: AddonsSettings;
  podIdentities: PodIdentitySetting[];
  /**
   * The tear-down switch: lifts `protect` and EKS deletion protection so `pulumi destroy` can run.
   * Production refuses `cluster.protect: false` otherwise, so tearing it down is a visible decision.
   */
  decommission: boolean;
}
