/**
 * Realistic provider answers for the offline plan and the tests: what AWS, EKS, TLS, GitHub and
 * Kubernetes would hand back, with ids and ARNs in the shape each service really uses, so the
 * program under mocks builds the same inputs it would build against a real account.
 *
 * Everything is derived from the resource's type and name, so two runs give the same plan.
 */
import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { EKS_ADDON_VERSIONS_BY_MINOR } from "../stacks/defaults";
import type { EksAddonName } from "../stacks/types";

function addonVersionOf(addon: string, minor: string): string {
  return EKS_ADDON_VERSIONS_BY_MINOR[minor]?.[addon as EksAddonName] ?? "";
}

/** The account the offline plan pretends to run in. */
export const OFFLINE_ACCOUNT_ID = "123456789012";

export interface MockContext {
  /** AWS region of the stack (`aws:region`). */
  region: string;
  accountId: string;
  /** What getCallerIdentity answers; default DEFAULT_CALLER in the context's partition and account. */
  callerArn?: string;
  /** EKS clusters that exist already, name -> Kubernetes version (default none: a first `up`). */
  liveClusters?: Record<string, string>;
}

/**
 * The principal the offline plan runs as by default: a session of the administrators' role that
 * both stack files name (Pulumi.<stack>.yaml, cluster.adminPrincipalArns).
 */
export const DEFAULT_CALLER_ROLE = "PlatformAdmin";

/** What a provider receives when a resource is registered, as the mocks saw it. */
export interface Registration {
  type: string;
  name: string;
  /** Inputs as the engine would receive them: secrets still wrapped (see offline/reveal.ts). */
  inputs: Record<string, unknown>;
  custom: boolean;
}

/**
 * The partition a region belongs to: ARNs and service principals differ per partition.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
 */
export function partitionOf(region: string): { partition: string; dnsSuffix: string } {
  if (region.startsWith("cn-")) return { partition: "aws-cn", dnsSuffix: "amazonaws.com.cn" };
  if (region.startsWith("us-gov-")) return { partition: "aws-us-gov", dnsSuffix: "amazonaws.com" };
  return { partition: "aws", dnsSuffix: "amazonaws.com" };
}

function hex(seed: string, length: number): string {
  return createHash("sha256").update(seed).digest("hex").slice(0, length);
}

function uuid(seed: string): string {
  return [8, 4, 4, 4, 12].map((n, i) => hex(seed + i, n)).join("-");
}

/** A resource's physical name the way Pulumi auto-names it: logical name plus a random suffix. */
function autoName(inputs: Record<string, unknown>, logicalName: string, key = "name"): string {
  const given = inputs[key];
  return typeof given === "string" && given !== "" ? given : `${logicalName}-${hex(logicalName, 7)}`;
}

type State = Record<string, unknown>;
type Answer = { id: string | undefined; state: State };

/** EC2 id prefix and ARN resource kind per resource type. */
const ec2Kinds: Record<string, [idPrefix: string, arnKind: string]> = {
  "aws:ec2/vpc:Vpc": ["vpc", "vpc"],
  "aws:ec2/subnet:Subnet": ["subnet", "subnet"],
  "aws:ec2/internetGateway:InternetGateway": ["igw", "internet-gateway"],
  "aws:ec2/natGateway:NatGateway": ["nat", "natgateway"],
  "aws:ec2/eip:Eip": ["eipalloc", "elastic-ip"],
  "aws:ec2/routeTable:RouteTable": ["rtb", "route-table"],
  "aws:ec2/routeTableAssociation:RouteTableAssociation": ["rtbassoc", "route-table-association"],
  "aws:ec2/launchTemplate:LaunchTemplate": ["lt", "launch-template"],
  "aws:ec2/securityGroup:SecurityGroup": ["sg", "security-group"],
};

const OFFLINE_CA = Buffer.from("-----BEGIN CERTIFICATE-----\nMIIC/jCCAeagAwIBAgIBADANBgkqhkiG9w0BAQsFADAVMRMwEQYDVQQDEwprdWJl\ncm5ldGVzMB4XDTI2MDEwMTAwMDAwMFoXDTM2MDEwMTAwMDAwMFowFTETMBEGA1UE\n-----END CERTIFICATE-----\n").toString("base64");

