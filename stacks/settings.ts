/**
 * Stack settings: read from Pulumi config (namespace `gitops-cluster`), completed with the
 * environment's defaults (`stacks/defaults.ts`) and validated as a whole. Every problem is
 * reported at once, one line each, naming the full config key, the value given and what is
 * expected; components receive a `Settings` that is known to be valid.
 *
 * Region: `gitops-cluster:region` when set, else the AWS provider's own `aws:region`, which is
 * where the default AWS provider deploys. Setting both to different regions is an error, since
 * resources would land in one region while the settings describe another.
 */
import { ChartMirror, parseChartMirror } from "../gitops/charts/sources";
import { parseSourceMapping } from "../gitops/read/sources";
import { SourceMapping } from "../gitops/model";
import * as pulumi from "@pulumi/pulumi";
import {
  CONTROL_PLANE_LOG_TYPES,
  DEFAULT_ADDONS,
  EKS_ADDON_VERSIONS_BY_MINOR,
  ENVIRONMENTS,
  dedicatedRoleName,
  sharedRoleName,
  defaultClusterName,
  defaultsFor,
  fluxPathFor,
  type EnvironmentDefaults,
  type NodeGroupDefaults,
} from "./defaults";
import {
  API_GROUP,
  AWS_REGION,
  CHART_VERSION,
  DNS_LABEL,
  DNS_SUBDOMAIN,
  DURATION,
  EKS_CLUSTER_NAME,
  FLUX_VERSION,
  GIT_BRANCH,
  GITHUB_NAME,
  IAM_PRINCIPAL_ARN,
  SECURITY_GROUP_ID,
  architectureOf,
  INSTANCE_TYPE,
  KUBERNETES_VERSION,
  LABEL_KEY,
  LABEL_VALUE,
  LOCAL_DIR,
  MANIFEST_KEY,
  NON_EMPTY,
  RELATIVE_DIR,
  REPO_URL_EXPECTED,
  SUBNET_ID,
  TAG_KEY,
  TAG_VALUE,
  VPC_ID,
  parseCidr,
  parseRepoUrl,
} from "./formats";
import { NAMESPACE, Reader, Section, SettingsError, show, type Expectation } from "./readers";
import { readAddons, readPodIdentities } from "./addons-settings";
import type {
  ClusterSettings,
  Environment,
  ExistingNetwork,
  ExtraProvider,
  FluxKustomizePatch,
  FluxSettings,
  GitCredentials,
  GitopsSettings,
  InjectionSettings,
  NetworkSettings,
  NodeGroupSettings,
  NodeTaint,
  PipelineRoles,
  PrivateEndpointAccess,
  Settings,
} from "./types";

export { NAMESPACE, SettingsError } from "./readers";
import { FLUX_COMPONENT_NAMES, FluxComponent } from "../gitops/flux/apis";
export { asPulumiConfig, readStackConfig, readStackConfigFile } from "./stack-file";
import { readStackConfig, readStackConfigFile } from "./stack-file";

/**
 * The top-level keys of the namespace and how Pulumi holds them. `Pulumi.yaml` declares exactly
 * these (a test keeps the two in step); `loadSettings` reads objects and arrays as JSON.
 */
export const CONFIG_KEYS = {
  environment: "string",
  region: "string",
  tags: "object",
  network: "object",
  cluster: "object",
  nodeGroups: "array",
  flux: "object",
  gitops: "object",
  injection: "object",
  decommission: "boolean",
  addons: "object",
  podIdentities: "array",
} as const;

export type ConfigKey = keyof typeof CONFIG_KEYS;

// ---------------------------------------------------------------------------------------------
// Sections, in the order of `Settings`.

function readEnvironment(r: Reader, raw: Record<string, unknown>, stack: string): Environment {
  const fromStack = ENVIRONMENTS.find((environment) => environment === stack);
  const given = blankAsUnset(raw.environment);
  if (given === undefined && !fromStack) {
    r.report(
      "environment",
      `is required for stack ${show(stack)} ` +
        `(expected one of ${ENVIRONMENTS.join(", ")}; stacks named so need not set it)`,
    );
    return "development";
  }
  const environment = r.oneOf("environment", given, ENVIRONMENTS, fromStack ?? "development");
  if (fromStack && r.ok("environment") && environment !== fromStack) {
    r.report("environment", `must be ${fromStack} in stack ${show(stack)} (got ${show(given)})`);
  }
  return environment;
}

/** Pulumi.yaml declares `""` as the default of optional string keys: it means "not set". */
function blankAsUnset(value: unknown): unknown {
  return value === "" ? undefined : value;
}

function readRegion(r: Reader, raw: Record<string, unknown>, awsRegion: string | undefined): string {
  const own = blankAsUnset(raw.region);
  const provider = blankAsUnset(awsRegion);
  if (own === undefined && typeof provider === "string") {
    if (!AWS_REGION.test(provider)) {
      r.report("region", `is not set and aws:region is not ${AWS_REGION.expected} (got ${show(provider)})`);
    }
    return provider;
  }
  const region = r.str("region", own, undefined, {
    ...AWS_REGION,
    expected: own === undefined ? `${AWS_REGION.expected}; or set aws:region` : AWS_REGION.expected,
  });
  if (provider !== undefined && region !== provider && r.ok("region")) {
    r.report(
      "region",
      `must match aws:region, where the AWS provider deploys (got ${show(region)}, aws:region is ${show(provider)})`,
    );
  }
  return region;
}

