import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { SettingsError, parseSettings } from "../../stacks/settings";
import { changed, minimalConfig, problemsOf } from "./helpers";

const dev = minimalConfig;
const prod = () =>
  changed(minimalConfig(), (c) => {
    c.cluster = { endpointPublicAccess: false };
  });

describe("stack settings validation", () => {
  describe("environment and region", () => {
    it("takes the environment from a stack named development or production", () => {
      assert.equal(parseSettings(dev(), "development").environment, "development");
      assert.equal(parseSettings(prod(), "production").environment, "production");
    });

    it("requires the environment key for any other stack name", () => {
      assert.deepEqual(problemsOf(dev(), "staging"), [
        'gitops-cluster:environment is required for stack "staging" (expected one of development, production; stacks named so need not set it)',
      ]);
      assert.equal(parseSettings({ ...dev(), environment: "development" }, "staging").environment, "development");
    });

    it("rejects an environment outside the two, and one that contradicts the stack name", () => {
      assert.deepEqual(problemsOf({ ...dev(), environment: "qa" }, "staging"), [
        'gitops-cluster:environment must be one of development, production (got "qa")',
      ]);
      assert.deepEqual(problemsOf({ ...prod(), environment: "development" }, "production"), [
        'gitops-cluster:environment must be production in stack "production" (got "development")',
      ]);
    });

    it("requires a region, from gitops-cluster:region or aws:region", () => {
      const { region: _, ...withoutRegion } = dev();
      assert.deepEqual(problemsOf(withoutRegion), [
        "gitops-cluster:region is required (expected an AWS region such as eu-west-1; or set aws:region)",
      ]);
      assert.equal(parseSettings(withoutRegion, "development", "gitops-cluster", "us-east-2").region, "us-east-2");
    });

    it("rejects a region that is not an AWS region, wherever it comes from", () => {
      assert.deepEqual(problemsOf({ ...dev(), region: "Europe" }), [
        'gitops-cluster:region must be an AWS region such as eu-west-1 (got "Europe")',
      ]);
      const { region: _, ...withoutRegion } = dev();
      assert.deepEqual(problemsOf(withoutRegion, "development", "mars-1"), [
        'gitops-cluster:region is not set and aws:region is not an AWS region such as eu-west-1 (got "mars-1")',
      ]);
    });

    it("rejects a region that differs from aws:region, where the provider deploys", () => {
      assert.deepEqual(problemsOf({ ...dev(), region: "eu-west-1" }, "development", "us-east-1"), [
        'gitops-cluster:region must match aws:region, where the AWS provider deploys (got "eu-west-1", aws:region is "us-east-1")',
      ]);
    });

    it("treats the empty string Pulumi.yaml declares as default as not set", () => {
      const settings = parseSettings({ ...dev(), region: "", environment: "" }, "development", "gitops-cluster", "eu-north-1");
      assert.equal(settings.region, "eu-north-1");
      assert.equal(settings.environment, "development");
    });
  });

  describe("keys and types", () => {
    it("rejects an unknown top-level key and suggests the nearest valid one", () => {
      assert.deepEqual(problemsOf({ ...dev(), nodeGroup: [] }), [
        "gitops-cluster:nodeGroup is not a known key (got []); did you mean gitops-cluster:nodeGroups?",
      ]);
    });

    it("rejects an unknown nested key and suggests the nearest valid one", () => {
      const config = changed(dev(), (c) => (c.cluster = { endpointPublicAcess: true }));
      assert.deepEqual(problemsOf(config), [
        "gitops-cluster:cluster.endpointPublicAcess is not a known key (got true); did you mean gitops-cluster:cluster.endpointPublicAccess?",
      ]);
      const inList = changed(dev(), (c) => (c.nodeGroups[0].maxsize = 3));
      assert.deepEqual(problemsOf(inList), [
        "gitops-cluster:nodeGroups[0].maxsize is not a known key (got 3); did you mean gitops-cluster:nodeGroups[0].maxSize?",
      ]);
    });

    it("lists the valid keys when nothing is close", () => {
      const config = changed(dev(), (c) => (c.network = { subnets: 4 }));
      assert.deepEqual(problemsOf(config), [
        "gitops-cluster:network.subnets is not a known key (got 4); expected one of vpcCidr, zoneCount, natGateways, existing",
      ]);
    });

    it("rejects a scalar where an object is expected", () => {
      assert.deepEqual(problemsOf({ ...dev(), cluster: "acme" }), [
        'gitops-cluster:cluster must be an object with keys name, kubernetesVersion, endpointPublicAccess, endpointPrivateAccess, publicAccessCidrs, endpointAccess, secretsEncryption, logTypes, adminPrincipalArns, protect, pipelineRoles, creatorPrincipalArn, nodeMetadataHopLimit, encryptNodeVolumes (got "acme")',
      ]);
    });

    it("accepts numbers and booleans as Pulumi holds them: typed in YAML or strings from `pulumi config set`", () => {
      const asText = changed(dev(), (c) => {
        c.nodeGroups[0] = { name: "general", minSize: "2", maxSize: "4", desiredSize: "3", diskSize: "40" };
        c.cluster = { protect: "true", secretsEncryption: "false" };
        c.network = { zoneCount: "3" };
      });
      const asTyped = changed(dev(), (c) => {
        c.nodeGroups[0] = { name: "general", minSize: 2, maxSize: 4, desiredSize: 3, diskSize: 40 };
        c.cluster = { protect: true, secretsEncryption: false };
        c.network = { zoneCount: 3 };
      });
      const settings = parseSettings(asText, "development");
      assert.deepEqual(settings, parseSettings(asTyped, "development"));
      assert.deepEqual(
        [settings.nodeGroups[0].minSize, settings.nodeGroups[0].maxSize, settings.cluster.protect, settings.network.zoneCount],
        [2, 4, true, 3],
      );
    });

    it("rejects text that is not a number or a boolean", () => {
      const config = changed(dev(), (c) => {
        c.nodeGroups[0].minSize = "three";
        c.nodeGroups[0].diskSize = 25.5;
        c.cluster = { protect: "yes" };
      });
      assert.deepEqual(problemsOf(config), [
        'gitops-cluster:cluster.protect must be true or false (got "yes")',
        'gitops-cluster:nodeGroups[0].minSize must be an integer >= 0 (got "three")',
        "gitops-cluster:nodeGroups[0].diskSize must be an integer >= 20 (got 25.5)",
      ]);
    });

    it("explains an unquoted version that YAML read as a number", () => {
      const config = changed(dev(), (c) => (c.cluster = { kubernetesVersion: 1.3 }));
      assert.deepEqual(problemsOf(config), [
        'gitops-cluster:cluster.kubernetesVersion must be a Kubernetes minor version "1.NN" such as "1.35" (got 1.3; quote it in YAML)',
      ]);
    });
  });

  describe("network", () => {
    it("keeps zoneCount from 2 to 6 and natGateways to its two choices", () => {
      const config = changed(dev(), (c) => (c.network = { zoneCount: 1, natGateways: "none" }));
      assert.deepEqual(problemsOf(config), [
        "gitops-cluster:network.zoneCount must be an integer from 2 to 6 (got 1)",
        'gitops-cluster:network.natGateways must be one of single, perZone (got "none")',
      ]);
      assert.deepEqual(problemsOf(changed(dev(), (c) => (c.network = { zoneCount: 7 })))[0],
        "gitops-cluster:network.zoneCount must be an integer from 2 to 6 (got 7)");
    });

    it("requires a VPC CIDR that is a network address with a prefix from /16 to /24", () => {
      const cidr = (vpcCidr: string) => problemsOf(changed(dev(), (c) => (c.network = { vpcCidr })));
      assert.deepEqual(cidr("10.0.0.0/8"), [
        'gitops-cluster:network.vpcCidr must be a CIDR such as 10.0.0.0/16 with a prefix from /16 to /24 (got "10.0.0.0/8")',
      ]);
      assert.deepEqual(cidr("10.0.0.1/16"), [
        'gitops-cluster:network.vpcCidr must be a network address, 10.0.0.0/16 (got "10.0.0.1/16")',
      ]);
      assert.deepEqual(cidr("10.0.300.0/16"), [
        'gitops-cluster:network.vpcCidr must be a CIDR such as 10.0.0.0/16 with a prefix from /16 to /24 (got "10.0.300.0/16")',
      ]);
    });

    it("checks the ids of an existing network and needs two private subnets", () => {
      const config = changed(dev(), (c) => {
        c.network = { existing: { vpcId: "vpc-123", privateSubnetIds: ["subnet-0123456789abcdef0"] } };
      });
      assert.deepEqual(problemsOf(config), [
        'gitops-cluster:network.existing.vpcId must be a VPC id such as vpc-0abc1234def567890 (got "vpc-123")',
        'gitops-cluster:network.existing.privateSubnetIds must list at least 2 subnets in different zones (got ["subnet-0123456789abcdef0"])',
      ]);
      const valid = changed(dev(), (c) => {
        c.network = {
          existing: {
            vpcId: "vpc-0abc1234def567890",
            publicSubnetIds: ["subnet-0a1b2c3d"],
            privateSubnetIds: ["subnet-1a1b2c3d", "subnet-2a1b2c3d"],
          },
        };
      });
      assert.deepEqual(parseSettings(valid, "development").network.existing?.privateSubnetIds, [
        "subnet-1a1b2c3d",
        "subnet-2a1b2c3d",
      ]);
    });
  });

  describe("cluster", () => {
    it("follows the EKS cluster name rules", () => {
      const name = (value: string) => problemsOf(changed(dev(), (c) => (c.cluster = { name: value })));
      const expected = (value: string) => [
        `gitops-cluster:cluster.name must be an EKS cluster name: 1-100 characters of letters, digits, - and _, starting with a letter or digit (got ${JSON.stringify(value)})`,
      ];
      for (const bad of ["-acme", "acme.dev", ""]) assert.deepEqual(name(bad), expected(bad));
      const [tooLong] = name("a".repeat(101));
      assert.match(tooLong, /^gitops-cluster:cluster\.name must be an EKS cluster name: 1-100 characters .* \(got "a{70,}\.\.\.\)$/);
      assert.equal(parseSettings(changed(dev(), (c) => (c.cluster = { name: "Acme_dev-1" })), "development").cluster.name, "Acme_dev-1");
    });

    it("defaults the cluster name to project and stack, made EKS-safe", () => {
      assert.equal(parseSettings(dev(), "development").cluster.name, "gitops-cluster-development");
      const settings = parseSettings({ ...dev(), environment: "development" }, "team.a");
      assert.equal(settings.cluster.name, "gitops-cluster-team-a");
    });

    it("takes the Kubernetes version as \"1.NN\"", () => {
      const config = changed(dev(), (c) => (c.cluster = { kubernetesVersion: "v1.35" }));
      assert.deepEqual(problemsOf(config), [
        'gitops-cluster:cluster.kubernetesVersion must be a Kubernetes minor version "1.NN" such as "1.35" (got "v1.35")',
      ]);
    });

    it("names the public access CIDR that is not a CIDR", () => {
      const config = changed(dev(), (c) => (c.cluster = { publicAccessCidrs: ["10.0.0"] }));
      assert.deepEqual(problemsOf(config), [
        'gitops-cluster:cluster.publicAccessCidrs[0] must be a CIDR such as 203.0.113.0/24 (got "10.0.0")',
      ]);
    });

    it("takes only the five control-plane log types, each once", () => {
      const config = changed(dev(), (c) => (c.cluster = { logTypes: ["api", "kubelet", "api"] }));
      assert.deepEqual(problemsOf(config), [
        'gitops-cluster:cluster.logTypes[1] must be one of api, audit, authenticator, controllerManager, scheduler (got "kubelet")',
        'gitops-cluster:cluster.logTypes[2] must be unique (got "api" twice)',
      ]);
    });

    it("takes IAM role or user ARNs as admin principals", () => {
      const config = changed(dev(), (c) => {
        c.cluster = {
          adminPrincipalArns: ["arn:aws:iam::123456789012:user/alice", "arn:aws:sts::123456789012:assumed-role/Admin/x"],
          creatorPrincipalArn: "arn:aws:iam::123456789012:user/alice",
        };
      });
      assert.deepEqual(problemsOf(config), [
        'gitops-cluster:cluster.adminPrincipalArns[1] must be an IAM role or user ARN such as arn:aws:iam::123456789012:role/Admin (got "arn:aws:sts::123456789012:assumed-role/Admin/x")',
      ]);
    });

    it("reads endpointAccess: private sources on 443, public CIDRs, each checked against the endpoint it is for", () => {
      const access = { privateCidrs: ["10.20.0.0/16"], securityGroupIds: ["sg-0abc1234def567890"], publicCidrs: ["198.51.100.0/24"] };
      const read = parseSettings(changed(dev(), (c) => (c.cluster = { endpointAccess: access })), "development").cluster;
      assert.deepEqual(read.privateEndpointAccess, { cidrs: ["10.20.0.0/16"], securityGroupIds: ["sg-0abc1234def567890"] });
      assert.deepEqual(read.publicAccessCidrs, ["198.51.100.0/24"]);
      assert.deepEqual(problemsOf(changed(dev(), (c) => (c.cluster = { endpointAccess: { privateCidrs: ["10.20.0.0"], securityGroupIds: ["sg-1"] } }))), [
        'gitops-cluster:cluster.endpointAccess.privateCidrs[0] must be a CIDR such as 203.0.113.0/24 (got "10.20.0.0")',
        'gitops-cluster:cluster.endpointAccess.securityGroupIds[0] must be a security group id such as sg-0abc1234def567890 (got "sg-1")',
      ]);
      assert.deepEqual(problemsOf(changed(dev(), (c) => (c.cluster = { endpointPrivateAccess: false, endpointAccess: { privateCidrs: ["10.20.0.0/16"] } }))), [
        "gitops-cluster:cluster.endpointAccess privateCidrs and securityGroupIds must be empty when cluster.endpointPrivateAccess is false (got 10.20.0.0/16): there is no private endpoint to reach",
      ]);
      assert.deepEqual(problemsOf(changed(dev(), (c) => (c.cluster = { endpointPublicAccess: false, endpointAccess: { publicCidrs: ["198.51.100.0/24"] } }))), [
        "gitops-cluster:cluster.endpointAccess.publicCidrs must be empty when cluster.endpointPublicAccess is false (got 198.51.100.0/24): there is no public endpoint",
      ]);
      assert.deepEqual(problemsOf(changed(dev(), (c) => (c.cluster = { publicAccessCidrs: ["198.51.100.0/24"], endpointAccess: { publicCidrs: ["198.51.100.0/24"] } }))), [
        "gitops-cluster:cluster.endpointAccess.publicCidrs and cluster.publicAccessCidrs say the same thing: set one of them (got both)",
      ]);
      assert.deepEqual(problemsOf(changed(dev(), (c) => (c.cluster = { endpointAccess: { publicCidrs: [] } }))), [
        "gitops-cluster:cluster.endpointAccess.publicCidrs must list at least one CIDR when cluster.endpointPublicAccess is true (got [])",
      ]);
    });

    it("needs at least one endpoint", () => {
      const config = changed(dev(), (c) => (c.cluster = { endpointPublicAccess: false, endpointPrivateAccess: false }));
      assert.deepEqual(problemsOf(config), [
        "gitops-cluster:cluster.endpointPrivateAccess must be true when cluster.endpointPublicAccess is false (got false): EKS needs one endpoint",
      ]);
    });

    it("needs CIDRs for a public endpoint", () => {
      const config = changed(dev(), (c) => (c.cluster = { publicAccessCidrs: [] }));
      assert.deepEqual(problemsOf(config), [
        "gitops-cluster:cluster.publicAccessCidrs must list at least one CIDR when cluster.endpointPublicAccess is true (got [])",
      ]);
    });

    it("needs the private endpoint when the public one is restricted, or nodes could not join", () => {
      const config = changed(dev(), (c) => {
        c.cluster = { endpointPrivateAccess: false, publicAccessCidrs: ["203.0.113.0/24"] };
      });
      assert.deepEqual(problemsOf(config), [
        "gitops-cluster:cluster.endpointPrivateAccess must be true when cluster.publicAccessCidrs restricts the public endpoint (got false): nodes reach the API from NAT addresses outside that list",
      ]);
    });
  });

  describe("production rules", () => {
    it("requires secrets encryption and protection in production", () => {
      const config = changed(prod(), (c) => (c.cluster = { ...c.cluster, secretsEncryption: false, protect: "false" }));
      assert.deepEqual(problemsOf(config, "production"), [
        "gitops-cluster:cluster.secretsEncryption must be true in production (got false)",
        "gitops-cluster:cluster.protect must be true in production (got false); to tear the stack down, set gitops-cluster:decommission to true",
      ]);
      const inDevelopment = changed(dev(), (c) => (c.cluster = { secretsEncryption: false, protect: false }));
      assert.equal(parseSettings(inDevelopment, "development").cluster.protect, false);
    });

    it("keeps the cluster name short enough for the fixed node role name", () => {
      const name = "a".repeat(59);
      assert.deepEqual(problemsOf(changed(dev(), (c) => (c.cluster = { name })), "development"), [
        `gitops-cluster:cluster.name must be at most 58 characters, so the node role ${name}-nodes fits IAM's 64 (got 59)`,
      ]);
      assert.equal(parseSettings(changed(dev(), (c) => (c.cluster = { name: "a".repeat(58) })), "development").cluster.name.length, 58);
    });

    it("lifts protection only through the explicit decommission switch", () => {
      const tearDown = changed(prod(), (c) => (c.decommission = "true"));
      const settings = parseSettings(tearDown, "production");
      assert.equal(settings.decommission, true);
      assert.equal(settings.cluster.protect, false);
      assert.equal(settings.cluster.secretsEncryption, true, "decommission lifts protection, nothing else");
      assert.equal(parseSettings(prod(), "production").cluster.protect, true);
      assert.deepEqual(problemsOf(changed(prod(), (c) => (c.decommission = "soon")), "production"), [
        'gitops-cluster:decommission must be true or false (got "soon")',
      ]);
    });

    it("refuses a public endpoint open to 0.0.0.0/0 in production, but not in development", () => {
      const config = changed(prod(), (c) => (c.cluster = { endpointPublicAccess: true, publicAccessCidrs: ["0.0.0.0/0"] }));
      assert.deepEqual(problemsOf(config, "production"), [
        'gitops-cluster:cluster.publicAccessCidrs must not contain 0.0.0.0/0 in production (got ["0.0.0.0/0"]): list the networks that may reach the public endpoint, or set cluster.endpointPublicAccess to false',
      ]);
      const inDevelopment = changed(dev(), (c) => (c.cluster = { endpointPublicAccess: true, publicAccessCidrs: ["0.0.0.0/0"] }));
      assert.deepEqual(parseSettings(inDevelopment, "development").cluster.publicAccessCidrs, ["0.0.0.0/0"]);
    });

    it("accepts production with a private endpoint only, or a public one restricted to named CIDRs", () => {
      assert.equal(parseSettings(prod(), "production").cluster.endpointPublicAccess, false);
      const restricted = changed(prod(), (c) => (c.cluster = { endpointPublicAccess: true, publicAccessCidrs: ["198.51.100.0/24"] }));
      assert.deepEqual(parseSettings(restricted, "production").cluster.publicAccessCidrs, ["198.51.100.0/24"]);
    });
  });

  describe("node groups", () => {
    it("requires at least one node group", () => {
      const { nodeGroups: _, ...without } = dev();
      assert.deepEqual(problemsOf(without), [
        "gitops-cluster:nodeGroups is required (expected a list of node groups such as [{name: general}])",
      ]);
      assert.deepEqual(problemsOf({ ...dev(), nodeGroups: [] }), [
        "gitops-cluster:nodeGroups must list at least one node group (got []): the Flux controllers need nodes to run on",
      ]);
    });

    it("wants unique, DNS-label-like names", () => {
      const config = changed(dev(), (c) => (c.nodeGroups = [{ name: "general" }, { name: "General_1" }, { name: "general" }, {}]));
      assert.deepEqual(problemsOf(config), [
        'gitops-cluster:nodeGroups[1].name must be a DNS label (lowercase letters, digits and -, at most 63 characters) (got "General_1")',
        "gitops-cluster:nodeGroups[3].name is required (expected a DNS label (lowercase letters, digits and -, at most 63 characters))",
        'gitops-cluster:nodeGroups[2].name must be unique (got "general" twice)',
      ]);
    });

    it("keeps minSize <= desiredSize <= maxSize", () => {
      const sizes = (group: Record<string, unknown>) =>
        problemsOf(changed(dev(), (c) => (c.nodeGroups = [{ name: "a" }, { name: "b", ...group }])));
      assert.deepEqual(sizes({ minSize: 2, maxSize: 1 }), ["gitops-cluster:nodeGroups[1].maxSize must be >= minSize (got 1 < 2)"]);
      assert.deepEqual(sizes({ minSize: 2, desiredSize: 1 }), [
        "gitops-cluster:nodeGroups[1].desiredSize must be >= minSize (got 1 < 2)",
      ]);
      assert.deepEqual(sizes({ maxSize: 2, desiredSize: 3 }), [
        "gitops-cluster:nodeGroups[1].desiredSize must be <= maxSize (got 3 > 2)",
      ]);
      assert.deepEqual(sizes({ minSize: -1, maxSize: 0 }), [
        "gitops-cluster:nodeGroups[1].minSize must be an integer >= 0 (got -1)",
        "gitops-cluster:nodeGroups[1].maxSize must be an integer >= 1 (got 0)",
      ]);
    });

    it("fits unset sizes around the ones that are set", () => {
      const settings = parseSettings(changed(dev(), (c) => (c.nodeGroups = [{ name: "big", minSize: 5 }])), "development");
      const { minSize, desiredSize, maxSize } = settings.nodeGroups[0];
      assert.deepEqual({ minSize, desiredSize, maxSize }, { minSize: 5, desiredSize: 5, maxSize: 5 });
    });

    it("checks instance types, capacity type and disk size", () => {
      const config = changed(dev(), (c) => {
        c.nodeGroups[0] = { name: "general", instanceTypes: ["large"], capacityType: "spot", diskSize: 10 };
      });
      assert.deepEqual(problemsOf(config), [
        'gitops-cluster:nodeGroups[0].instanceTypes[0] must be an EC2 instance type such as m7i.large (got "large")',
        'gitops-cluster:nodeGroups[0].capacityType must be one of ON_DEMAND, SPOT (got "spot")',
        "gitops-cluster:nodeGroups[0].diskSize must be an integer >= 20 (got 10)",
      ]);
      assert.deepEqual(problemsOf(changed(dev(), (c) => (c.nodeGroups[0].instanceTypes = []))), [
        "gitops-cluster:nodeGroups[0].instanceTypes must list at least one instance type such as m7i.large (got [])",
      ]);
    });

    it("checks labels and taints, and takes a numeric label value as text", () => {
      const config = changed(dev(), (c) => {
        c.nodeGroups[0].labels = { tier: 1, "bad key!": "x" };
        c.nodeGroups[0].taints = [{ key: "dedicated", value: "gpu", effect: "NoSchedule" }, { key: "spot" }];
      });
      assert.deepEqual(problemsOf(config), [
        'gitops-cluster:nodeGroups[0].labels["bad key!"] has a key that is not a Kubernetes label key such as workload or example.com/tier (got "bad key!")',
        'gitops-cluster:nodeGroups[0].taints[0].effect must be one of NO_SCHEDULE, NO_EXECUTE, PREFER_NO_SCHEDULE (got "NoSchedule")',
        "gitops-cluster:nodeGroups[0].taints[1].effect is required (expected one of NO_SCHEDULE, NO_EXECUTE, PREFER_NO_SCHEDULE)",
      ]);
      const labelled = changed(dev(), (c) => (c.nodeGroups[0].labels = { tier: 1 }));
      assert.deepEqual(parseSettings(labelled, "development").nodeGroups[0].labels, { tier: "1" });
    });

    it("gives a group its own node role only when asked, never the default group, and only with a name IAM allows", () => {
      const groups = (config: Record<string, unknown>, ...extra: Record<string, unknown>[]) =>
        changed(config, (c) => (c.nodeGroups = [{ name: "general" }, ...extra]));
      const settings = parseSettings(groups(dev(), { name: "gpu", dedicatedRole: "true" }, { name: "batch" }), "development");
      assert.deepEqual(settings.nodeGroups.map((g) => g.dedicatedRole), [false, true, false]);
      assert.deepEqual(problemsOf(groups(dev(), { name: "gpu", dedicatedRole: "yes" })), [
        'gitops-cluster:nodeGroups[1].dedicatedRole must be true or false (got "yes")',
      ]);
      assert.deepEqual(problemsOf(changed(dev(), (c) => (c.nodeGroups[0].dedicatedRole = true))), [
        "gitops-cluster:nodeGroups[0].dedicatedRole must be false for the first node group, the default group that runs on the shared node role (got true)",
      ]);
      // 58 + "-gpu-nodes" = 68 characters: the cluster name alone fits EKS's 100.
      const longName = changed(groups(dev(), { name: "gpu", dedicatedRole: true }), (c) => (c.cluster = { name: "a".repeat(58) }));
      assert.deepEqual(problemsOf(longName), [
        `gitops-cluster:nodeGroups[1].dedicatedRole needs a role name of at most 64 characters (${"a".repeat(58)}-gpu-nodes is 68): ` +
          "shorten cluster.name or the group's name",
      ]);
      const fits = changed(groups(dev(), { name: "gpu", dedicatedRole: true }), (c) => (c.cluster = { name: "a".repeat(54) }));
      assert.equal(parseSettings(fits, "development").nodeGroups[1].dedicatedRole, true);
    });
  });

  describe("flux", () => {
    it("requires the flux section and its repoUrl", () => {
      const { flux: _, ...without } = dev();
      assert.deepEqual(problemsOf(without), [
        "gitops-cluster:flux is required (expected at least {repoUrl: ssh://git@github.com/acme/gitops.git})",
      ]);
      assert.deepEqual(problemsOf({ ...dev(), flux: { branch: "main" } }), [
        "gitops-cluster:flux.repoUrl is required (expected a Git URL Flux accepts, such as ssh://git@github.com/acme/gitops.git or https://github.com/acme/gitops.git (write git@github.com:acme/gitops.git as ssh://git@github.com/acme/gitops.git))",
      ]);
    });

    it("accepts ssh:// and (with an existing secret) https repository URLs", () => {
      const withUrl = (repoUrl: string, credentials?: object) =>
        parseSettings({ ...dev(), flux: { repoUrl, credentials } }, "development").flux.repoUrl;
      assert.equal(withUrl("ssh://git@github.com/acme/gitops.git"), "ssh://git@github.com/acme/gitops.git");
      const https = "https://github.com/acme/gitops.git";
      assert.equal(withUrl(https, { kind: "existingSecret", secretName: "gitops-token" }), https);
    });

    it("rejects the scp form, which Flux's GitRepository does not accept, and says how to write it", () => {
      assert.deepEqual(problemsOf({ ...dev(), flux: { repoUrl: "git@github.com:acme/gitops.git" } }), [
        `gitops-cluster:flux.repoUrl must be a Git URL Flux accepts, such as ssh://git@github.com/acme/gitops.git or https://github.com/acme/gitops.git (write git@github.com:acme/gitops.git as ssh://git@github.com/acme/gitops.git) (got "git@github.com:acme/gitops.git")`,
      ]);
    });

    it("rejects a repository URL of no known form", () => {
      assert.deepEqual(problemsOf({ ...dev(), flux: { repoUrl: "github.com/acme/gitops" } }), [
        'gitops-cluster:flux.repoUrl must be a Git URL Flux accepts, such as ssh://git@github.com/acme/gitops.git or https://github.com/acme/gitops.git (write git@github.com:acme/gitops.git as ssh://git@github.com/acme/gitops.git) (got "github.com/acme/gitops")',
      ]);
    });

    it("needs an SSH URL for a deploy key", () => {
      const config = { ...dev(), flux: { repoUrl: "https://github.com/acme/gitops.git", credentials: { kind: "deployKey" } } };
      assert.deepEqual(problemsOf(config), [
        'gitops-cluster:flux.repoUrl must be an SSH URL such as ssh://git@github.com/acme/gitops.git for credentials kind deployKey (got "https://github.com/acme/gitops.git")',
      ]);
    });

    it("registers the deploy key on the repository the URL names, not another", () => {
      const config = {
        ...dev(),
        flux: {
          repoUrl: "ssh://git@github.com/acme/gitops.git",
          credentials: { kind: "deployKey", github: { owner: "acme", repository: "infra" } },
        },
      };
      assert.deepEqual(problemsOf(config), [
        "gitops-cluster:flux.credentials.github must name the repository of flux.repoUrl (got acme/infra, the URL names github.com/acme/gitops)",
      ]);
    });

    it("takes credentials of kind deployKey or existingSecret, each with its own fields", () => {
      const credentials = (value: object) =>
        problemsOf({ ...dev(), flux: { repoUrl: "ssh://git@github.com/acme/gitops.git", credentials: value } });
      assert.deepEqual(credentials({ kind: "token" }), [
        'gitops-cluster:flux.credentials.kind must be one of deployKey, existingSecret (got "token")',
      ]);
      assert.deepEqual(credentials({ kind: "existingSecret", github: { owner: "acme", repository: "gitops" } }), [
        "gitops-cluster:flux.credentials.github applies only to kind deployKey (got kind existingSecret)",
        "gitops-cluster:flux.credentials.secretName is required (expected a Kubernetes object name such as flux-system (lowercase letters, digits, - and .))",
      ]);
      assert.deepEqual(credentials({ kind: "deployKey", secretName: "flux-system" }), [
        'gitops-cluster:flux.credentials.secretName applies only to kind existingSecret (got "flux-system" with kind deployKey)',
      ]);
    });

    it("keeps flux.path on the directory gitops.clusterPath names", () => {
      const config = { ...dev(), flux: { repoUrl: "ssh://git@github.com/acme/gitops.git", path: "./clusters/prod" } };
      assert.deepEqual(problemsOf(config), [
        'gitops-cluster:flux.path must be ./clusters/development, the directory gitops.clusterPath names (got "./clusters/prod")',
      ]);
      const moved = { ...dev(), gitops: { clusterPath: "clusters/eu-dev" } };
      assert.equal(parseSettings(moved, "development").flux.path, "./clusters/eu-dev");
    });

    it("checks the Flux version, chart version, branch and interval formats", () => {
      const config = {
        ...dev(),
        flux: {
          repoUrl: "ssh://git@github.com/acme/gitops.git",
          version: "v2.9",
          operatorChartVersion: "latest",
          branch: "-main",
          interval: "5",
        },
      };
      assert.deepEqual(problemsOf(config), [
        'gitops-cluster:flux.version must be a Flux 2.x version such as "2.9.2" or "2.9.x" (got "v2.9")',
        'gitops-cluster:flux.operatorChartVersion must be a chart version such as "0.60.0" (got "latest")',
        'gitops-cluster:flux.branch must be a Git branch name such as main (got "-main")',
        'gitops-cluster:flux.interval must be a duration such as "5m" or "1m30s" (got "5")',
      ]);
    });
  });

  describe("gitops and injection", () => {
    it("keeps repository paths relative and inside the repository", () => {
      const config = { ...dev(), gitops: { clusterPath: "../clusters/development" }, injection: { overlayDir: "/overlays" } };
      const relative = "a directory relative to the repository root such as clusters/development (no leading ./ or /, no ..)";
      assert.deepEqual(problemsOf(config), [
        `gitops-cluster:gitops.clusterPath must be ${relative} (got "../clusters/development")`,
        `gitops-cluster:injection.overlayDir must be ${relative} (got "/overlays")`,
      ]);
    });

    it("checks extra chart providers and pre-installed API groups", () => {
      const config = { ...dev(), gitops: { extraProviders: [{ chart: "my-operator" }], preinstalledGroups: ["Monitoring"] } };
      assert.deepEqual(problemsOf(config), [
        "gitops-cluster:gitops.extraProviders[0].groups is required (expected a list of API groups such as [cert-manager.io])",
        'gitops-cluster:gitops.preinstalledGroups[0] must be an API group such as cert-manager.io (got "Monitoring")',
      ]);
    });

    it("takes the injection mode and value form from their choices", () => {
      const config = { ...dev(), injection: { mode: "patch", valueForm: "role" } };
      assert.deepEqual(problemsOf(config), [
        'gitops-cluster:injection.mode must be one of substitute, commit (got "patch")',
        'gitops-cluster:injection.valueForm must be one of auto, arn, name (got "role")',
      ]);
    });

    it("maps namespaces only to node groups that exist", () => {
      const config = changed(dev(), (c) => {
        c.nodeGroups = [{ name: "general" }, { name: "batch" }];
        c.injection = { namespaceNodeGroups: { payments: "gpu", reports: "batch" } };
      });
      assert.deepEqual(problemsOf(config), [
        'gitops-cluster:injection.namespaceNodeGroups.payments must be a node group name, one of general, batch (got "gpu")',
      ]);
    });

    it("commits to the Flux repository and branch by default, and needs a target without one", () => {
      const github = { kind: "deployKey", github: { owner: "acme", repository: "gitops" } };
      const onGithub = {
        ...dev(),
        flux: { repoUrl: "ssh://git@github.com/acme/gitops.git", branch: "release", credentials: github },
        injection: { mode: "commit" },
      };
      assert.deepEqual(parseSettings(onGithub, "development").injection.commit, {
        owner: "acme",
        repository: "gitops",
        branch: "release",
      });
      assert.deepEqual(problemsOf({ ...dev(), injection: { mode: "commit" } }), [
        "gitops-cluster:injection.commit is required when injection.mode is commit (expected {owner, repository, branch}; or set flux.credentials.github)",
      ]);
      assert.deepEqual(problemsOf({ ...dev(), injection: { commit: { owner: "acme" } } }), [
        "gitops-cluster:injection.commit applies only to injection.mode commit (got mode substitute)",
      ]);
    });
  });

  describe("tags", () => {
    it("refuses the reserved aws: prefix and takes numbers as text", () => {
      assert.deepEqual(problemsOf({ ...dev(), tags: { "aws:owner": "me" } }), [
        'gitops-cluster:tags["aws:owner"] has a key that is not an AWS tag key (1-128 characters, not aws:) (got "aws:owner")',
      ]);
      assert.deepEqual(parseSettings({ ...dev(), tags: { "cost-center": 4711 } }, "development").tags, { "cost-center": "4711" });
    });
  });

  it("checks every other named format: ids, names, keys and paths", () => {
    const config = changed(dev(), (c) => {
      c.network = {
        existing: { vpcId: "vpc-0a1b2c3d", privateSubnetIds: ["subnet-1a1b2c3d", "subnet-XYZ"] },
      };
      c.nodeGroups[0].taints = [{ key: "-spot", value: "yes please", effect: "NO_EXECUTE" }];
      c.gitops = { repoDir: "", extraProviders: [{ chart: "My Chart", groups: ["example.com"] }] };
      c.flux.path = "";
      c.flux.credentials = { kind: "deployKey", github: { owner: "-acme", repository: "gitops" } };
      c.injection = { key: "iam role", namespaceNodeGroups: { Payments: "general" } };
    });
    assert.deepEqual(problemsOf(config), [
      'gitops-cluster:network.existing.privateSubnetIds[1] must be a subnet id such as subnet-0abc1234def567890 (got "subnet-XYZ")',
      'gitops-cluster:nodeGroups[0].taints[0].key must be a Kubernetes label key such as workload or example.com/tier (got "-spot")',
      'gitops-cluster:nodeGroups[0].taints[0].value must be a Kubernetes label value (at most 63 letters, digits, -, _ or .) (got "yes please")',
      'gitops-cluster:gitops.repoDir must be a directory path such as examples/gitops (got "")',
      'gitops-cluster:gitops.extraProviders[0].chart must be a DNS label (lowercase letters, digits and -, at most 63 characters) (got "My Chart")',
      'gitops-cluster:flux.path must be a non-empty string (got "")',
      'gitops-cluster:flux.credentials.github.owner must be a GitHub owner or repository name such as acme (got "-acme")',
      'gitops-cluster:injection.key must be a manifest key such as iam_role (got "iam role")',
      'gitops-cluster:injection.namespaceNodeGroups.Payments has a key that is not a DNS label (lowercase letters, digits and -, at most 63 characters) (got "Payments")',
    ]);
  });

  it("checks an explicit commit target field by field, defaulting the branch to Flux's", () => {
    const config = { ...dev(), injection: { mode: "commit", commit: { owner: "acme", repository: "gitops.git/" } } };
    assert.deepEqual(problemsOf(config), [
      'gitops-cluster:injection.commit.repository must be a GitHub owner or repository name such as acme (got "gitops.git/")',
    ]);
    const valid = { ...dev(), injection: { mode: "commit", commit: { owner: "acme", repository: "gitops" } } };
    assert.deepEqual(parseSettings(valid, "development").injection.commit, { owner: "acme", repository: "gitops", branch: "main" });
  });

  it("reports every problem at once, one line each, in reading order", () => {
    const config = changed(dev(), (c) => {
      c.region = "moon";
      c.cluster = { publicAccessCidrs: ["10.0.0"], secretsEncryption: false };
      c.nodeGroups[0] = { name: "general", minSize: 2, maxSize: 1 };
      c.flux.interval = "often";
    });
    assert.deepEqual(problemsOf(config, "production"), [
      'gitops-cluster:region must be an AWS region such as eu-west-1 (got "moon")',
      'gitops-cluster:cluster.publicAccessCidrs[0] must be a CIDR such as 203.0.113.0/24 (got "10.0.0")',
      "gitops-cluster:nodeGroups[0].maxSize must be >= minSize (got 1 < 2)",
      'gitops-cluster:flux.interval must be a duration such as "5m" or "1m30s" (got "often")',
      "gitops-cluster:cluster.secretsEncryption must be true in production (got false)",
    ]);
  });

  describe("pipelines, nodes and deploy key rotation", () => {
    it("reads pipelineRoles as IAM role ARNs and refuses one role for both", () => {
      const roles = { deploy: "arn:aws:iam::123456789012:role/ci-deploy", preview: "arn:aws:iam::123456789012:role/ci-preview" };
      assert.deepEqual(parseSettings(changed(dev(), (c) => (c.cluster = { pipelineRoles: roles })), "development").cluster.pipelineRoles, roles);
      const problems = problemsOf(changed(dev(), (c) => (c.cluster = { pipelineRoles: { deploy: "ci", runner: "x" } })));
      assert.equal(problems.length, 2, problems.join("\n"));
      assert.ok(problems.some((p) => p.startsWith("gitops-cluster:cluster.pipelineRoles.runner ") || p.includes("runner")), problems.join("\n"));
      assert.ok(problems.some((p) => p.startsWith('gitops-cluster:cluster.pipelineRoles.deploy must be ') && p.endsWith('(got "ci")')), problems.join("\n"));
      const both = roles.deploy;
      assert.deepEqual(problemsOf(changed(dev(), (c) => (c.cluster = { pipelineRoles: { deploy: both, preview: both } }))), [
        `gitops-cluster:cluster.pipelineRoles.preview must differ from cluster.pipelineRoles.deploy (got "${both}" for both): preview only reads`,
      ]);
    });

    it("records the cluster's creator: the deploy role by default, required when only people are admins", () => {
      const deploy = "arn:aws:iam::123456789012:role/ci-deploy";
      const admin = "arn:aws:iam::123456789012:role/Admin";
      assert.equal(parseSettings(changed(dev(), (c) => (c.cluster = { pipelineRoles: { deploy } })), "development").cluster.creatorPrincipalArn, deploy);
      const set = parseSettings(changed(dev(), (c) => (c.cluster = { adminPrincipalArns: [admin], creatorPrincipalArn: admin, pipelineRoles: { deploy } })), "development");
      assert.equal(set.cluster.creatorPrincipalArn, admin);
      const problems = problemsOf(changed(dev(), (c) => (c.cluster = { adminPrincipalArns: [admin] })));
      assert.equal(problems.length, 1, problems.join("\n"));
      assert.ok(problems[0].startsWith("gitops-cluster:cluster.creatorPrincipalArn is required when cluster.adminPrincipalArns is set"), problems[0]);
      assert.deepEqual(problemsOf(changed(dev(), (c) => (c.cluster = { creatorPrincipalArn: "arn:aws:sts::123456789012:assumed-role/Admin/x" }))), [
        'gitops-cluster:cluster.creatorPrincipalArn must be an IAM role or user ARN such as arn:aws:iam::123456789012:role/Admin (got "arn:aws:sts::123456789012:assumed-role/Admin/x")',
      ]);
    });

    it("takes a hop limit of 1 or 2 only", () => {
      const withoutEbs = (c: { cluster: unknown; addons?: unknown }, cluster: object) => {
        c.cluster = cluster;
        c.addons = { ebsCsiDriver: false };
      };
      assert.equal(parseSettings(changed(dev(), (c) => withoutEbs(c, { nodeMetadataHopLimit: 1 })), "development").cluster.nodeMetadataHopLimit, 1);
      // Production keeps pods off IMDS when nothing needs it, and gives the EBS CSI node plugin what it needs when installed.
      assert.equal(parseSettings(changed(prod(), (c) => withoutEbs(c, { endpointPublicAccess: false })), "production").cluster.nodeMetadataHopLimit, 1);
      assert.equal(parseSettings(prod(), "production").cluster.nodeMetadataHopLimit, 2);
      assert.deepEqual(problemsOf(changed(dev(), (c) => (c.cluster = { nodeMetadataHopLimit: 1 }))), [
        "gitops-cluster:cluster.nodeMetadataHopLimit must be 2 while addons.ebsCsiDriver is true (got 1): the EBS CSI node plugin reads the instance type from IMDS " +
          "and at hop limit 1 sets wrong volume attach limits (aws-ebs-csi-driver#2262); or set addons.ebsCsiDriver to false",
      ]);
      assert.deepEqual(problemsOf(changed(dev(), (c) => (c.cluster = { nodeMetadataHopLimit: 3 }))), [
        "gitops-cluster:cluster.nodeMetadataHopLimit must be an integer from 1 to 2 (got 3)",
      ]);
    });

    it("refuses a node group name EKS would reject once the provider's 26-character suffix is added", () => {
      const name = "a".repeat(37);
      assert.deepEqual(problemsOf(changed(dev(), (c) => (c.nodeGroups = [{ name }]))), [
        "gitops-cluster:nodeGroups[0].name must be at most 36 characters, so the node group's EKS name fits 63 (got 37)",
      ]);
      assert.equal(parseSettings(changed(dev(), (c) => (c.nodeGroups = [{ name: "a".repeat(36) }])), "development").nodeGroups[0].name.length, 36);
    });

    it("takes a deploy key generation as an integer or a date, and nothing else", () => {
      const generation = (value: unknown) => parseSettings(changed(dev(), (c) => (c.flux.deployKeyGeneration = value)), "development").flux.deployKeyGeneration;
      assert.equal(generation(3), "3");
      assert.equal(generation("2026-11-30"), "2026-11-30");
      assert.equal(parseSettings(dev(), "development").flux.deployKeyGeneration, undefined);
      for (const bad of [0, 1.5, "2026-02-30", "next", "v2"]) {
        assert.deepEqual(problemsOf(changed(dev(), (c) => (c.flux.deployKeyGeneration = bad))), [
          `gitops-cluster:flux.deployKeyGeneration must be a positive integer such as 2 or a date such as 2026-11-30 (got ${JSON.stringify(bad)})`,
        ]);
      }
    });
  });

  it("is a Pulumi RunError, so `pulumi up` prints the problems without a stack trace", () => {
    const error = new SettingsError(["gitops-cluster:region is required (expected an AWS region such as eu-west-1)"]);
    assert.ok(pulumi.RunError.isInstance(error));
    assert.equal(error.message, "gitops-cluster:region is required (expected an AWS region such as eu-west-1)");
  });
});