/** A kubeconfig whose one user runs `aws <args>` for a token (the shape both kubeconfigs below share). */
function execKubeconfig(server: unknown, caData: unknown, args: string[], env?: { name: string; value: string }[]): State {
  return {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "kubernetes", cluster: { server, "certificate-authority-data": caData } }],
    contexts: [{ name: "aws", context: { cluster: "kubernetes", user: "aws" } }],
    "current-context": "aws",
    users: [{ name: "aws", user: { exec: { apiVersion: "client.authentication.k8s.io/v1beta1", command: "aws", args, ...(env === undefined ? {} : { env }) } } }],
  };
}

/** The kubeconfig `aws eks update-kubeconfig` writes: token from `aws eks get-token`. */
function kubeconfigFor(clusterName: string, endpoint: string, region: string): State {
  return execKubeconfig(endpoint, OFFLINE_CA, ["eks", "get-token", "--cluster-name", clusterName, "--region", region, "--output", "json"]);
}

/** The exec arguments pulumi-eks's generateKubeconfig gives `aws eks get-token` (nodejs/eks/cluster/cluster.ts). */
function getTokenArgs(clusterName: string, region: string, roleArn?: string, profileName?: string): string[] {
  const args = ["--region", region, "eks", "get-token", "--cluster-name", clusterName, "--output", "json"];
  if (roleArn) args.push("--role", roleArn);
  if (profileName) args.push("--profile", profileName);
  return args;
}

/** What `Cluster.getKubeconfig({ profileName, roleArn })` returns for the mocked cluster `state`. */
function kubeconfigWithCredentials(state: Record<string, any>, region: string, inputs: Record<string, unknown>): string {
  const cluster = state.eksCluster ?? {};
  const roleArn = typeof inputs.roleArn === "string" && inputs.roleArn !== "" ? inputs.roleArn : undefined;
  const profileName = typeof inputs.profileName === "string" && inputs.profileName !== "" ? inputs.profileName : undefined;
  return JSON.stringify(execKubeconfig(cluster.endpoint, cluster.certificateAuthority?.data, getTokenArgs(String(cluster.name), region, roleArn, profileName),
    [{ name: "KUBERNETES_EXEC_INFO", value: '{"apiVersion": "client.authentication.k8s.io/v1beta1"}' }]));
}

/**
 * Pulumi's mock monitor answers provider functions (invokes) but not methods of component
 * resources (`pulumi.runtime.call`, e.g. pulumi-eks's `Cluster.getKubeconfig`): it has no `call`.
 * This gives it one, answering from the state the mocks gave the resource (`__self__`), the way
 * the eks provider answers from the cluster it created. Call after `setMocks`.
 */
export function answerMethodCalls(ctx: MockContext): void {
  type Registered = { state: Record<string, unknown> };
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    resources: Map<string, Registered>;
    call?: (req: { getTok(): string; getArgs(): { toJavaScript(): Record<string, unknown> } }, done: (err: unknown, res?: unknown) => void) => void;
  };
  monitor.call = (req, done) => {
    void (async () => {
      const token = req.getTok();
      const raw = req.getArgs().toJavaScript();
      const self = raw.__self__ as { urn?: string } | string | undefined;
      const urn = typeof self === "string" ? self : self?.urn;
      const registered = urn ? monitor.resources.get(urn) : undefined;
      if (!registered) throw new Error(`offline plan: method ${token} called on a resource the mocks did not register (${urn})`);
      const inputs = pulumi.runtime.deserializeProperties({ toJavaScript: () => ({ ...raw, __self__: undefined }) } as never);
      const state = pulumi.runtime.deserializeProperties({ toJavaScript: () => registered.state } as never);
      let result: Record<string, unknown>;
      switch (token) {
        case "eks:index:Cluster/getKubeconfig":
          result = { result: kubeconfigWithCredentials(state, ctx.region, inputs) };
          break;
        default:
          throw new Error(`offline plan: no mocked answer for method ${token}; add one to offline/mocks.ts`);
      }
      const serialized = await pulumi.runtime.serializeProperties("call", result);
      return { getFailuresList: () => [], getReturn: () => ({ toJavaScript: () => serialized }), getReturndependenciesMap: () => undefined };
    })().then((response) => done(null, response), (err: Error) => done({ details: err.message }));
  };
}

