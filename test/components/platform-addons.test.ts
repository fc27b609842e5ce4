import * as assert from "assert";
import { PlatformAddons, PodIdentitySpec } from "../../components/platform-addons";
import { EKS_ADDON_VERSIONS, LOAD_BALANCER_CONTROLLER_CHART_VERSION } from "../../stacks/defaults";
import type { AddonsSettings } from "../../stacks/types";
import type { ProgramRun, RecordedResource } from "../../offline/program";
import { ofType, only, underMocks } from "./helpers";
import * as fs from "fs";
import * as path from "path";
import { upstreamDir } from "../../tools/flux-facts";
import { grantDifference } from "./policy-grants";

const ALL_ON: AddonsSettings = {
  vpcCni: true, kubeProxy: true, coredns: true, podIdentityAgent: true, ebsCsiDriver: true, loadBalancerController: true, metricsServer: true,
  versions: {}, hostedZoneIds: ["Z0EXAMPLE1234567"],
};

const detected: PodIdentitySpec[] = [
  {
    controller: "cert-manager", namespace: "cert-manager", serviceAccount: "cert-manager", policy: { kind: "cert-manager-route53" },
    askedBy: [{ file: "infra/cert-manager/issuer.yaml", line: 3, what: "ClusterIssuer letsencrypt solves DNS-01 with Route 53" }],
  },
  {
    controller: "external-dns", namespace: "external-dns", serviceAccount: "external-dns", policy: { kind: "external-dns" },
    askedBy: [{ file: "infra/external-dns/release.yaml", line: 1, what: "HelmRelease external-dns" }],
  },
  {
    controller: "podIdentities-1", namespace: "reports", serviceAccount: "exporter", policy: { policyArns: ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"] },
    askedBy: [{ file: "gitops-cluster:podIdentities[0]", line: 0, what: "stack settings" }],
  },
];

function build(addons: AddonsSettings = ALL_ON, podIdentities: PodIdentitySpec[] = detected) {
  return underMocks(() => {
    const addonsComponent = new PlatformAddons("addons", {
      clusterName: "acme-development",
      kubeconfig: "{}",
      region: "eu-west-1",
      vpcId: "vpc-0123",
      nodeGroups: [],
      addons,
      podIdentities,
    });
    return { podIdentities: addonsComponent.podIdentities };
  });
}

/** The role, its policy (inline document or attached ARNs) and the association of one service account. */
function identityOf(run: ProgramRun, namespace: string, serviceAccount: string) {
  const association = ofType(run, "aws:eks/podIdentityAssociation:PodIdentityAssociation")
    .find((a) => a.inputs.namespace === namespace && a.inputs.serviceAccount === serviceAccount);
  assert.ok(association, `no association for ${namespace}/${serviceAccount}`);
  const role = run.resources.find((r) => r.type === "aws:iam/role:Role" && r.parent === association.parent) as RecordedResource;
  const inline = run.resources.filter((r) => r.type === "aws:iam/rolePolicy:RolePolicy" && r.parent === association.parent);
  const attached = run.resources.filter((r) => r.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment" && r.parent === association.parent);
  return {
    association,
    role,
    trust: JSON.parse(String(role.inputs.assumeRolePolicy)),
    document: inline.length === 1 ? JSON.parse(String(inline[0].inputs.policy)) : undefined,
    attachedArns: attached.map((a) => a.inputs.policyArn),
  };
}

const actionsOf = (document: { Statement: { Action: string | string[] }[] }) =>
  new Set(document.Statement.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])));

