import * as assert from "node:assert/strict";
import { parseSettings } from "../../stacks/settings";
import { changed, minimalConfig, problemsOf } from "./helpers";

describe("addons and podIdentities settings", () => {
  it("installs every add-on and the Load Balancer Controller by default, with a 15m deletion timeout", () => {
    const settings = parseSettings(minimalConfig(), "development");
    assert.deepEqual(settings.addons, {
      vpcCni: true, kubeProxy: true, coredns: true, podIdentityAgent: true, ebsCsiDriver: true, loadBalancerController: true, metricsServer: true,
      versions: {}, hostedZoneIds: [],
    });
    assert.deepEqual(settings.podIdentities, []);
    assert.equal(settings.flux.deletionTimeout, "15m");
  });

  it("switches one off, takes a version and zones", () => {
    const settings = parseSettings(changed(minimalConfig(), (c) => {
      c.addons = { loadBalancerController: "false", versions: { coredns: "v1.12.4-eksbuild.1" }, hostedZoneIds: ["Z0123456789ABC"] };
    }), "development");
    assert.equal(settings.addons.loadBalancerController, false);
    assert.deepEqual(settings.addons.versions, { coredns: "v1.12.4-eksbuild.1" });
    assert.deepEqual(settings.addons.hostedZoneIds, ["Z0123456789ABC"]);
  });

  it("names the key and what was expected for a bad version, add-on, zone or policy ARN", () => {
    const problems = problemsOf(changed(minimalConfig(), (c) => {
      c.addons = { versions: { coredns: "1.12", "aws-efs-csi-driver": "v1.0.0-eksbuild.1" }, hostedZoneIds: ["example.com"] };
      c.podIdentities = [{ namespace: "reports", serviceAccount: "exporter", policyArns: ["AmazonS3ReadOnlyAccess"] }];
      c.flux.deletionTimeout = "soon";
    }));
    assert.ok(problems.some((p) => p.startsWith("gitops-cluster:addons.versions.coredns") && p.includes("eksbuild")), problems.join("\n"));
    assert.ok(problems.some((p) => p.startsWith("gitops-cluster:addons.versions.aws-efs-csi-driver is not an add-on")), problems.join("\n"));
    assert.ok(problems.some((p) => p.startsWith("gitops-cluster:addons.hostedZoneIds[0]") && p.includes("hosted zone id")), problems.join("\n"));
    assert.ok(problems.some((p) => p.startsWith("gitops-cluster:podIdentities[0].policyArns[0]")), problems.join("\n"));
    assert.ok(problems.some((p) => p.startsWith("gitops-cluster:flux.deletionTimeout")), problems.join("\n"));
  });

  it("refuses to turn the Pod Identity agent off while the stack's controllers need it", () => {
    assert.deepEqual(problemsOf(changed(minimalConfig(), (c) => (c.addons = { podIdentityAgent: false }))), [
      "gitops-cluster:addons.podIdentityAgent must be true while addons.loadBalancerController or addons.ebsCsiDriver is (got false): their credentials come from EKS Pod Identity",
    ]);
  });

  it("refuses two rows for one service account", () => {
    const row = { namespace: "reports", serviceAccount: "exporter", policyArns: ["arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"] };
    const problems = problemsOf(changed(minimalConfig(), (c) => (c.podIdentities = [row, row])));
    assert.deepEqual(problems, ["gitops-cluster:podIdentities[1] names reports/exporter a second time (one association per service account)"]);
  });
});