function readNetwork(r: Reader, value: unknown, defaults: NetworkSettings): NetworkSettings {
  const fields = r.section("network", value, ["vpcCidr", "zoneCount", "natGateways", "existing"]);
  const network: NetworkSettings = {
    vpcCidr: readCidr(r, fields.key("vpcCidr"), fields.raw("vpcCidr"), defaults.vpcCidr, [16, 24]),
    zoneCount: fields.int("zoneCount", defaults.zoneCount, { min: 2, max: 6 }),
    natGateways: fields.oneOf("natGateways", ["single", "perZone"], defaults.natGateways),
  };
  if (fields.has("existing")) network.existing = readExistingNetwork(r, fields);
  return network;
}

function readExistingNetwork(r: Reader, network: Section): ExistingNetwork {
  const fields = network.section("existing", ["vpcId", "publicSubnetIds", "privateSubnetIds"]);
  const subnetIds = (name: string) => fields.list(name, [], (at, item) => r.str(at, item, undefined, SUBNET_ID));
  const existing: ExistingNetwork = {
    vpcId: fields.str("vpcId", undefined, VPC_ID),
    publicSubnetIds: subnetIds("publicSubnetIds"),
    privateSubnetIds: subnetIds("privateSubnetIds"),
  };
  // EKS requires subnets in at least two availability zones; nodes run in the private ones.
  const privateAt = fields.key("privateSubnetIds");
  if (r.ok(privateAt) && existing.privateSubnetIds.length < 2) {
    r.report(privateAt, `must list at least 2 subnets in different zones (got ${show(existing.privateSubnetIds)})`);
  }
  return existing;
}

function readCluster(
  r: Reader,
  value: unknown,
  defaults: EnvironmentDefaults["cluster"],
  defaultName: string,
  ebsCsiDriver: boolean,
): ClusterSettings {
  const fields = r.section("cluster", value, [
    "name",
    "kubernetesVersion",
    "endpointPublicAccess",
    "endpointPrivateAccess",
    "publicAccessCidrs",
    "endpointAccess",
    "secretsEncryption",
    "logTypes",
    "adminPrincipalArns",
    "protect",
    "pipelineRoles",
    "creatorPrincipalArn",
    "nodeMetadataHopLimit",
    "encryptNodeVolumes",
  ]);
  const pipelineRoles = readPipelineRoles(r, fields);
  const endpointAccess = readEndpointAccess(r, fields);
  const publicCidrsAt = endpointAccess.publicCidrs ? `${fields.key("endpointAccess")}.publicCidrs` : fields.key("publicAccessCidrs");
  const cluster: ClusterSettings = {
    name: fields.str("name", defaultName, EKS_CLUSTER_NAME),
    kubernetesVersion: fields.str("kubernetesVersion", defaults.kubernetesVersion, KUBERNETES_VERSION),
    endpointPublicAccess: fields.bool("endpointPublicAccess", defaults.endpointPublicAccess),
    endpointPrivateAccess: fields.bool("endpointPrivateAccess", defaults.endpointPrivateAccess),
    publicAccessCidrs:
      endpointAccess.publicCidrs ??
      fields.list("publicAccessCidrs", defaults.publicAccessCidrs, (at, item) => readCidr(r, at, item, undefined)),
    privateEndpointAccess: endpointAccess.private,
    secretsEncryption: fields.bool("secretsEncryption", defaults.secretsEncryption),
    logTypes: fields.list("logTypes", defaults.logTypes, (at, item) =>
      r.oneOf(at, item, CONTROL_PLANE_LOG_TYPES, undefined),
    ),
    adminPrincipalArns: fields.list("adminPrincipalArns", defaults.adminPrincipalArns, (at, item) =>
      r.str(at, item, undefined, IAM_PRINCIPAL_ARN),
    ),
    protect: fields.bool("protect", defaults.protect),
    pipelineRoles,
    creatorPrincipalArn: fields.has("creatorPrincipalArn")
      ? fields.str("creatorPrincipalArn", undefined, IAM_PRINCIPAL_ARN)
      : pipelineRoles.deploy,
    // The EBS CSI node plugin reads the instance type from IMDS to know how many volumes the node
    // may attach; at hop limit 1 its pods cannot reach IMDS and it falls back to Kubernetes
    // metadata, with wrong attach limits (kubernetes-sigs/aws-ebs-csi-driver#2262).
    nodeMetadataHopLimit: fields.int("nodeMetadataHopLimit", ebsCsiDriver ? 2 : defaults.nodeMetadataHopLimit, { min: 1, max: 2 }) as 1 | 2,
    encryptNodeVolumes: fields.bool("encryptNodeVolumes", defaults.encryptNodeVolumes),
  };
  reportDuplicates(r, fields.key("logTypes"), cluster.logTypes);
  reportDuplicates(r, fields.key("adminPrincipalArns"), cluster.adminPrincipalArns);
  // EKS made the creator admin itself; an entry declared for it too would fail with 409. Who that
  // is must be known whoever runs the program (components/access-entries.ts).
  if (cluster.adminPrincipalArns.length > 0 && !cluster.creatorPrincipalArn) {
    r.report(
      fields.key("creatorPrincipalArn"),
      "is required when cluster.adminPrincipalArns is set and cluster.pipelineRoles.deploy is not (expected the IAM role or " +
        "user ARN that runs the first `pulumi up`: EKS makes it cluster admin itself, so the stack declares no entry for it)",
    );
  }
  if (ebsCsiDriver && cluster.nodeMetadataHopLimit === 1 && r.ok(fields.key("nodeMetadataHopLimit"))) {
    r.report(
      fields.key("nodeMetadataHopLimit"),
      "must be 2 while addons.ebsCsiDriver is true (got 1): the EBS CSI node plugin reads the instance type from IMDS " +
        "and at hop limit 1 sets wrong volume attach limits (aws-ebs-csi-driver#2262); or set addons.ebsCsiDriver to false",
    );
  }
  const minors = Object.keys(EKS_ADDON_VERSIONS_BY_MINOR);
  if (r.ok(fields.key("kubernetesVersion")) && !minors.includes(cluster.kubernetesVersion)) {
    r.report(
      fields.key("kubernetesVersion"),
      `must be a minor this stack has add-on versions for: ${minors.join(", ")} (got ${show(cluster.kubernetesVersion)}); ` +
        "add a row to EKS_ADDON_VERSIONS_BY_MINOR in stacks/defaults.ts first",
    );
  }
  publicCidrsKey.set(cluster, publicCidrsAt.replace(/^gitops-cluster:/, ""));
  checkEndpoints(r, cluster, publicCidrsAt);
  // The node role's name is fixed so its ARN is known at preview (see checkDedicatedRoleName).
  const roleName = sharedRoleName(cluster.name);
  if (r.ok(fields.key("name")) && roleName.length > 64) {
    r.report(
      fields.key("name"),
      `must be at most 58 characters, so the node role ${roleName} fits IAM's 64 (got ${cluster.name.length})`,
    );
  }
  return cluster;
}

