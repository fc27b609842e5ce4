import * as assert from "assert";
import { CLUSTER_VARS } from "../../components/flux-bootstrap";
import { PROJECT_DIR, ProgramRun, runProgram } from "../../offline/program";
import { readStackConfigFile } from "../../stacks/settings";
import { at, kubernetesObject, ofType, only } from "../components/helpers";

const STACKS = ["development", "production"] as const;
const OUTPUTS = [
  "clusterName", "kubeconfig", "nodeRoleArn", "nodeRoleName", "nodeGroupRoles", "oidcProviderArn", "fluxRepoUrl", "fluxBranch",
  "fluxPath", "orderingReport", "overlayInjection", "podIdentities",
];

describe("the stack program", () => {
  const runs: Record<string, ProgramRun> = {};
  before(async () => {
    for (const stack of STACKS) runs[stack] = await runProgram(stack);
  });

  for (const stack of STACKS) {
    describe(stack, () => {
      const run = () => runs[stack];
      const file = () => readStackConfigFile(PROJECT_DIR, stack) as { cluster: { name: string }; gitops: { clusterPath: string } };

      it("runs and exports every stack output, the kubeconfig as a secret", () => {
        assert.deepStrictEqual(Object.keys(run().outputs).sort(), [...OUTPUTS].sort());
        for (const key of OUTPUTS) assert.ok(run().outputs[key], `output ${key} is empty`);
        assert.strictEqual(run().outputs.kubeconfig, "[secret]");
        assert.strictEqual(run().outputs.clusterName, file().cluster.name);
        assert.strictEqual(run().outputs.nodeRoleArn, `arn:aws:iam::123456789012:role/${run().outputs.nodeRoleName}`);
      });

      it("outputs the role of every node group, all the shared node role when none has its own", () => {
        const groups = ofType(run(), "eks:index:ManagedNodeGroup").map((g) => g.name.replace(/^cluster-/, ""));
        assert.ok(groups.length > 0);
        assert.deepStrictEqual(run().outputs.nodeGroupRoles, Object.fromEntries(groups.map((g) => [g, run().outputs.nodeRoleArn])));
      });

      it("proves the example repository's install order before creating anything, and reports it", () => {
        const report = run().outputs.orderingReport as { summary: { errors: number; kustomizations: number } };
        assert.strictEqual(report.summary.errors, 0);
        assert.ok(report.summary.kustomizations >= 8, "every Kustomization of the cluster directory was read");
        // Registered first: no cloud resource exists before the check has passed.
        const firstCustom = run().resources.find((r) => r.type.startsWith("gitops-cluster:"));
        assert.strictEqual(firstCustom?.type, "gitops-cluster:index:OrderingCheck");
      });

      it("creates the network, node role, cluster and Flux bootstrap components, each parented to the stack", () => {
        const stackUrn = only(run(), "pulumi:pulumi:Stack").urn;
        for (const name of ["OrderingCheck", "Network", "NodeRole", "Cluster", "FluxBootstrap", "OverlayInjection"]) {
          assert.strictEqual(only(run(), `gitops-cluster:index:${name}`).parent, stackUrn);
        }
      });

      it("points the root Kustomization at ./clusters/<cluster> of the stack's GitOps repository", () => {
        const path = `./${file().gitops.clusterPath}`;
        assert.strictEqual(run().outputs.fluxPath, path);
        assert.strictEqual(at(kubernetesObject(run(), "Kustomization"), "spec", "path"), path);
        assert.strictEqual(at(kubernetesObject(run(), "GitRepository"), "spec", "url"), run().outputs.fluxRepoUrl);
      });

      it("gives Flux the node role the cluster's nodes run as, through cluster-vars", () => {
        const data = at(kubernetesObject(run(), "ConfigMap"), "data") as Record<string, string>;
        assert.deepStrictEqual(Object.keys(data).sort(), [...CLUSTER_VARS].sort());
        assert.strictEqual(data.NODE_ROLE_ARN, run().outputs.nodeRoleArn);
        assert.strictEqual(data.NODE_ROLE_NAME, run().outputs.nodeRoleName);
        assert.strictEqual(data.CLUSTER_NAME, run().outputs.clusterName);
        for (const group of ofType(run(), "eks:index:ManagedNodeGroup")) assert.strictEqual(group.inputs.nodeRoleArn, run().outputs.nodeRoleArn);
      });

      it("runs the nodes in the private subnets it created", () => {
        const privateIds = ofType(run(), "aws:ec2/subnet:Subnet").filter((s) => s.name.includes("private")).map((s) => s.id);
        assert.ok(privateIds.length >= 2);
        for (const group of ofType(run(), "eks:index:ManagedNodeGroup")) assert.deepStrictEqual(group.inputs.subnetIds, privateIds);
      });

      it("makes FluxBootstrap and its Kubernetes provider depend on every node group and access entry, so Flux is destroyed first", () => {
        const access = ["aws:eks/accessEntry:AccessEntry", "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"];
        const groups = ["eks:index:ManagedNodeGroup", ...access].flatMap((type) => ofType(run(), type)).map((g) => g.urn).sort();
        assert.ok(ofType(run(), "eks:index:ManagedNodeGroup").length > 0 && ofType(run(), access[0]).length > 0);
        assert.deepStrictEqual([...only(run(), "gitops-cluster:index:FluxBootstrap").dependsOn].sort(), groups);
        assert.deepStrictEqual([...only(run(), "pulumi:providers:kubernetes", "flux-k8s").dependsOn].sort(), groups);
      });

      it("never shows the kubeconfig or the private key, in outputs or in resource inputs", () => {
        for (const provider of ofType(run(), "pulumi:providers:kubernetes")) assert.strictEqual(provider.inputs.kubeconfig, "[secret]", provider.name);
        assert.doesNotMatch(JSON.stringify(run()), /PRIVATE KEY|certificate-authority-data|get-token/);
      });
    });
  }

  it("admits production's endpointAccess sources on 443 to the private endpoint; the plan shows each rule", () => {
    const file = readStackConfigFile(PROJECT_DIR, "production") as { cluster: { endpointAccess: { privateCidrs: string[] } } };
    const rules = ofType(runs.production, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
    assert.deepStrictEqual(rules.map((r) => r.inputs.cidrIpv4), file.cluster.endpointAccess.privateCidrs);
    assert.ok(rules.every((r) => r.inputs.fromPort === 443 && r.inputs.toPort === 443));
    assert.deepStrictEqual(ofType(runs.development, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"), []);
  });

  it("sizes production for zone failures and development for cost", () => {
    const count = (stack: string, type: string) => ofType(runs[stack], type).length;
    assert.strictEqual(count("development", "aws:ec2/subnet:Subnet"), 4);
    assert.strictEqual(count("production", "aws:ec2/subnet:Subnet"), 6);
    assert.strictEqual(count("development", "aws:ec2/natGateway:NatGateway"), 1);
    assert.strictEqual(count("production", "aws:ec2/natGateway:NatGateway"), 3);
  });

  it("encrypts secrets with KMS and protects the cluster in production, not in development", () => {
    assert.strictEqual(ofType(runs.development, "aws:kms/key:Key").length, 0);
    assert.strictEqual(only(runs.production, "aws:kms/key:Key").inputs.enableKeyRotation, true);
    assert.ok(only(runs.production, "eks:index:Cluster").inputs.encryptionConfigKeyArn);
    assert.strictEqual(only(runs.production, "eks:index:Cluster").protect, true);
    assert.strictEqual(only(runs.development, "eks:index:Cluster").protect, false);
  });

  it("limits production's public endpoint to named CIDRs", () => {
    const endpoint = (stack: string) => {
      const { endpointPublicAccess, publicAccessCidrs } = only(runs[stack], "eks:index:Cluster").inputs;
      return { endpointPublicAccess, publicAccessCidrs };
    };
    const production = endpoint("production");
    assert.ok(!production.endpointPublicAccess || !(production.publicAccessCidrs as string[]).includes("0.0.0.0/0"));
    assert.notDeepStrictEqual(production, endpoint("development"));
  });
});
