import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import {
  clusterProtected, eksEndpointRestricted, eksSecretsEncryption, imdsv2LaunchTemplate, nodeGroupLaunchTemplate,
  nodesInPrivateSubnets, productionPolicies, stackOfUrn,
} from "../../policy/policies";
import { validateResource, validateStack } from "./harness";
import { cluster, kmsKey, launchTemplate, nodeGroup, subnet } from "./samples";

const messages = (outcome: { violations: { message: string }[] }) => outcome.violations.map((v) => v.message);

describe("policy pack: production stacks only", () => {
  it("reads the stack from the URN", () => {
    assert.strictEqual(stackOfUrn("urn:pulumi:production::gitops-cluster::aws:eks/cluster:Cluster::c"), "production");
    assert.strictEqual(stackOfUrn("not-a-urn"), undefined);
  });

  it("does not apply to a development stack, even one that breaks every rule", async () => {
    const insecure = cluster({ encryptionConfig: undefined, vpcConfig: { endpointPublicAccess: true } }, { stack: "development" });
    for (const policy of [eksSecretsEncryption, eksEndpointRestricted]) {
      const outcome = await validateResource(policy, insecure);
      assert.deepStrictEqual(outcome.violations, []);
      assert.match(outcome.notApplicable!, /stack development is not a production stack/);
    }
  });

  it("applies to the stacks named in the policy config", async () => {
    const staging = cluster({ encryptionConfig: undefined }, { stack: "staging" });
    const outcome = await validateResource(eksSecretsEncryption, staging, { productionStacks: ["production", "staging"] });
    assert.strictEqual(outcome.violations.length, 1);
  });

  it("ignores resource types a policy is not about", async () => {
    const outcome = await validateResource(eksSecretsEncryption, launchTemplate("optional"));
    assert.deepStrictEqual(outcome, { violations: [] });
  });

  it("ships every policy in the pack once, with a valid PulumiPolicy.yaml and a package version", () => {
    const names = productionPolicies.map((p) => p.name);
    assert.strictEqual(new Set(names).size, names.length);
    assert.strictEqual(names.length, 6);
    const project = parse(fs.readFileSync(path.join(__dirname, "..", "..", "policy", "PulumiPolicy.yaml"), "utf8"));
    assert.strictEqual(project.runtime, "nodejs");
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "policy", "package.json"), "utf8"));
    assert.strictEqual(pkg.version, project.version, "PolicyPack reads its version from package.json");
  });
});

describe("policy eks-secrets-encryption", () => {
  it("passes a cluster that encrypts secrets with a KMS key", async () => {
    assert.deepStrictEqual(await validateResource(eksSecretsEncryption, cluster()), { violations: [] });
  });

  it("fails a cluster without encryptionConfig", async () => {
    assert.deepStrictEqual(messages(await validateResource(eksSecretsEncryption, cluster({ encryptionConfig: undefined }))), [
      "EKS cluster production-eksCluster has no encryptionConfig: Kubernetes secrets are stored unencrypted by a key you control. Enable secrets encryption with a KMS key.",
    ]);
  });

  it("fails an encryptionConfig that does not cover secrets or has no key", async () => {
    const outcome = await validateResource(eksSecretsEncryption, cluster({ encryptionConfig: { provider: {}, resources: [] } }));
    assert.deepStrictEqual(messages(outcome), [
      'EKS cluster production-eksCluster has an encryptionConfig whose resources do not include "secrets".',
      "EKS cluster production-eksCluster has an encryptionConfig without provider.keyArn.",
    ]);
  });
});

describe("policy eks-endpoint-restricted", () => {
  const vpc = (v: Record<string, unknown>) => cluster({ vpcConfig: { subnetIds: ["subnet-1"], ...v } });

  it("passes a public endpoint limited to known CIDRs, and a private-only endpoint", async () => {
    assert.deepStrictEqual((await validateResource(eksEndpointRestricted, cluster())).violations, []);
    assert.deepStrictEqual((await validateResource(eksEndpointRestricted, vpc({ endpointPublicAccess: false, endpointPrivateAccess: true }))).violations, []);
  });

  it("fails a public endpoint open to the internet", async () => {
    assert.deepStrictEqual(messages(await validateResource(eksEndpointRestricted, vpc({ endpointPublicAccess: true, endpointPrivateAccess: true, publicAccessCidrs: ["10.0.0.0/8", "0.0.0.0/0"] }))), [
      "EKS cluster production-eksCluster has a public API endpoint with publicAccessCidrs containing 0.0.0.0/0.",
    ]);
  });

  it("fails the AWS default (public access unset, no CIDRs) and says private access is off", async () => {
    assert.deepStrictEqual(messages(await validateResource(eksEndpointRestricted, vpc({}))), [
      "EKS cluster production-eksCluster has a public API endpoint with no publicAccessCidrs (AWS then allows 0.0.0.0/0); private access is off too, so nodes reach the API over the internet.",
    ]);
  });
});

