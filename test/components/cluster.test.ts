import * as assert from "assert";
import { Cluster } from "../../components/cluster";
import type { ProgramRun } from "../../offline/program";
import type { Settings } from "../../stacks/types";
import { developmentSettings, productionSettings } from "./fixtures";
import { at, ofType, only, underMocks } from "./helpers";

const EKS = "eks:index:Cluster";
const NODE_GROUP = "eks:index:ManagedNodeGroup";
const KMS_KEY = "aws:kms/key:Key";
const NODE_ROLE_ARN = "arn:aws:iam::123456789012:role/nodes";
const PRIVATE_SUBNETS = ["subnet-0ccc3333dddd44445", "subnet-0eee5555ffff66667"];

function clusterFor(settings: Settings, nodeRoleArns?: Record<string, string>): Promise<ProgramRun> {
  return underMocks(() => {
    const cluster = new Cluster("cluster", {
      clusterName: settings.cluster.name,
      ...settings.cluster,
      vpcId: "vpc-0abc1234def567890",
      publicSubnetIds: ["subnet-0aaa1111bbbb22223", "subnet-0aaa1111bbbb22224"],
      privateSubnetIds: PRIVATE_SUBNETS,
      nodeRoleArn: NODE_ROLE_ARN,
      nodeRoleArns,
      nodeGroups: settings.nodeGroups,
      tags: settings.tags,
    });
    return { clusterName: cluster.clusterName, kubeconfig: cluster.kubeconfig, oidcProviderArn: cluster.oidcProviderArn, nodeGroupNames: cluster.nodeGroupNames };
  });
}

