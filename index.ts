/**
 * The stack program: settings -> components -> stack outputs. `pulumi up -s <stack>` proves the
 * GitOps repository's Flux install order, creates the network, the node role and the EKS cluster,
 * hands the cluster to Flux and puts the node role into the namespace overlays.
 */
import * as path from "path";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { accessGrants, accessPlan, callerProblem } from "./components/access-entries";
import { Cluster } from "./components/cluster";
import { CLUSTER_VARS, FluxBootstrap } from "./components/flux-bootstrap";
import { Network } from "./components/network";
import { NodeRole } from "./components/node-role";
import { OrderingCheck } from "./components/ordering-check";
import { OverlayInjection } from "./components/overlay-injection";
import { PreviewAccess } from "./components/preview-access";
import { kubeconfigCredentials } from "./stacks/aws-credentials";
import { PlatformAddons } from "./components/platform-addons";
import { podIdentitySpecs } from "./stacks/pod-identity-specs";
import { dedicatedRoleName, sharedRoleName } from "./stacks/defaults";
import { loadSettings } from "./stacks/settings";
import { upgradeProblem } from "./stacks/upgrade";
import { verifyOptionsFor } from "./stacks/verify-options";

/** `record` with every value passed through `f`. */
function mapValues<T, U>(record: Record<string, T>, f: (value: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, f(value)]));
}

/**
 * Stops the run, before any resource is registered, when the principal running it has no grant
 * in this stack: without it `up` would fail halfway (403 from the Kubernetes API). Who runs the
 * program changes nothing else: the access entries come from settings alone.
 */
async function checkCaller(settings: ReturnType<typeof loadSettings>): Promise<void> {
  const grants = accessGrants(settings.cluster.adminPrincipalArns, settings.cluster.pipelineRoles);
  const caller = await aws.getCallerIdentity({});
  const issuer = (await aws.iam.getSessionContext({ arn: caller.arn })).issuerArn;
  const problem = callerProblem(accessPlan(grants, settings.cluster.creatorPrincipalArn), grants, issuer, pulumi.runtime.isDryRun());
  if (problem) throw new pulumi.RunError(`gitops-cluster:cluster: ${problem}`);
}

/**
 * Refuses a Kubernetes version EKS cannot move the live cluster to in one update (more than one
 * minor up, or down), before any change. The live version is the cluster's own (EKS DescribeCluster),
 * so nothing has to remember the previous setting; a cluster that does not exist yet takes any minor.
 */
async function checkUpgrade(settings: ReturnType<typeof loadSettings>): Promise<void> {
  const { names } = await aws.eks.getClusters({});
  if (!names.includes(settings.cluster.name)) return;
  const live = (await aws.eks.getCluster({ name: settings.cluster.name })).version;
  const problem = upgradeProblem(live, settings.cluster.kubernetesVersion, settings.cluster.name);
  if (problem) throw new pulumi.RunError(`gitops-cluster:cluster.kubernetesVersion: ${problem}`);
}

/** The program: an async function (Pulumi awaits it), so the caller is checked before any change. */
export = async () => {
  const settings = loadSettings();
  // Repository paths in settings are relative to the project directory, wherever the CLI runs from.
  const repoDir = path.resolve(__dirname, settings.gitops.repoDir);

  // First: a broken Flux install order stops the run here, before any cloud resource is registered.
  const ordering = new OrderingCheck("ordering", {
    repoDir,
    clusterPath: settings.gitops.clusterPath,
    options: verifyOptionsFor(settings),
  });
  await checkCaller(settings);
  await checkUpgrade(settings);

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
    privateEndpointAccess: settings.cluster.privateEndpointAccess,
    secretsEncryption: settings.cluster.secretsEncryption,
    logTypes: settings.cluster.logTypes,
    adminPrincipalArns: settings.cluster.adminPrincipalArns,
    pipelineRoles: settings.cluster.pipelineRoles,
    creatorPrincipalArn: settings.cluster.creatorPrincipalArn,
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
    kubernetesVersion: settings.cluster.kubernetesVersion,
    vpcId: network.vpcId,
    // The nodes, and the access entries: the program's own principal may be one of them.
    nodeGroups: [...cluster.nodeGroups, ...cluster.accessResources],
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
    // The Load Balancer Controller's Service webhook fails every Service create until it answers.
    afterWebhooks: addons.webhooks,
  }, { dependsOn: [...cluster.nodeGroups, ...cluster.accessResources] });

  // The preview role's server-side dry runs, and nothing that persists (components/preview-access.ts).
  if (settings.cluster.pipelineRoles.preview) {
    new PreviewAccess("preview-access", { kubeconfig: cluster.providerKubeconfig }, { dependsOn: cluster.accessResources });
  }

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

  const clusterName = cluster.clusterName;
  const kubeconfig = cluster.kubeconfig;
  const nodeRoleArn = nodeRole.arn;
  const nodeRoleName = nodeRole.name;
  /** Node group -> the ARN of the role its nodes run as (dedicated or shared): what drift checks mapped namespaces against. */
  const nodeGroupRoles = pulumi.output(
    Object.fromEntries(settings.nodeGroups.map((group) => [group.name, roleOfGroup(group.name).arn])),
  );
  const oidcProviderArn = cluster.oidcProviderArn;
  const fluxRepoUrl = settings.flux.repoUrl;
  const fluxBranch = settings.flux.branch;
  const fluxPath = settings.flux.path;
  /** The ordering check's verdict: counts and every finding (warnings and notes; errors stop the run). */
  const orderingReport = { summary: ordering.summary, findings: ordering.result.findings };
  /** Each Pod Identity association: namespace, service account, policy, and what asked for it (file:line). */
  const podIdentities = addons.podIdentities;
  /** What the injection does: files it commits (commit mode) or placeholders Flux fills in (substitute mode). */
  const overlayInjection = {
    mode: settings.injection.mode,
    overlayDir: settings.injection.overlayDir,
    commits: injection.commits,
    placeholders: injection.placeholders,
    missingKey: injection.missingKey,
    suppliedVariables: injection.suppliedVariables,
  };

  return { clusterName, kubeconfig, nodeRoleArn, nodeRoleName, nodeGroupRoles, oidcProviderArn, fluxRepoUrl, fluxBranch, fluxPath, orderingReport, podIdentities, overlayInjection };
};