describe("policies nodes-require-imdsv2 and node-groups-use-launch-template", () => {
  it("passes a launch template that requires IMDSv2 tokens", async () => {
    assert.deepStrictEqual((await validateResource(imdsv2LaunchTemplate, launchTemplate("required"))).violations, []);
  });

  it("fails a launch template that allows IMDSv1, or leaves it unset", async () => {
    assert.deepStrictEqual(messages(await validateResource(imdsv2LaunchTemplate, launchTemplate("optional"))), [
      'Launch template production-system-nodes allows IMDSv1 (metadataOptions.httpTokens is "optional", must be "required"): a pod could read the node role\'s credentials.',
    ]);
    assert.match(messages(await validateResource(imdsv2LaunchTemplate, launchTemplate(null)))[0], /httpTokens is unset/);
  });

  it("passes a node group with a launch template and fails one without", async () => {
    assert.deepStrictEqual((await validateResource(nodeGroupLaunchTemplate, nodeGroup())).violations, []);
    assert.deepStrictEqual(messages(await validateResource(nodeGroupLaunchTemplate, nodeGroup({ launchTemplate: undefined }))), [
      "Node group production-system has no launchTemplate: EKS's default template leaves IMDSv1 enabled on its nodes.",
    ]);
  });
});

describe("policy nodes-in-private-subnets", () => {
  const network = [
    subnet("production-public-0", "subnet-0bbb000000000001", "public"),
    subnet("production-private-0", "subnet-0aaa000000000001", "private"),
    subnet("production-private-1", "subnet-0aaa000000000002", "private"),
  ];

  it("passes node groups whose subnets are all private", async () => {
    assert.deepStrictEqual((await validateStack(nodesInPrivateSubnets, [...network, nodeGroup()])).violations, []);
  });

  it("fails a node group placed in a public subnet, matched by subnet id", async () => {
    const group = nodeGroup({ subnetIds: ["subnet-0aaa000000000001", "subnet-0bbb000000000001"] });
    assert.deepStrictEqual((await validateStack(nodesInPrivateSubnets, [...network, group])).violations, [
      {
        message: "Node group production-system runs in public subnet production-public-0: mapPublicIpOnLaunch is true.",
        urn: "urn:pulumi:production::gitops-cluster::aws:eks/nodeGroup:NodeGroup::production-system",
      },
    ]);
  });

  it("finds the subnets through the subnetIds dependency when ids are not known yet (first preview)", async () => {
    const elbOnly = { ...subnet("production-public-1", "", "public") };
    elbOnly.props = { ...elbOnly.props, id: undefined, mapPublicIpOnLaunch: false };
    const group = nodeGroup({ subnetIds: undefined }, { dependsOn: { subnetIds: ["production-public-1"] } });
    assert.deepStrictEqual(messages(await validateStack(nodesInPrivateSubnets, [...network, elbOnly, group])), [
      "Node group production-system runs in public subnet production-public-1: it is tagged kubernetes.io/role/elb=1 (internet-facing load balancers).",
    ]);
  });

  it("does not judge subnets from outside the stack", async () => {
    const group = nodeGroup({ subnetIds: ["subnet-0ccc000000000009"] });
    assert.deepStrictEqual((await validateStack(nodesInPrivateSubnets, [...network, group])).violations, []);
  });
});

describe("policy cluster-protected", () => {
  it("passes a protected cluster and KMS key", async () => {
    assert.deepStrictEqual((await validateStack(clusterProtected, [cluster(), kmsKey(true), nodeGroup()])).violations, []);
  });

  it("fails an unprotected cluster and an unprotected KMS key, naming each", async () => {
    const outcome = await validateStack(clusterProtected, [cluster({}, { protect: false }), kmsKey(false)]);
    assert.deepStrictEqual(outcome.violations, [
      { message: "EKS cluster production-eksCluster is not protected: set protect so a stray destroy or replace cannot delete it.", urn: "urn:pulumi:production::gitops-cluster::aws:eks/cluster:Cluster::production-eksCluster" },
      { message: "KMS key production-secrets is not protected: set protect so a stray destroy or replace cannot delete it.", urn: "urn:pulumi:production::gitops-cluster::aws:kms/key:Key::production-secrets" },
    ]);
  });

  it("does not apply to a development stack", async () => {
    const outcome = await validateStack(clusterProtected, [cluster({}, { protect: false, stack: "development" })]);
    assert.deepStrictEqual(outcome.violations, []);
    assert.ok(outcome.notApplicable);
  });
});