/** `cluster.pipelineRoles`: {deploy, preview}, each an IAM role ARN, not the same role twice. */
function readPipelineRoles(r: Reader, cluster: Section): PipelineRoles {
  if (!cluster.has("pipelineRoles")) return {};
  const fields = cluster.section("pipelineRoles", ["deploy", "preview"]);
  const roles: PipelineRoles = {};
  for (const purpose of ["deploy", "preview"] as const) {
    if (fields.has(purpose)) roles[purpose] = fields.str(purpose, undefined, IAM_PRINCIPAL_ARN);
  }
  const previewAt = fields.key("preview");
  if (roles.deploy && roles.deploy === roles.preview && r.ok(previewAt)) {
    r.report(previewAt, `must differ from cluster.pipelineRoles.deploy (got ${show(roles.preview)} for both): preview only reads`);
  }
  return roles;
}

/**
 * `cluster.endpointAccess`: {privateCidrs, securityGroupIds} allowed on 443 to the private endpoint
 * (ingress rules on the cluster security group), and publicCidrs, the public endpoint's allow list
 * (the older key `cluster.publicAccessCidrs` says the same; one of the two).
 */
function readEndpointAccess(r: Reader, cluster: Section): { private: PrivateEndpointAccess; publicCidrs?: string[] } {
  if (!cluster.has("endpointAccess")) return { private: { cidrs: [], securityGroupIds: [] } };
  const fields = cluster.section("endpointAccess", ["privateCidrs", "securityGroupIds", "publicCidrs"]);
  const access = {
    private: {
      cidrs: fields.list("privateCidrs", [], (at, item) => readCidr(r, at, item, undefined)),
      securityGroupIds: fields.list("securityGroupIds", [], (at, item) => r.str(at, item, undefined, SECURITY_GROUP_ID)),
    },
    ...(fields.has("publicCidrs") ? { publicCidrs: fields.list("publicCidrs", [], (at, item) => readCidr(r, at, item, undefined)) } : {}),
  };
  reportDuplicates(r, fields.key("privateCidrs"), access.private.cidrs);
  reportDuplicates(r, fields.key("securityGroupIds"), access.private.securityGroupIds);
  if (access.publicCidrs && cluster.has("publicAccessCidrs")) {
    r.report(fields.key("publicCidrs"), "and cluster.publicAccessCidrs say the same thing: set one of them (got both)");
  }
  return access;
}

/** The key a cluster's public CIDRs were read from: `cluster.endpointAccess.publicCidrs` or `cluster.publicAccessCidrs`. */
const publicCidrsKey = new WeakMap<ClusterSettings, string>();

