/**
 * The stack program: settings -> components -> stack outputs. `pulumi up -s <stack>` proves the
 * GitOps repository's Flux install order, creates the network, the node role and the EKS cluster,
 * hands the cluster to Flux and puts the node role into the namespace overlays.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { Cluster } from "./components/cluster";
import { CLUSTER_VARS, FluxBootstrap } from "./components/flux-bootstrap";
import { Network } from "./components/network";
import { NodeRole } from "./components/node-role";
import { OrderingCheck } from "./components/ordering-check";
import { OverlayInjection } from "./components/overlay-injection";
import { kubeconfigCredentials } from "./stacks/aws-credentials";
import { PlatformAddons } from "./components/platform-addons";
import { podIdentitySpecs } from "./stacks/pod-identity-specs";
import { dedicatedRoleName, sharedRoleName } from "./stacks/defaults";
import { loadSettings } from "./stacks/settings";
import { verifyOptionsFor } from "./stacks/verify-options";

/** `record` with every value passed through `f`. */
function mapValues<T, U>(record: Record<string, T>, f: (value: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, f(value)]));
}

const settings = loadSettings();
// Repository paths in settings are relative to the project directory, wherever the CLI runs from.
const repoDir = path.resolve(__dirname, settings.gitops.repoDir);

// First: a broken Flux install order stops the run here, before any cloud resource is registered.
const ordering = new OrderingCheck("ordering", {
  repoDir,
  clusterPath: settings.gitops.clusterPath,
  options: verifyOptionsFor(settings),
});

const network = new Network("network", {
  clusterName: settings.cluster.name,
  vpcCidr: settings.network.vpcCidr,
  zoneCount: settings.network.zoneCount,
  natGateways: settings.network.natGateways,
  existing: settings.network.existing,
  tags: settings.tags,
  protect: settings.cluster.protect,
});

// A fixed role name makes the role's ARN known at preview, so the injection's commits show in the plan.
const nodeRole = new NodeRole("node-role", { tags: settings.tags, roleName: sharedRoleName(settings.cluster.name) });

// Node groups with `dedicatedRole` run as a role of their own, for workloads that need other AWS
// permissions; the rest share nodeRole. Settings checked these fixed names fit IAM's 64 characters.
const dedicatedRoles: Record<string, NodeRole> = Object.fromEntries(
  settings.nodeGroups
    .filter((group) => group.dedicatedRole)
    .map((group) => [
      group.name,
      new NodeRole(`node-role-${group.name}`, {
        tags: settings.tags,
        roleName: dedicatedRoleName(settings.cluster.name, group.name),
      }),
    ]),
);
/** The role a node group's nodes run as. */
const roleOfGroup = (group: string): NodeRole => (Object.hasOwn(dedicatedRoles, group) ? dedicatedRoles[group] : nodeRole);

const cluster = new Cluster("cluster", {
  clusterName: settings.cluster.name,
  kubernetesVersion: settings.cluster.kubernetesVersion,
  vpcId: network.vpcId,
  publicSubnetIds: network.publicSubnetIds,
  privateSubnetIds: network.privateSubnetIds,
  endpointPublicAccess: settings.cluster.endpointPublicAccess,
  endpointPrivateAccess: settings.cluster.endpointPrivateAccess,
  publicAccessCidrs: settings.cluster.publicAccessCidrs,
  secretsEncryption: settings.cluster.secretsEncryption,
  logTypes: settings.cluster.logTypes,
  adminPrincipalArns: settings.cluster.adminPrincipalArns,
  pipelineRoles: settings.cluster.pipelineRoles,
  nodeMetadataHopLimit: settings.cluster.nodeMetadataHopLimit,
  encryptNodeVolumes: settings.cluster.encryptNodeVolumes,
  kubeconfigCredentials: kubeconfigCredentials(),
  protect: settings.cluster.protect,
  nodeRoleArn: nodeRole.arn,
  nodeRoleArns: mapValues(dedicatedRoles, (role) => role.arn),
  nodeGroups: settings.nodeGroups,
  tags: settings.tags,
});

// Outside Flux, so they outlive its prune on destroy: EKS add-ons, the Load Balancer Controller and
// a Pod Identity role per controller of the repository that calls AWS.
const addons = new PlatformAddons("addons", {
  clusterName: cluster.clusterName,
  kubeconfig: cluster.kubeconfig,
  region: settings.region,
  vpcId: network.vpcId,
  nodeGroups: cluster.nodeGroups,
  addons: settings.addons,
  podIdentities: podIdentitySpecs(ordering.result, settings),
  tags: settings.tags,
});

// Depending on the node groups: Flux's controllers need nodes, and on destroy Flux goes first.
new FluxBootstrap("flux", {
  // With the stack's aws:profile and role, unlike the exported kubeconfig (for people).
  kubeconfig: cluster.providerKubeconfig,
  clusterName: cluster.clusterName,
  environment: settings.environment,
  region: settings.region,
  vpcId: network.vpcId,
  nodeRoleArn: nodeRole.arn,
  nodeRoleName: nodeRole.name,
  // The controllers the repository needs (image automation, source-watcher), or flux.components.
  flux: { ...settings.flux, components: ordering.result.fluxComponents ?? settings.flux.components },
  rootDependsOn: addons.ready,
}, { dependsOn: cluster.nodeGroups });

const injection = new OverlayInjection("overlays", {
  mode: settings.injection.mode,
  repoDir,
  overlayDir: settings.injection.overlayDir,
  environment: settings.environment,
  key: settings.injection.key,
  valueForm: settings.injection.valueForm,
  role: { arn: nodeRole.previewableArn, name: nodeRole.name },
  // Namespaces mapped to a node group carry that group's role; unmapped ones get `role`.
  namespaceRoles: mapValues(settings.injection.namespaceNodeGroups, (group) => ({
    arn: roleOfGroup(group).previewableArn,
    name: roleOfGroup(group).name,
  })),
  commit: settings.injection.commit,
  suppliedVariables: [...CLUSTER_VARS],
});

export const clusterName = cluster.clusterName;
export const kubeconfig = cluster.kubeconfig;
export const nodeRoleArn = nodeRole.arn;
export const nodeRoleName = nodeRole.name;
/** Node group -> the ARN of the role its nodes run as (dedicated or shared): what drift checks mapped namespaces against. */
export const nodeGroupRoles = pulumi.output(
  Object.fromEntries(settings.nodeGroups.map((group) => [group.name, roleOfGroup(group.name).arn])),
);
export const oidcProviderArn = cluster.oidcProviderArn;
export const fluxRepoUrl = settings.flux.repoUrl;
export const fluxBranch = settings.flux.branch;
export const fluxPath = settings.flux.path;
/** The ordering check's verdict: counts and every finding (warnings and notes; errors stop the run). */
export const orderingReport = { summary: ordering.summary, findings: ordering.result.findings };
/** Each Pod Identity association: namespace, service account, policy, and what asked for it (file:line). */
export const podIdentities = addons.podIdentities;
/** What the injection does: files it commits (commit mode) or placeholders Flux fills in (substitute mode). */
export const overlayInjection = {
  mode: settings.injection.mode,
  overlayDir: settings.injection.overlayDir,
  commits: injection.commits,
  placeholders: injection.placeholders,
  missingKey: injection.missingKey,
  suppliedVariables: injection.suppliedVariables,
};