/**
 * The zones of a region as DescribeAvailabilityZones reports them: four zones a-d whose ids are
 * az1-az4, and one opt-in Local Zone (`<region>-loc-1a`, opt-in-not-required excludes it), with
 * the `excludeZoneIds` and `opt-in-status` filter of the request applied.
 * https://docs.aws.amazon.com/ram/latest/userguide/working-with-az-ids.html
 */
function availabilityZones(region: string, inputs: Record<string, unknown>): Record<string, unknown> {
  const parts = region.split("-");
  const prefix = `${parts[0]}${parts.slice(1, -1).map((p) => p[0]).join("")}${parts[parts.length - 1]}`;
  const zones = [
    ...["a", "b", "c", "d"].map((letter, i) => ({ name: `${region}${letter}`, id: `${prefix}-az${i + 1}`, optIn: "opt-in-not-required" })),
    { name: `${region}-loc-1a`, id: `${prefix}-loc1-az1`, optIn: "not-opted-in" },
  ];
  const excluded = new Set((inputs.excludeZoneIds as string[] | undefined) ?? []);
  const filters = (inputs.filters as { name: string; values: string[] }[] | undefined) ?? [];
  const optInFilter = filters.find((f) => f.name === "opt-in-status");
  const kept = zones.filter((z) => !excluded.has(z.id) && (!optInFilter || optInFilter.values.includes(z.optIn)));
  return { id: region, names: kept.map((z) => z.name), zoneIds: kept.map((z) => z.id), groupNames: kept.map(() => region) };
}

/**
 * Mocks answering every resource type and provider function the stack program uses.
 * `onRegister` sees each registration (the recorder keeps the inputs for the plan).
 */