function checkEndpoints(r: Reader, cluster: ClusterSettings, cidrsAt: string): void {
  const [publicAt, privateAt] = ["cluster.endpointPublicAccess", "cluster.endpointPrivateAccess"];
  if (!r.ok(publicAt, privateAt, cidrsAt)) return;
  const { endpointPublicAccess, endpointPrivateAccess, publicAccessCidrs, privateEndpointAccess } = cluster;
  if (!endpointPublicAccess && !endpointPrivateAccess) {
    const text = "must be true when cluster.endpointPublicAccess is false (got false): EKS needs one endpoint";
    r.report(privateAt, text);
  }
  // Sources for an endpoint that is off would be rules that admit nothing: say so rather than plan them.
  if (!endpointPrivateAccess) {
    const given = [...privateEndpointAccess.cidrs, ...privateEndpointAccess.securityGroupIds];
    if (given.length > 0) {
      r.report(
        "cluster.endpointAccess",
        `privateCidrs and securityGroupIds must be empty when cluster.endpointPrivateAccess is false (got ${given.join(", ")}): there is no private endpoint to reach`,
      );
    }
  }
  if (!endpointPublicAccess) {
    if (cidrsAt.endsWith("endpointAccess.publicCidrs") && publicAccessCidrs.length > 0) {
      r.report(cidrsAt, `must be empty when cluster.endpointPublicAccess is false (got ${publicAccessCidrs.join(", ")}): there is no public endpoint`);
    }
    return;
  }
  if (publicAccessCidrs.length === 0) {
    r.report(cidrsAt, "must list at least one CIDR when cluster.endpointPublicAccess is true (got [])");
  } else if (!endpointPrivateAccess && !publicAccessCidrs.includes("0.0.0.0/0")) {
    // Nodes reach a public-only endpoint from the NAT gateways' addresses, which a restricted
    // list leaves out: they could never join. https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html
    r.report(
      privateAt,
      `must be true when ${cidrsAt.replace(/^gitops-cluster:/, "")} restricts the public endpoint (got false): ` +
        "nodes reach the API from NAT addresses outside that list",
    );
  }
}

/** An IPv4 CIDR whose address is the network address (AWS rejects or rewrites anything else). */
function readCidr(
  r: Reader,
  at: string,
  value: unknown,
  fallback: string | undefined,
  prefixes?: [number, number],
): string {
  const range = prefixes ? ` with a prefix from /${prefixes[0]} to /${prefixes[1]}` : "";
  const example = prefixes ? "10.0.0.0/16" : "203.0.113.0/24";
  const expected = `a CIDR such as ${example}${range}`;
  const text = r.str(at, value, fallback, { expected, test: (s) => parseCidr(s) !== undefined });
  const cidr = parseCidr(text);
  if (!cidr || !r.ok(at)) return text;
  if (prefixes && (cidr.prefix < prefixes[0] || cidr.prefix > prefixes[1])) {
    r.report(at, `must be ${expected} (got ${show(text)})`);
  } else if (cidr.network !== text) {
    r.report(at, `must be a network address, ${cidr.network} (got ${show(text)})`);
  }
  return text;
}

/** `field` names the part of each entry that must be unique, e.g. ".name". */
function reportDuplicates(r: Reader, at: string, values: readonly string[], field = ""): void {
  const seen = new Set<string>();
  values.forEach((value, index) => {
    const entryAt = `${at}[${index}]${field}`;
    if (!r.ok(entryAt)) return;
    if (seen.has(value)) r.report(entryAt, `must be unique (got ${show(value)} twice)`);
    seen.add(value);
  });
}

function readNodeGroups(r: Reader, value: unknown, defaults: NodeGroupDefaults, clusterName: string): NodeGroupSettings[] {
  const at = "nodeGroups";
  if (value === undefined) {
    r.report(at, "is required (expected a list of node groups such as [{name: general}])");
    return [];
  }
  const groups = r.list(at, value, [], (groupAt, item) => readNodeGroup(r, groupAt, item, defaults));
  if (r.ok(at) && groups.length === 0) {
    r.report(at, "must list at least one node group (got []): the Flux controllers need nodes to run on");
  }
  const names = groups.map((group) => group.name);
  reportDuplicates(r, at, names, ".name");
  groups.forEach((group, index) => checkDedicatedRoleName(r, `${at}[${index}]`, group, clusterName));
  return groups;
}

/**
 * A dedicated role gets the fixed name `<cluster>-<group>-nodes`: fixed so its ARN is known at
 * preview (the injection's plan shows it), and IAM allows role names of at most 64 characters.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html
 */
function checkDedicatedRoleName(r: Reader, groupAt: string, group: NodeGroupSettings, clusterName: string): void {
  const at = `${groupAt}.dedicatedRole`;
  if (!group.dedicatedRole || !r.ok(at)) return;
  if (groupAt === "nodeGroups[0]") {
    // The first group is the default group: unmapped namespaces and cluster-vars' NODE_ROLE_*
    // carry its role, which is the shared one.
    r.report(at, "must be false for the first node group, the default group that runs on the shared node role (got true)");
    return;
  }
  if (!r.ok(`${groupAt}.name`, "cluster.name")) return;
  const roleName = dedicatedRoleName(clusterName, group.name);
  if (roleName.length > 64) {
    r.report(
      at,
      `needs a role name of at most 64 characters (${roleName} is ${roleName.length}): ` +
        "shorten cluster.name or the group's name",
    );
  }
}