describe("PlatformAddons", () => {
  let run: ProgramRun;
  before(async () => {
    run = await build();
  });

  it("installs the six EKS managed add-ons at their pinned versions", () => {
    const addons = ofType(run, "aws:eks/addon:Addon");
    assert.deepStrictEqual(
      Object.fromEntries(addons.map((a) => [a.inputs.addonName, a.inputs.addonVersion])),
      EKS_ADDON_VERSIONS,
    );
    for (const a of addons) assert.strictEqual(a.inputs.clusterName, "acme-development");
  });

  it("installs the Load Balancer Controller as a pinned Helm release, after its credentials", () => {
    const release = only(run, "kubernetes:helm.sh/v3:Release");
    assert.strictEqual(release.inputs.chart, "aws-load-balancer-controller");
    assert.strictEqual(release.inputs.version, LOAD_BALANCER_CONTROLLER_CHART_VERSION);
    assert.deepStrictEqual((release.inputs.values as Record<string, unknown>).serviceAccount, { create: true, name: "aws-load-balancer-controller" });
    const lbc = identityOf(run, "kube-system", "aws-load-balancer-controller");
    assert.ok(release.dependencies.includes(lbc.association.urn));
  });

  for (const [namespace, serviceAccount] of [
    ["kube-system", "aws-load-balancer-controller"], ["kube-system", "ebs-csi-controller-sa"], ["cert-manager", "cert-manager"],
    ["external-dns", "external-dns"], ["reports", "exporter"],
  ]) {
    it(`${namespace}/${serviceAccount}: a role only EKS Pod Identity may assume (sts:AssumeRole and sts:TagSession)`, () => {
      const { trust, association, role } = identityOf(run, namespace, serviceAccount);
      assert.deepStrictEqual(trust.Statement, [
        { Effect: "Allow", Principal: { Service: "pods.eks.amazonaws.com" }, Action: ["sts:AssumeRole", "sts:TagSession"] },
      ]);
      assert.strictEqual(association.inputs.roleArn, `arn:aws:iam::123456789012:role/${role.inputs.name ?? role.id}`);
      assert.strictEqual(association.inputs.clusterName, "acme-development");
    });
  }

  it("the Load Balancer Controller gets what its published policy grants, in the aws partition", () => {
    const { document } = identityOf(run, "kube-system", "aws-load-balancer-controller");
    const published = JSON.parse(fs.readFileSync(path.join(upstreamDir(), "aws-load-balancer-controller-v3.5.0", "iam_policy.json"), "utf8"));
    assert.deepStrictEqual(grantDifference(document as Record<string, unknown>, published), { onlyOurs: [], onlyTheirs: [] });
  });

  it("the EBS CSI driver gets AmazonEBSCSIDriverPolicy and nothing else", () => {
    const { document, attachedArns } = identityOf(run, "kube-system", "ebs-csi-controller-sa");
    assert.strictEqual(document, undefined);
    assert.deepStrictEqual(attachedArns, ["arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"]);
  });

  it("cert-manager may write TXT records in the named zones only", () => {
    const { document } = identityOf(run, "cert-manager", "cert-manager");
    const write = document.Statement.find((s: { Action: string[] }) => Array.isArray(s.Action) && s.Action.includes("route53:ChangeResourceRecordSets"));
    assert.deepStrictEqual(write.Resource, ["arn:aws:route53:::hostedzone/Z0EXAMPLE1234567"]);
    assert.deepStrictEqual(write.Condition, { "ForAllValues:StringEquals": { "route53:ChangeResourceRecordSetsRecordTypes": ["TXT"] } });
    assert.deepStrictEqual([...actionsOf(document)].sort(),
      ["route53:ChangeResourceRecordSets", "route53:GetChange", "route53:ListHostedZonesByName", "route53:ListResourceRecordSets"]);
  });

  it("external-dns may change records in the named zones and list, nothing more", () => {
    const { document } = identityOf(run, "external-dns", "external-dns");
    const write = document.Statement.find((s: { Action: string }) => s.Action === "route53:ChangeResourceRecordSets");
    assert.deepStrictEqual(write.Resource, ["arn:aws:route53:::hostedzone/Z0EXAMPLE1234567"]);
    assert.ok([...actionsOf(document)].every((a) => a === "route53:ChangeResourceRecordSets" || a.startsWith("route53:List")));
  });

  it("a settings row attaches exactly its policy ARNs", () => {
    assert.deepStrictEqual(identityOf(run, "reports", "exporter").attachedArns, ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"]);
  });

  it("lists each association for the plan with what asked for it", () => {
    const listed = run.outputs.podIdentities as { namespace: string; serviceAccount: string; askedBy: { file: string; line: number }[] }[];
    const certManager = listed.find((p) => p.serviceAccount === "cert-manager");
    assert.deepStrictEqual(certManager?.askedBy.map((a) => `${a.file}:${a.line}`), ["infra/cert-manager/issuer.yaml:3"]);
    assert.strictEqual(listed.length, 5);
  });

  it("switched off, an add-on and the controller are not installed, and their roles not created", async () => {
    const off = await build({ ...ALL_ON, loadBalancerController: false, ebsCsiDriver: false, coredns: false, metricsServer: false }, []);
    assert.deepStrictEqual(ofType(off, "aws:eks/addon:Addon").map((a) => a.inputs.addonName).sort(), ["eks-pod-identity-agent", "kube-proxy", "vpc-cni"]);
    assert.deepStrictEqual(ofType(off, "kubernetes:helm.sh/v3:Release"), []);
    assert.deepStrictEqual(ofType(off, "aws:eks/podIdentityAssociation:PodIdentityAssociation"), []);
  });

  it("installs metrics-server after the Load Balancer Controller's Service webhook answers (its Service would be refused)", () => {
    const metrics = ofType(run, "aws:eks/addon:Addon").find((a) => a.inputs.addonName === "metrics-server")!;
    const release = only(run, "kubernetes:helm.sh/v3:Release");
    assert.ok(metrics.dependencies.includes(release.urn));
  });

  it("refuses a Route 53 role without named zones, saying what asked for it and which setting to set", async () => {
    await assert.rejects(build({ ...ALL_ON, hostedZoneIds: [] }), /infra\/cert-manager\/issuer.yaml:3.*gitops-cluster:addons.hostedZoneIds/s);
  });
});