export function offlineMocks(ctx: MockContext, onRegister?: (r: Registration) => void): pulumi.runtime.Mocks {
  const { partition, dnsSuffix } = partitionOf(ctx.region);
  const arn = (service: string, resource: string) => `arn:${partition}:${service}:${ctx.region}:${ctx.accountId}:${resource}`;
  // IAM is global: no region in its ARNs.
  const iamArn = (resource: string) => `arn:${partition}:iam::${ctx.accountId}:${resource}`;

  function answer(type: string, name: string, inputs: State): Answer {
    const seed = `${type}/${name}`;
    const ec2Kind = ec2Kinds[type];
    if (ec2Kind) {
      const id = `${ec2Kind[0]}-0${hex(seed, 16)}`;
      const extra: State = { arn: arn("ec2", `${ec2Kind[1]}/${id}`) };
      if (type === "aws:ec2/eip:Eip") extra.publicIp = `52.${parseInt(hex(seed, 2), 16)}.${parseInt(hex(seed + "b", 2), 16)}.10`;
      if (type === "aws:ec2/launchTemplate:LaunchTemplate") extra.latestVersion = 1;
      return { id, state: { ...inputs, ...extra } };
    }
    switch (type) {
      case "aws:iam/role:Role": {
        const roleName = autoName(inputs, name);
        return {
          id: roleName,
          state: { ...inputs, name: roleName, arn: iamArn(`role/${roleName}`), uniqueId: `AROA${hex(seed, 17).toUpperCase()}` },
        };
      }
      case "aws:iam/instanceProfile:InstanceProfile": {
        const profileName = autoName(inputs, name);
        return { id: profileName, state: { ...inputs, name: profileName, arn: iamArn(`instance-profile/${profileName}`) } };
      }
      case "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
        return { id: `${String(inputs.role)}-${hex(seed, 8)}`, state: inputs };
      case "aws:kms/key:Key": {
        const keyId = uuid(seed);
        return { id: keyId, state: { ...inputs, keyId, arn: arn("kms", `key/${keyId}`) } };
      }
      case "aws:kms/alias:Alias":
        return { id: String(inputs.name), state: { ...inputs, arn: arn("kms", String(inputs.name)) } };
      case "eks:index:Cluster": {
        const clusterName = autoName(inputs, `${name}-eksCluster`);
        const endpoint = `https://${hex(seed, 32).toUpperCase()}.gr7.${ctx.region}.eks.${dnsSuffix}`;
        const oidcIssuer = `oidc.eks.${ctx.region}.${dnsSuffix}/id/${hex(seed + "oidc", 32).toUpperCase()}`;
        const kubeconfig = kubeconfigFor(clusterName, endpoint, ctx.region);
        const eksCluster = {
          name: clusterName,
          arn: arn("eks", `cluster/${clusterName}`),
          endpoint,
          version: inputs.version ?? "1.33",
          certificateAuthority: { data: OFFLINE_CA },
          identities: [{ oidcs: [{ issuer: `https://${oidcIssuer}` }] }],
          accessConfig: { authenticationMode: inputs.authenticationMode ?? "API" },
          vpcConfig: {
            vpcId: inputs.vpcId,
            subnetIds: [...((inputs.publicSubnetIds as string[]) ?? []), ...((inputs.privateSubnetIds as string[]) ?? [])],
            clusterSecurityGroupId: `sg-0${hex(seed + "csg", 16)}`,
            endpointPrivateAccess: inputs.endpointPrivateAccess ?? false,
            endpointPublicAccess: inputs.endpointPublicAccess ?? true,
            publicAccessCidrs: inputs.publicAccessCidrs ?? ["0.0.0.0/0"],
          },
          kubernetesNetworkConfig: { ipFamily: "ipv4", serviceIpv4Cidr: "172.20.0.0/16" },
        };
        return {
          id: undefined,
          state: {
            eksCluster,
            kubeconfig,
            kubeconfigJson: JSON.stringify(kubeconfig),
            oidcIssuer,
            oidcProviderUrl: `https://${oidcIssuer}`,
            oidcProviderArn: iamArn(`oidc-provider/${oidcIssuer}`),
            clusterSecurityGroupId: eksCluster.vpcConfig.clusterSecurityGroupId,
            nodeSecurityGroupId: `sg-0${hex(seed + "nsg", 16)}`,
            instanceRoles: [],
            core: {
              cluster: eksCluster,
              endpoint,
              vpcId: inputs.vpcId,
              subnetIds: eksCluster.vpcConfig.subnetIds,
              publicSubnetIds: inputs.publicSubnetIds,
              privateSubnetIds: inputs.privateSubnetIds,
              instanceRoles: [],
              kubeconfig,
              nodeGroupOptions: {},
            },
          },
        };
      }
      case "eks:index:ManagedNodeGroup": {
        const prefix = typeof inputs.nodeGroupNamePrefix === "string" ? inputs.nodeGroupNamePrefix : `${name}-`;
        const nodeGroupName = typeof inputs.nodeGroupName === "string" ? inputs.nodeGroupName : `${prefix}${hex(seed, 8)}`;
        return {
          id: undefined,
          state: {
            nodeGroup: {
              nodeGroupName,
              arn: arn("eks", `nodegroup/${String(inputs.clusterName ?? "cluster")}/${nodeGroupName}/${hex(seed, 8)}-${hex(seed + "u", 4)}`),
              nodeRoleArn: inputs.nodeRoleArn,
              subnetIds: inputs.subnetIds,
              scalingConfig: inputs.scalingConfig,
              capacityType: inputs.capacityType ?? "ON_DEMAND",
              instanceTypes: inputs.instanceTypes,
              labels: inputs.labels,
              taints: inputs.taints,
              status: "ACTIVE",
            },
          },
        };
      }
      case "tls:index/privateKey:PrivateKey": {
        const material = hex(seed, 43);
        const publicKeyOpenssh = `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${Buffer.from(material).toString("base64").slice(0, 43)}\n`;
        return {
          id: hex(seed, 40),
          state: {
            ...inputs,
            publicKeyOpenssh,
            publicKeyPem: `-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA${material}\n-----END PUBLIC KEY-----\n`,
            publicKeyFingerprintSha256: `SHA256:${Buffer.from(hex(seed + "fp", 32), "hex").toString("base64").replace(/=+$/, "")}`,
            privateKeyOpenssh: `-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ${material}\n-----END OPENSSH PRIVATE KEY-----\n`,
            privateKeyPem: `-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI${material}\n-----END PRIVATE KEY-----\n`,
          },
        };
      }
      case "aws:eks/accessEntry:AccessEntry":
        // EKS ids an access entry by cluster and principal: https://docs.aws.amazon.com/eks/latest/APIReference/API_AccessEntry.html
        return {
          id: `${String(inputs.clusterName)}:${String(inputs.principalArn)}`,
          state: {
            ...inputs,
            type: inputs.type ?? "STANDARD",
            accessEntryArn: arn("eks", `access-entry/${String(inputs.clusterName)}/role/${ctx.accountId}/${hex(seed, 8)}/${uuid(seed)}`),
          },
        };
      case "aws:eks/accessPolicyAssociation:AccessPolicyAssociation":
        return { id: `${String(inputs.clusterName)}#${String(inputs.principalArn)}#${String(inputs.policyArn)}`, state: inputs };
      case "github:index/repositoryDeployKey:RepositoryDeployKey":
        return { id: `${String(inputs.repository)}:${parseInt(hex(seed, 6), 16)}`, state: { ...inputs, etag: `W/"${hex(seed, 32)}"` } };
      default:
        break;
    }
    if (type.startsWith("pulumi:providers:")) return { id: `${hex(seed, 8)}-${hex(seed + "p", 4)}`, state: inputs };
    if (type.startsWith("kubernetes:")) {
      const metadata = (inputs.metadata ?? {}) as State;
      const objectName = typeof metadata.name === "string" ? metadata.name : typeof inputs.name === "string" ? inputs.name : name;
      const namespace = typeof metadata.namespace === "string" ? metadata.namespace : typeof inputs.namespace === "string" ? inputs.namespace : undefined;
      return {
        id: namespace ? `${namespace}/${objectName}` : objectName,
        state: { ...inputs, metadata: { ...metadata, name: objectName, namespace, uid: uuid(seed) } },
      };
    }
    return { id: `${name}-${hex(seed, 8)}`, state: inputs };
  }

  return {
    newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
      onRegister?.({ type: args.type, name: args.name, inputs: args.inputs, custom: args.custom === true });
      // Components (ours and the stack) have no id and keep what they register.
      if (args.custom === false && !args.type.startsWith("eks:")) return { id: undefined, state: args.inputs };
      return answer(args.type, args.name, args.inputs);
    },
    call(args: pulumi.runtime.MockCallArgs): pulumi.runtime.MockCallResult {
      switch (args.token) {
        case "aws:index/getPartition:getPartition":
          return { id: partition, partition, dnsSuffix, reverseDnsPrefix: dnsSuffix.split(".").reverse().join(".") };
        case "aws:index/getRegion:getRegion":
          return { id: ctx.region, name: ctx.region, region: ctx.region, endpoint: `ec2.${ctx.region}.${dnsSuffix}`, description: ctx.region };
        case "aws:index/getCallerIdentity:getCallerIdentity":
          return {
            id: ctx.accountId,
            accountId: ctx.accountId,
            arn: ctx.callerArn ?? `arn:${partition}:sts::${ctx.accountId}:assumed-role/${DEFAULT_CALLER_ROLE}/offline-plan`,
            userId: "AROAOFFLINEPLAN:offline-plan",
          };
        case "aws:eks/getClusters:getClusters":
          return { id: ctx.region, names: Object.keys(ctx.liveClusters ?? {}) };
        case "aws:eks/getCluster:getCluster": {
          const name = String(args.inputs.name);
          const version = ctx.liveClusters?.[name];
          if (version === undefined) throw new Error(`offline plan: getCluster of ${name}, which the mocks hold no live cluster for`);
          return { id: name, name, version, arn: arn("eks", `cluster/${name}`), status: "ACTIVE" };
        }
        case "aws:eks/getAddonVersion:getAddonVersion":
          // Offline there is no EKS to ask: the newest build is the one pinned (no warning).
          return { id: String(args.inputs.addonName), addonName: args.inputs.addonName, kubernetesVersion: args.inputs.kubernetesVersion, version: addonVersionOf(String(args.inputs.addonName), String(args.inputs.kubernetesVersion)) };
        case "aws:index/getAvailabilityZones:getAvailabilityZones":
          return availabilityZones(ctx.region, args.inputs);
        case "aws:iam/getSessionContext:getSessionContext": {
          // An assumed-role session's issuer is its role; any other ARN is its own issuer.
          // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns
          const given = String(args.inputs.arn);
          const session = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\/(.+)$/.exec(given);
          if (!session) return { id: given, arn: given, issuerArn: given, issuerId: "", issuerName: "", sessionName: "" };
          const [, part, account, role, sessionName] = session;
          return {
            id: given,
            arn: given,
            issuerArn: `arn:${part}:iam::${account}:role/${role}`,
            issuerId: `AROA${hex(role, 17).toUpperCase()}`,
            issuerName: role,
            sessionName,
          };
        }
        default:
          throw new Error(`offline plan: no mocked answer for provider function ${args.token}; add one to offline/mocks.ts`);
      }
    },
  };
}