function readNodeGroup(r: Reader, at: string, value: unknown, defaults: NodeGroupDefaults): NodeGroupSettings {
  const fields = r.section(at, value, [
    "name",
    "instanceTypes",
    "capacityType",
    "minSize",
    "maxSize",
    "desiredSize",
    "diskSize",
    "labels",
    "taints",
    "dedicatedRole",
  ]);
  // Unset sizes follow the ones that are set, so `minSize: 4` alone does not clash with a default.
  const minSize = fields.int("minSize", defaults.minSize, { min: 0 });
  const maxSize = fields.int("maxSize", Math.max(defaults.maxSize, minSize), { min: 1 });
  const desiredFallback = Math.min(Math.max(defaults.desiredSize, minSize), maxSize);
  const desiredSize = fields.int("desiredSize", desiredFallback, { min: 0 });
  const group: NodeGroupSettings = {
    name: fields.str("name", undefined, DNS_LABEL),
    instanceTypes: fields.list("instanceTypes", defaults.instanceTypes, (itemAt, item) =>
      r.str(itemAt, item, undefined, INSTANCE_TYPE),
    ),
    capacityType: fields.oneOf("capacityType", ["ON_DEMAND", "SPOT"], defaults.capacityType),
    minSize,
    maxSize,
    desiredSize,
    diskSize: fields.int("diskSize", defaults.diskSize, { min: 20 }),
    labels: fields.record("labels", { key: LABEL_KEY, value: LABEL_VALUE }),
    taints: fields.list("taints", [], (itemAt, item) => readTaint(r, itemAt, item)),
    dedicatedRole: fields.bool("dedicatedRole", defaults.dedicatedRole),
  };
  // The node group's EKS name is `<name>-` plus the 26-character suffix the AWS provider adds to a
  // name prefix (terraform-plugin-sdk helper/id UniqueIDSuffixLength, used for pulumi-eks's
  // nodeGroupNamePrefix), and EKS accepts at most 63 characters.
  const nameAt = fields.key("name");
  if (r.ok(nameAt) && group.name.length > MAX_NODE_GROUP_NAME) {
    r.report(nameAt, `must be at most ${MAX_NODE_GROUP_NAME} characters, so the node group's EKS name fits 63 (got ${group.name.length})`);
  }
  if (r.ok(fields.key("instanceTypes")) && group.instanceTypes.length === 0) {
    r.report(fields.key("instanceTypes"), "must list at least one instance type such as m7i.large (got [])");
  } else if (r.ok(fields.key("instanceTypes")) && new Set(group.instanceTypes.map(architectureOf)).size > 1) {
    // One node group runs one AMI type (components/cluster.ts amiTypeOf).
    r.report(fields.key("instanceTypes"), `must all be Graviton (arm64) or all x86_64, one AMI per node group (got ${group.instanceTypes.join(", ")})`);
  }
  const [minAt, maxAt, desiredAt] = [fields.key("minSize"), fields.key("maxSize"), fields.key("desiredSize")];
  if (r.ok(minAt, maxAt) && maxSize < minSize) {
    r.report(maxAt, `must be >= minSize (got ${maxSize} < ${minSize})`);
  } else if (r.ok(minAt, maxAt, desiredAt)) {
    if (desiredSize < minSize) r.report(desiredAt, `must be >= minSize (got ${desiredSize} < ${minSize})`);
    if (desiredSize > maxSize) r.report(desiredAt, `must be <= maxSize (got ${desiredSize} > ${maxSize})`);
  }
  return group;
}

/** 63 (EKS) - 26 (the provider's unique suffix) - 1 (the "-" before it). */
export const MAX_NODE_GROUP_NAME = 36;

function readTaint(r: Reader, at: string, value: unknown): NodeTaint {
  const fields = r.section(at, value, ["key", "value", "effect"]);
  const taint: NodeTaint = {
    key: fields.str("key", undefined, LABEL_KEY),
    effect: fields.oneOf("effect", ["NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE"], undefined),
  };
  if (fields.has("value")) taint.value = fields.str("value", undefined, LABEL_VALUE);
  return taint;
}

