import * as assert from "assert";
import { fluxMinor } from "../../gitops/flux/apis";
import { verifyRepository } from "../../gitops/verify";
import { writeRepo } from "./helpers";

// Shapes that public repositories running in production use, which an earlier merge reported as
// errors: each must stay quiet (or a warning) where the cluster really accepts the object.

const alertOnOperatorKinds = [
  "apiVersion: notification.toolkit.fluxcd.io/v1beta3",
  "kind: Alert",
  "metadata: {name: alertmanager, namespace: flux-system}",
  "spec:",
  "  providerRef: {name: alertmanager}",
  "  eventSeverity: error",
  "  eventSources:",
  "    - {kind: FluxInstance, name: '*'}",
  "    - {kind: ResourceSet, name: '*'}",
  "    - {kind: Kustomization, name: '*'}",
  "",
].join("\n");

const oldHelmRepository = [
  "apiVersion: source.toolkit.fluxcd.io/v1beta2",
  "kind: HelmRepository",
  "metadata: {name: podinfo, namespace: flux-system}",
  "spec: {interval: 5m, url: 'https://stefanprodan.github.io/podinfo'}",
  "",
].join("\n");

const rulesOf = (findings: { rule: string; severity: string }[], rule: string) =>
  findings.filter((f) => f.rule === rule).map((f) => f.severity);

describe("served APIs and schemas, as real clusters serve them", () => {
  it("an Alert on FluxInstance or ResourceSet events fits the notification CRDs the Flux Operator installs", () => {
    const repo = writeRepo({ "clusters/dev/alert.yaml": alertOnOperatorKinds });
    const stack = verifyRepository(repo, "clusters/dev", { bootstrap: "stack", fluxVersion: "2.9.4" });
    assert.deepStrictEqual(rulesOf(stack.findings, "schema-violation"), []);
  });

  it("an Alert on a kind no CRD lists is still a schema violation", () => {
    const repo = writeRepo({ "clusters/dev/alert.yaml": alertOnOperatorKinds.replace("ResourceSet", "Deployment") });
    const stack = verifyRepository(repo, "clusters/dev", { bootstrap: "stack", fluxVersion: "2.9.4" });
    assert.deepStrictEqual(rulesOf(stack.findings, "schema-violation"), ["error"]);
  });

  it("a FluxInstance asking for the newest 2.x is read as the newest Flux the table knows", () => {
    assert.strictEqual(fluxMinor("2.x"), "2.9");
    assert.strictEqual(fluxMinor("3.x"), undefined);
    const repo = writeRepo({
      "clusters/dev/flux-instance.yaml": [
        "apiVersion: fluxcd.controlplane.io/v1",
        "kind: FluxInstance",
        "metadata: {name: flux, namespace: flux-system}",
        "spec:",
        "  distribution: {version: '2.x', registry: ghcr.io/fluxcd}",
        "",
      ].join("\n"),
      "clusters/dev/source.yaml": oldHelmRepository,
    });
    // The repository's own Flux is the newest 2.x, which no longer serves v1beta2: an error, not a crash.
    const committed = verifyRepository(repo, "clusters/dev");
    assert.deepStrictEqual(rulesOf(committed.findings, "removed-api-version"), ["error"]);
  });

  it("as committed, with no Flux version in the repository, an API only older Flux serves is a warning", () => {
    const repo = writeRepo({ "clusters/dev/source.yaml": oldHelmRepository });
    const committed = verifyRepository(repo, "clusters/dev", { stackFluxVersion: "2.9.4" });
    assert.deepStrictEqual(rulesOf(committed.findings, "removed-api-version"), ["warning"]);
    assert.match(committed.findings.find((f) => f.rule === "removed-api-version")!.message, /assumed/);
    // Named versions decide: --flux-version, or the stack that installs it.
    assert.deepStrictEqual(rulesOf(verifyRepository(repo, "clusters/dev", { fluxVersion: "2.9.4" }).findings, "removed-api-version"), ["error"]);
    assert.deepStrictEqual(rulesOf(verifyRepository(repo, "clusters/dev", { bootstrap: "stack", fluxVersion: "2.9.4" }).findings, "removed-api-version"), ["error"]);
    assert.deepStrictEqual(rulesOf(verifyRepository(repo, "clusters/dev", { fluxVersion: "2.4.0" }).findings, "removed-api-version"), []);
  });
});