describe("Cluster", () => {
  let development: ProgramRun;
  let production: ProgramRun;
  before(async () => {
    development = await clusterFor(developmentSettings());
    production = await clusterFor(productionSettings());
  });

  it("has no default node group, authenticates through access entries only, and has an OIDC provider", () => {
    for (const run of [development, production]) {
      const eks = only(run, EKS);
      assert.strictEqual(eks.inputs.skipDefaultNodeGroup, true);
      assert.strictEqual(eks.inputs.authenticationMode, "API");
      assert.strictEqual(eks.inputs.createOidcProvider, true);
      assert.match(run.outputs.oidcProviderArn as string, /^arn:aws:iam::123456789012:oidc-provider\/oidc\.eks\.eu-west-1\.amazonaws\.com\/id\//);
    }
  });

  it("grants each admin principal cluster-wide AmazonEKSClusterAdminPolicy, and nothing to the node role", () => {
    const entries = only(development, EKS).inputs.accessEntries as Record<string, { principalArn: string; accessPolicies: unknown }>;
    assert.deepStrictEqual(Object.values(entries), [
      {
        principalArn: "arn:aws:iam::123456789012:role/platform-admin",
        accessPolicies: {
          admin: { policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy", accessScope: { type: "cluster" } },
        },
      },
    ]);
  });

  it("leaves vpc-cni, kube-proxy and coredns to PlatformAddons: @pulumi/eks creates none of them (one owner each)", () => {
    for (const run of [development, production]) {
      const eks = only(run, EKS);
      assert.strictEqual(eks.inputs.useDefaultVpcCni, true);
      assert.strictEqual((eks.inputs.kubeProxyAddonOptions as { enabled?: boolean }).enabled, false);
      assert.strictEqual((eks.inputs.corednsAddonOptions as { enabled?: boolean }).enabled, false);
    }
  });

  it("sends the configured control plane logs to CloudWatch", () => {
    assert.deepStrictEqual(only(development, EKS).inputs.enabledClusterLogTypes, ["api", "audit"]);
    assert.deepStrictEqual(only(production, EKS).inputs.enabledClusterLogTypes, ["api", "audit", "authenticator", "controllerManager", "scheduler"]);
  });

  it("opens the public endpoint to the configured CIDRs in development and keeps production private", () => {
    const dev = only(development, EKS).inputs;
    assert.strictEqual(dev.endpointPublicAccess, true);
    assert.deepStrictEqual(dev.publicAccessCidrs, ["0.0.0.0/0"]);
    const prod = only(production, EKS).inputs;
    assert.strictEqual(prod.endpointPublicAccess, false);
    assert.strictEqual(prod.endpointPrivateAccess, true);
    assert.strictEqual(prod.publicAccessCidrs, undefined);
  });

  it("envelope-encrypts secrets with a rotating KMS key in production only", () => {
    assert.strictEqual(ofType(development, KMS_KEY).length, 0);
    assert.strictEqual(only(development, EKS).inputs.encryptionConfigKeyArn, undefined);
    const key = only(production, KMS_KEY);
    assert.strictEqual(key.inputs.enableKeyRotation, true);
    assert.strictEqual(only(production, EKS).inputs.encryptionConfigKeyArn, `arn:aws:kms:eu-west-1:123456789012:key/${key.id}`);
  });

  it("protects the cluster and its key where settings say so", () => {
    assert.strictEqual(only(development, EKS).protect, false);
    assert.strictEqual(only(production, EKS).protect, true);
    assert.strictEqual(only(production, KMS_KEY).protect, true);
    // And EKS's own deletion protection, which no Pulumi option can skip.
    assert.strictEqual(only(production, EKS).inputs.deletionProtection, true);
    assert.strictEqual(only(development, EKS).inputs.deletionProtection, false);
  });

  it("creates one managed node group per setting, with its scaling, capacity, labels and taints", () => {
    const settings = developmentSettings().nodeGroups;
    const groups = ofType(development, NODE_GROUP);
    assert.deepStrictEqual(groups.map((g) => g.name), settings.map((s) => `cluster-${s.name}`));
    groups.forEach((group, i) => {
      const s = settings[i];
      assert.deepStrictEqual(group.inputs.scalingConfig, { minSize: s.minSize, maxSize: s.maxSize, desiredSize: s.desiredSize });
      assert.strictEqual(group.inputs.capacityType, s.capacityType);
      assert.deepStrictEqual(group.inputs.instanceTypes, s.instanceTypes);
      assert.strictEqual(group.inputs.diskSize, s.diskSize);
      assert.deepStrictEqual(group.inputs.labels, s.labels);
    });
    assert.deepStrictEqual(at(groups[1], "taints"), [{ key: "dedicated", value: "batch", effect: "NO_SCHEDULE" }]);
    (development.outputs.nodeGroupNames as string[]).forEach((name, i) => assert.ok(name.startsWith(`${settings[i].name}-`), name));
  });

  it("runs every node group in this cluster as the node role, in the private subnets, with IMDSv2 required", () => {
    for (const run of [development, production]) {
      for (const group of ofType(run, NODE_GROUP)) {
        assert.strictEqual(group.inputs.cluster, only(run, EKS).urn);
        assert.strictEqual(group.inputs.nodeRoleArn, NODE_ROLE_ARN);
        assert.deepStrictEqual(group.inputs.subnetIds, PRIVATE_SUBNETS);
        assert.strictEqual(group.inputs.enableIMDSv2, true);
      }
    }
  });

  it("runs a node group with a role of its own as that role, and the others as the shared node role", async () => {
    const batchRoleArn = "arn:aws:iam::123456789012:role/gitops-development-batch-nodes";
    const run = await clusterFor(developmentSettings(), { batch: batchRoleArn });
    const roleOf = (group: string) => only(run, NODE_GROUP, `cluster-${group}`).inputs.nodeRoleArn;
    assert.strictEqual(roleOf("batch"), batchRoleArn);
    assert.strictEqual(roleOf("general"), NODE_ROLE_ARN);
  });

  it("keeps the kubeconfig secret", () => {
    assert.strictEqual(development.outputs.kubeconfig, "[secret]");
    assert.strictEqual(production.outputs.kubeconfig, "[secret]");
  });

  it("gives principals with the same name in different accounts or paths their own access entries", async () => {
    const settings = developmentSettings();
    settings.cluster.adminPrincipalArns = ["arn:aws:iam::123456789012:role/ops/admin", "arn:aws:iam::210987654321:role/admin"];
    const entries = only(await clusterFor(settings), EKS).inputs.accessEntries as Record<string, { principalArn: string }>;
    assert.deepStrictEqual(Object.values(entries).map((e) => e.principalArn), settings.cluster.adminPrincipalArns);
  });
});