function readFlux(
  r: Reader,
  value: unknown,
  defaults: EnvironmentDefaults["flux"],
  clusterPath: string,
): FluxSettings {
  if (value === undefined) {
    r.report("flux", "is required (expected at least {repoUrl: ssh://git@github.com/acme/gitops.git})");
  }
  const fields = r.section("flux", value, [
    "version",
    "operatorChartVersion",
    "repoUrl",
    "branch",
    "path",
    "interval",
    "credentials",
    "deployKeyGeneration",
    "components",
    "kustomizePatches",
    "deletionTimeout",
  ]);
  const expectedPath = fluxPathFor(clusterPath);
  const repoUrl: Expectation = { expected: REPO_URL_EXPECTED, test: (url) => parseRepoUrl(url) !== undefined };
  const flux: FluxSettings = {
    version: fields.str("version", defaults.version, FLUX_VERSION),
    operatorChartVersion: fields.str("operatorChartVersion", defaults.operatorChartVersion, CHART_VERSION),
    repoUrl: value === undefined ? "" : fields.str("repoUrl", undefined, repoUrl),
    branch: fields.str("branch", defaults.branch, GIT_BRANCH),
    path: fields.str("path", expectedPath, NON_EMPTY),
    interval: fields.str("interval", defaults.interval, DURATION),
    credentials: readCredentials(r, fields.section("credentials", ["kind", "github", "secretName"])),
    kustomizePatches: readFluxKustomizePatches(r, fields),
    deletionTimeout: fields.str("deletionTimeout", defaults.deletionTimeout, DURATION),
  };
  if (fields.has("deployKeyGeneration")) {
    const generation = readDeployKeyGeneration(r, fields.key("deployKeyGeneration"), fields.raw("deployKeyGeneration"));
    if (generation !== undefined) flux.deployKeyGeneration = generation;
    if (flux.credentials.kind !== "deployKey" && r.ok(fields.key("deployKeyGeneration"))) {
      r.report(fields.key("deployKeyGeneration"), "applies only to flux.credentials kind deployKey (got kind existingSecret)");
    }
  }

  const components = readFluxComponents(r, fields);
  if (components !== undefined) flux.components = components;
  // The ordering check reads gitops.clusterPath and Flux reconciles flux.path: one directory.
  if (r.ok(fields.key("path"), "gitops.clusterPath") && flux.path.replace(/\/+$/, "") !== expectedPath) {
    const text = `must be ${expectedPath}, the directory gitops.clusterPath names (got ${show(flux.path)})`;
    r.report(fields.key("path"), text);
  }
  if (value !== undefined && r.ok(fields.key("repoUrl"))) checkCredentialsAgainstUrl(r, flux);
  return flux;
}

/**
 * `flux.deployKeyGeneration`: a positive integer or a date YYYY-MM-DD, as text (it becomes part
 * of resource names, so 7 and "7" are one generation).
 */
function readDeployKeyGeneration(r: Reader, at: string, value: unknown): string | undefined {
  const text = typeof value === "number" ? String(value) : value;
  const valid = typeof text === "string" && (/^[1-9]\d{0,8}$/.test(text) || isCalendarDate(text));
  if (!valid) {
    r.report(at, `must be a positive integer such as 2 or a date such as 2026-11-30 (got ${show(value)})`);
    return undefined;
  }
  return text as string;
}

function isCalendarDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(text);
}

/** `flux.components`: a list of Flux controllers, each once. */
function readFluxComponents(r: Reader, fields: Section): FluxComponent[] | undefined {
  if (!fields.has("components")) return undefined;
  const components = fields.list("components", [], (at, value) => r.oneOf(at, value, FLUX_COMPONENT_NAMES, undefined));
  for (const required of ["source-controller", "kustomize-controller"] as const) {
    // The stack's GitRepository and root Kustomization need these two.
    if (r.ok(fields.key("components")) && !components.includes(required)) {
      r.report(fields.key("components"), `must include ${required}: the stack's GitRepository and root Kustomization need it (got ${show(components)})`);
    }
  }
  return [...new Set(components)];
}

/** `flux.kustomizePatches`: [{patch: text, target?: {kind, name, ...}}], as FluxInstance spec.kustomize.patches takes them. */
function readFluxKustomizePatches(r: Reader, fields: Section): FluxKustomizePatch[] {
  return fields.list("kustomizePatches", [], (at, value) => {
    const patch = r.section(at, value, ["patch", "target"]);
    const out: FluxKustomizePatch = { patch: patch.str("patch", undefined, NON_EMPTY) };
    if (patch.has("target")) {
      out.target = patch.record("target", {
        key: { expected: "a kustomize selector field (group, version, kind, name, namespace, labelSelector, annotationSelector)", test: (k) => ["group", "version", "kind", "name", "namespace", "labelSelector", "annotationSelector"].includes(k) },
        value: NON_EMPTY,
      });
    }
    return out;
  });
}

function readCredentials(r: Reader, fields: Section): GitCredentials {
  const kind = fields.oneOf("kind", ["deployKey", "existingSecret"], "deployKey");
  if (kind === "existingSecret") {
    if (fields.has("github")) {
      r.report(fields.key("github"), "applies only to kind deployKey (got kind existingSecret)");
    }
    return { kind, secretName: fields.str("secretName", undefined, DNS_SUBDOMAIN) };
  }
  if (fields.has("secretName")) {
    r.report(
      fields.key("secretName"),
      `applies only to kind existingSecret (got ${show(fields.raw("secretName"))} with kind deployKey)`,
    );
  }
  if (!fields.has("github")) return { kind };
  const github = fields.section("github", ["owner", "repository"]);
  return {
    kind,
    github: {
      owner: github.str("owner", undefined, GITHUB_NAME),
      repository: github.str("repository", undefined, GITHUB_NAME),
    },
  };
}

