import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
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

const ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry";
const POLICY_ASSOCIATION = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation";
const LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate";
/** The admin of the component fixtures. */
const CALLER_ROLE = "arn:aws:iam::123456789012:role/platform-admin";

function clusterFor(
  settings: Settings,
  nodeRoleArns?: Record<string, string>,
  kubeconfigCredentials?: { profileName?: string; roleArn?: string },
): Promise<ProgramRun> {
  return underMocks(() => {
    const cluster = new Cluster("cluster", {
      clusterName: settings.cluster.name,
      ...settings.cluster,
      kubeconfigCredentials,
      vpcId: "vpc-0abc1234def567890",
      publicSubnetIds: ["subnet-0aaa1111bbbb22223", "subnet-0aaa1111bbbb22224"],
      privateSubnetIds: PRIVATE_SUBNETS,
      nodeRoleArn: NODE_ROLE_ARN,
      nodeRoleArns,
      nodeGroups: settings.nodeGroups,
      tags: settings.tags,
    });
    return {
      clusterName: cluster.clusterName,
      kubeconfig: cluster.kubeconfig,
      oidcProviderArn: cluster.oidcProviderArn,
      nodeGroupNames: cluster.nodeGroupNames,
      accessEntries: cluster.accessEntries,
      // Unwrapped so the test can read it; the stack never exports it.
      providerKubeconfig: pulumi.unsecret(cluster.providerKubeconfig),
    };
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

  it("declares every admin's entry when no creator is named (nothing depends on who runs it)", () => {
    assert.deepStrictEqual(ofType(development, ACCESS_ENTRY).map((e) => e.inputs.principalArn), [CALLER_ROLE]);
    assert.strictEqual(only(development, EKS).inputs.accessEntries, undefined);
  });

  it("grants every admin but the creator cluster-wide AmazonEKSClusterAdminPolicy, and nothing to the node role", async () => {
    const settings = developmentSettings();
    settings.cluster.adminPrincipalArns = [CALLER_ROLE, "arn:aws:iam::123456789012:role/ops"];
    settings.cluster.creatorPrincipalArn = CALLER_ROLE;
    const run = await clusterFor(settings);
    const entry = only(run, ACCESS_ENTRY);
    assert.deepStrictEqual(entry.inputs, { clusterName: "gitops-development", principalArn: "arn:aws:iam::123456789012:role/ops", type: "STANDARD" });
    assert.strictEqual(entry.name, "cluster-admin-123456789012-role-ops");
    const association = only(run, POLICY_ASSOCIATION);
    assert.deepStrictEqual(association.inputs, {
      clusterName: "gitops-development",
      principalArn: "arn:aws:iam::123456789012:role/ops",
      policyArn: "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
      accessScope: { type: "cluster" },
    });
    assert.deepStrictEqual(association.dependsOn, [entry.urn]);
  });

  it("gives the deploy pipeline cluster admin and the preview pipeline a read policy that covers Secrets", async () => {
    const settings = developmentSettings();
    settings.cluster.adminPrincipalArns = [];
    settings.cluster.pipelineRoles = { deploy: "arn:aws:iam::123456789012:role/ci-deploy", preview: "arn:aws:iam::123456789012:role/ci-preview" };
    const run = await clusterFor(settings);
    const policyOf = (principal: string) => ofType(run, POLICY_ASSOCIATION).find((a) => a.inputs.principalArn === principal)?.inputs.policyArn;
    assert.strictEqual(policyOf("arn:aws:iam::123456789012:role/ci-deploy"), "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy");
    // Not AmazonEKSViewPolicy: refresh reads the flux-system Secret and the Helm release's Secrets.
    assert.strictEqual(policyOf("arn:aws:iam::123456789012:role/ci-preview"), "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminViewPolicy");
    assert.deepStrictEqual(ofType(run, ACCESS_ENTRY).map((e) => e.name), ["cluster-deploy-123456789012-role-ci-deploy", "cluster-preview-123456789012-role-ci-preview"]);
  });

  it("leaves the creator out when it is the deploy pipeline role", async () => {
    const settings = developmentSettings();
    settings.cluster.adminPrincipalArns = [];
    settings.cluster.pipelineRoles = { deploy: "arn:aws:iam::123456789012:role/ci-deploy", preview: "arn:aws:iam::123456789012:role/ci-preview" };
    settings.cluster.creatorPrincipalArn = "arn:aws:iam::123456789012:role/ci-deploy";
    const run = await clusterFor(settings);
    assert.deepStrictEqual((run.outputs.accessEntries as { principalArn: string }[]).map((e) => e.principalArn), ["arn:aws:iam::123456789012:role/ci-preview"]);
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

  it("admits the configured CIDRs and security groups on 443 to the private endpoint, on the cluster security group", async () => {
    const settings = productionSettings();
    settings.cluster.endpointPrivateAccess = true;
    settings.cluster.privateEndpointAccess = { cidrs: ["10.20.0.0/16"], securityGroupIds: ["sg-0abc1234def567890"] };
    const run = await clusterFor(settings);
    const rules = ofType(run, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
    assert.deepStrictEqual(rules.map((r) => r.name), ["cluster-endpoint-10-20-0-0-16", "cluster-endpoint-sg-0abc1234def567890"]);
    for (const rule of rules) {
      assert.match(String(rule.inputs.securityGroupId), /^sg-0[0-9a-f]{16}$/);
      assert.deepStrictEqual([rule.inputs.ipProtocol, rule.inputs.fromPort, rule.inputs.toPort], ["tcp", 443, 443]);
    }
    assert.strictEqual(rules[0].inputs.cidrIpv4, "10.20.0.0/16");
    assert.strictEqual(rules[1].inputs.referencedSecurityGroupId, "sg-0abc1234def567890");
    // No rules without sources, nor for a private endpoint that is off.
    assert.deepStrictEqual(ofType(production, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"), []);
    settings.cluster.endpointPrivateAccess = false;
    settings.cluster.endpointPublicAccess = true;
    assert.deepStrictEqual(ofType(await clusterFor(settings), "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"), []);
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
      assert.strictEqual(at(only(development, LAUNCH_TEMPLATE, `cluster-${s.name}`), "blockDeviceMappings", 0, "ebs", "volumeSize"), s.diskSize);
      assert.deepStrictEqual(group.inputs.labels, s.labels);
    });
    assert.deepStrictEqual(at(groups[1], "taints"), [{ key: "dedicated", value: "batch", effect: "NO_SCHEDULE" }]);
    (development.outputs.nodeGroupNames as string[]).forEach((name, i) => assert.ok(name.startsWith(`${settings[i].name}-`), name));
  });

  it("runs every node group in this cluster as the node role, in the private subnets, from its own launch template", () => {
    for (const run of [development, production]) {
      for (const group of ofType(run, NODE_GROUP)) {
        assert.strictEqual(group.inputs.cluster, only(run, EKS).urn);
        assert.strictEqual(group.inputs.nodeRoleArn, NODE_ROLE_ARN);
        assert.deepStrictEqual(group.inputs.subnetIds, PRIVATE_SUBNETS);
        const template = only(run, LAUNCH_TEMPLATE, group.name);
        assert.deepStrictEqual(group.inputs.launchTemplate, { id: template.id, version: "1" });
        // pulumi-eks's own template (hop limit 2, no tags) is not asked for, and diskSize would conflict.
        assert.strictEqual(group.inputs.enableIMDSv2, undefined);
        assert.strictEqual(group.inputs.diskSize, undefined);
      }
    }
  });

  it("requires IMDSv2 with hop limit 1 in production (pods cannot borrow the node role) and 2 in development", () => {
    for (const [run, hopLimit] of [[development, 2], [production, 1]] as const) {
      for (const template of ofType(run, LAUNCH_TEMPLATE)) {
        assert.deepStrictEqual(template.inputs.metadataOptions, { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: hopLimit });
      }
    }
  });

  it("encrypts the nodes' gp3 root volumes in production", () => {
    assert.strictEqual(at(only(production, LAUNCH_TEMPLATE), "blockDeviceMappings", 0, "ebs", "encrypted"), "true");
    assert.strictEqual(at(only(production, LAUNCH_TEMPLATE), "blockDeviceMappings", 0, "ebs", "volumeType"), "gp3");
    assert.strictEqual(at(only(production, LAUNCH_TEMPLATE), "blockDeviceMappings", 0, "deviceName"), "/dev/xvda");
    for (const template of ofType(development, LAUNCH_TEMPLATE)) assert.strictEqual(at(template, "blockDeviceMappings", 0, "ebs", "encrypted"), undefined);
  });

  it("tags the instances, volumes and network interfaces launched for the nodes with the stack's tags", () => {
    const tags = productionSettings().tags;
    assert.deepStrictEqual(only(production, LAUNCH_TEMPLATE).inputs.tagSpecifications, [
      { resourceType: "instance", tags },
      { resourceType: "volume", tags },
      { resourceType: "network-interface", tags },
    ]);
  });

  it("skips pulumi-eks's default node security group, which no node here would use", () => {
    for (const run of [development, production]) assert.strictEqual(only(run, EKS).inputs.skipDefaultSecurityGroups, true);
  });

  it("gives the Kubernetes provider a kubeconfig that runs aws eks get-token with the stack's profile and role", async () => {
    const run = await clusterFor(developmentSettings(), undefined, { profileName: "acme-dev", roleArn: "arn:aws:iam::123456789012:role/deployer" });
    const kubeconfig = JSON.parse(run.outputs.providerKubeconfig as string);
    const exec = kubeconfig.users[0].user.exec;
    assert.strictEqual(exec.command, "aws");
    assert.deepStrictEqual(exec.args.slice(-4), ["--role", "arn:aws:iam::123456789012:role/deployer", "--profile", "acme-dev"]);
    assert.ok(exec.args.includes("gitops-development"), exec.args.join(" "));
    // Without a profile, it is pulumi-eks's kubeconfig, with no --profile.
    const plain = JSON.parse(development.outputs.providerKubeconfig as string);
    assert.ok(!plain.users[0].user.exec.args.includes("--profile"));
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
    const entries = ofType(await clusterFor(settings), ACCESS_ENTRY);
    assert.deepStrictEqual(entries.map((e) => e.inputs.principalArn), settings.cluster.adminPrincipalArns);
    assert.deepStrictEqual(entries.map((e) => e.name), ["cluster-admin-123456789012-role-ops-admin", "cluster-admin-210987654321-role-admin"]);
  });
});
