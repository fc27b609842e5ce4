/**
 * The stack program: settings -> components -> stack outputs. `pulumi up -s <stack>` creates
 * the network, the node role, the EKS cluster and hands the cluster to Flux.
 */
import { Cluster } from "./components/cluster";
import { FluxBootstrap } from "./components/flux-bootstrap";
import { Network } from "./components/network";
import { NodeRole } from "./components/node-role";
import { loadSettings } from "./stacks/settings";

const settings = loadSettings();

const network = new Network("network", {
  clusterName: settings.cluster.name,
  vpcCidr: settings.network.vpcCidr,
  zoneCount: settings.network.zoneCount,
  natGateways: settings.network.natGateways,
  existing: settings.network.existing,
  tags: settings.tags,
  protect: settings.cluster.protect,
});

const nodeRole = new NodeRole("node-role", { tags: settings.tags });

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
  protect: settings.cluster.protect,
  nodeRoleArn: nodeRole.arn,
  nodeGroups: settings.nodeGroups,
  tags: settings.tags,
});

// Depending on the node groups: Flux's controllers need nodes, and on destroy Flux goes first.
new FluxBootstrap("flux", {
  kubeconfig: cluster.kubeconfig,
  clusterName: cluster.clusterName,
  environment: settings.environment,
  region: settings.region,
  nodeRoleArn: nodeRole.arn,
  nodeRoleName: nodeRole.name,
  flux: settings.flux,
}, { dependsOn: cluster.nodeGroups });

export const clusterName = cluster.clusterName;
export const kubeconfig = cluster.kubeconfig;
export const nodeRoleArn = nodeRole.arn;
export const nodeRoleName = nodeRole.name;
export const oidcProviderArn = cluster.oidcProviderArn;
export const fluxRepoUrl = settings.flux.repoUrl;
export const fluxBranch = settings.flux.branch;
export const fluxPath = settings.flux.path;