function checkCredentialsAgainstUrl(r: Reader, flux: FluxSettings): void {
  const url = parseRepoUrl(flux.repoUrl);
  const { credentials } = flux;
  if (!url || credentials.kind !== "deployKey") return;
  // A deploy key is an SSH key: Flux can only use it over an SSH URL.
  if (!url.ssh) {
    r.report(
      "flux.repoUrl",
      "must be an SSH URL such as ssh://git@github.com/acme/gitops.git for credentials kind deployKey " +
        `(got ${show(flux.repoUrl)})`,
    );
    return;
  }
  if (!credentials.github || !r.ok("flux.credentials.github.owner", "flux.credentials.github.repository")) return;
  const named = `${credentials.github.owner}/${credentials.github.repository}`;
  const inUrl = url.path.replace(/\.git$/, "").replace(/\/+$/, "");
  if (url.host !== "github.com" || inUrl.toLowerCase() !== named.toLowerCase()) {
    r.report(
      "flux.credentials.github",
      `must name the repository of flux.repoUrl (got ${named}, the URL names ${url.host}/${inUrl})`,
    );
  }
}

function readGitops(r: Reader, value: unknown, defaults: EnvironmentDefaults["gitops"]): GitopsSettings {
  const fields = r.section("gitops", value, ["repoDir", "clusterPath", "extraProviders", "preinstalledGroups", "sources", "bootstrapFiles", "chartMirrors"]);
  const apiGroup = (at: string, item: unknown) => r.str(at, item, undefined, API_GROUP);
  return {
    repoDir: fields.str("repoDir", defaults.repoDir, LOCAL_DIR),
    clusterPath: fields.str("clusterPath", defaults.clusterPath, RELATIVE_DIR),
    extraProviders: fields.list("extraProviders", [], (at, item): ExtraProvider => {
      const provider = r.section(at, item, ["chart", "groups"]);
      const chart = provider.str("chart", undefined, DNS_LABEL);
      if (!provider.has("groups")) {
        r.report(provider.key("groups"), "is required (expected a list of API groups such as [cert-manager.io])");
      }
      return { chart, groups: provider.list("groups", [], apiGroup) };
    }),
    preinstalledGroups: fields.list("preinstalledGroups", [], apiGroup),
    sources: fields.list("sources", [], (at, item): SourceMapping => {
      const text = r.str(at, item, undefined);
      const parsed = parseSourceMapping(text);
      if (typeof parsed === "string") {
        r.report(at, parsed);
        return { source: "", dir: "" };
      }
      return parsed;
    }),
    bootstrapFiles: fields.list("bootstrapFiles", [], (at, item) => r.str(at, item, undefined, RELATIVE_DIR)),
    chartMirrors: fields.list("chartMirrors", [], (at, item): ChartMirror => {
      const parsed = parseChartMirror(r.str(at, item, undefined));
      if (typeof parsed === "string") {
        r.report(at, parsed);
        return { from: "", to: "" };
      }
      return parsed;
    }),
  };
}

function readInjection(
  r: Reader,
  value: unknown,
  defaults: EnvironmentDefaults["injection"],
  nodeGroupNames: readonly string[],
  flux: FluxSettings,
): InjectionSettings {
  const fields = r.section("injection", value, [
    "mode",
    "key",
    "valueForm",
    "overlayDir",
    "namespaceNodeGroups",
    "commit",
  ]);
  const nodeGroup: Expectation = {
    expected: `a node group name, one of ${nodeGroupNames.join(", ")}`,
    test: (name) => nodeGroupNames.includes(name),
  };
  const injection: InjectionSettings = {
    mode: fields.oneOf("mode", ["substitute", "commit"], defaults.mode),
    key: fields.str("key", defaults.key, MANIFEST_KEY),
    valueForm: fields.oneOf("valueForm", ["auto", "arn", "name"], defaults.valueForm),
    overlayDir: fields.str("overlayDir", defaults.overlayDir, RELATIVE_DIR),
    namespaceNodeGroups: fields.record("namespaceNodeGroups", { key: DNS_LABEL, value: nodeGroup }),
  };
  const commitAt = fields.key("commit");
  if (injection.mode === "commit") {
    const commit = readCommitTarget(fields, flux);
    if (commit) injection.commit = commit;
    else {
      r.report(
        commitAt,
        "is required when injection.mode is commit " +
          "(expected {owner, repository, branch}; or set flux.credentials.github)",
      );
    }
  } else if (fields.has("commit") && r.ok(fields.key("mode"))) {
    r.report(commitAt, `applies only to injection.mode commit (got mode ${injection.mode})`);
  }
  return injection;
}

/** Where commit mode commits; by default the repository and branch Flux reads, when on GitHub. */
function readCommitTarget(injection: Section, flux: FluxSettings): InjectionSettings["commit"] {
  const github = flux.credentials.kind === "deployKey" ? flux.credentials.github : undefined;
  if (!injection.has("commit")) return github && { ...github, branch: flux.branch };
  const fields = injection.section("commit", ["owner", "repository", "branch"]);
  return {
    owner: fields.str("owner", github?.owner, GITHUB_NAME),
    repository: fields.str("repository", github?.repository, GITHUB_NAME),
    branch: fields.str("branch", flux.branch, GIT_BRANCH),
  };
}

/** Rules a team holds production to, whatever the stack file says. */
function checkProductionRules(r: Reader, cluster: ClusterSettings, decommission: boolean): void {
  if (r.ok("cluster.secretsEncryption") && !cluster.secretsEncryption) {
    r.report("cluster.secretsEncryption", "must be true in production (got false)");
  }
  if (r.ok("cluster.protect") && !cluster.protect && !decommission) {
    r.report("cluster.protect", "must be true in production (got false); to tear the stack down, set gitops-cluster:decommission to true");
  }
  const cidrsAt = publicCidrsKey.get(cluster) ?? "cluster.publicAccessCidrs";
  const { endpointPublicAccess, publicAccessCidrs } = cluster;
  const openToAll = endpointPublicAccess && publicAccessCidrs.includes("0.0.0.0/0");
  if (r.ok(cidrsAt, "cluster.endpointPublicAccess") && openToAll) {
    r.report(
      cidrsAt,
      `must not contain 0.0.0.0/0 in production (got ${show(publicAccessCidrs)}): list the networks that may ` +
        "reach the public endpoint, or set cluster.endpointPublicAccess to false",
    );
  }
}

// ---------------------------------------------------------------------------------------------

/**
 * Settings from config values as Pulumi holds them: `raw` maps keys of the `gitops-cluster`
 * namespace, without the prefix, to strings (scalars) or parsed objects (structured values).
 * `awsRegion` is the `aws:region` config, used when `region` is not set. Pure: no Pulumi calls.
 * Throws SettingsError listing every problem.
 */
export function parseSettings(
  raw: Record<string, unknown>,
  stack: string,
  project: string = NAMESPACE,
  awsRegion?: string,
): Settings {
  const r = new Reader();
  const top = r.object("", raw, Object.keys(CONFIG_KEYS));
  const environment = readEnvironment(r, top, stack);
  const defaults = defaultsFor(environment);
  const region = readRegion(r, top, awsRegion);
  const tags = r.record("tags", top.tags, { key: TAG_KEY, value: TAG_VALUE });
  const network = readNetwork(r, top.network, defaults.network);
  const decommission = r.bool("decommission", top.decommission, false);
  // Read again, checked, by readAddons below; here only to know whether the EBS CSI driver's
  // node plugin will need IMDS (readCluster's hop limit).
  const rawAddons = top.addons as { ebsCsiDriver?: unknown } | undefined;
  const ebsCsiDriver = typeof rawAddons?.ebsCsiDriver === "boolean" ? rawAddons.ebsCsiDriver : DEFAULT_ADDONS.ebsCsiDriver;
  const read = readCluster(r, top.cluster, defaults.cluster, defaultClusterName(project, stack), ebsCsiDriver);
  const cluster = decommission ? { ...read, protect: false } : read;
  const nodeGroups = readNodeGroups(r, top.nodeGroups, defaults.nodeGroup, cluster.name);
  const gitops = readGitops(r, top.gitops, defaults.gitops);
  const flux = readFlux(r, top.flux, defaults.flux, gitops.clusterPath);
  const injection = readInjection(
    r,
    top.injection,
    defaults.injection,
    nodeGroups.map((group) => group.name),
    flux,
  );
  const addons = readAddons(r, top.addons);
  const podIdentities = readPodIdentities(r, top.podIdentities);
  if (environment === "production") checkProductionRules(r, cluster, decommission);
  if (r.problems.length > 0) throw new SettingsError(r.problems);
  return { project, stack, environment, region, tags, network, cluster, nodeGroups, flux, gitops, injection, decommission, addons, podIdentities };
}

/**
 * Settings of a stack read from its `Pulumi.<stack>.yaml` in `projectDir`, for commands that run
 * outside the program (drift, inject --stack). Throws SettingsError, or an error naming the file.
 */
export function settingsFromStackFile(projectDir: string, stack: string): Settings {
  const awsRegion = readStackConfig(projectDir, stack)["aws:region"];
  return parseSettings(readStackConfigFile(projectDir, stack), stack, NAMESPACE, typeof awsRegion === "string" ? awsRegion : undefined);
}

/**
 * Settings of the running stack, from its Pulumi config. Objects and lists arrive as JSON;
 * a value that is not valid JSON is passed on as text, for parseSettings to report.
 */
export function loadSettings(): Settings {
  const config = new pulumi.Config(NAMESPACE);
  const raw: Record<string, unknown> = {};
  for (const fullKey of Object.keys(pulumi.runtime.allConfig())) {
    if (!fullKey.startsWith(`${NAMESPACE}:`)) continue;
    const key = fullKey.slice(NAMESPACE.length + 1);
    // defineProperty, not `raw[key] =`: a key named __proto__ must stay a key, to be reported as unknown.
    Object.defineProperty(raw, key, { value: isStructured(key) ? readStructured(config, key) : config.get(key), enumerable: true, writable: true, configurable: true });
  }
  const awsRegion = new pulumi.Config("aws").get("region");
  return parseSettings(raw, pulumi.getStack(), pulumi.getProject(), awsRegion);
}

function isStructured(key: string): boolean {
  const type: string | undefined = CONFIG_KEYS[key as ConfigKey];
  return type === "object" || type === "array";
}

function readStructured(config: pulumi.Config, key: string): unknown {
  try {
    return config.getObject<unknown>(key);
  } catch {
    return config.get(key);
  }
}
