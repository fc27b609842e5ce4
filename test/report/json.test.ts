import * as assert from "assert";
import { renderJson } from "../../gitops/report";
import { brokenResult, node, result } from "./sample";

describe("renderJson", () => {
  it("has exactly the documented top-level, Kustomization, finding and summary keys", () => {
    const report = JSON.parse(renderJson(brokenResult()));
    assert.deepStrictEqual(Object.keys(report), ["repo", "cluster", "kustomizations", "findings", "summary"]);
    for (const k of report.kustomizations) {
      assert.deepStrictEqual(Object.keys(k), [
        "name", "namespace", "file", "line", "path", "dependsOn", "waits", "providesGroups", "consumesGroups", "unresolved",
      ]);
    }
    for (const f of report.findings) {
      assert.deepStrictEqual(Object.keys(f), ["rule", "severity", "kustomization", "message", "file", "line", "fix"]);
    }
    assert.deepStrictEqual(Object.keys(report.summary), ["errors", "warnings", "kustomizations", "objects", "unread"]);
  });

  it("carries the values of the result, not the objects themselves", () => {
    const broken = brokenResult();
    const report = JSON.parse(renderJson(broken));
    assert.strictEqual(report.repo, "examples/gitops");
    assert.strictEqual(report.cluster, "clusters/development");
    assert.deepStrictEqual(report.summary, { errors: 2, warnings: 1, kustomizations: 4, objects: 4, unread: 0 });
    const apps = report.kustomizations.find((k: { name: string }) => k.name === "apps");
    assert.deepStrictEqual(apps.dependsOn, ["flux-system/kustomized-infra", "flux-system/ghost"]);
    assert.strictEqual(apps.waits, false);
    assert.strictEqual(apps.file, "clusters/development/apps.yaml");
    assert.strictEqual(apps.line, 1);
    const certManager = report.kustomizations.find((k: { name: string }) => k.name === "cert-manager-install");
    assert.deepStrictEqual(certManager.providesGroups, ["cert-manager.io", "acme.cert-manager.io"]);
    assert.ok(!("objects" in certManager), "objects are summarised by count, not listed");
    assert.deepStrictEqual(report.findings[1], {
      rule: broken.findings[1].rule,
      severity: "error",
      kustomization: "flux-system/kustomized-infra",
      message: broken.findings[1].message,
      file: broken.findings[1].file,
      line: 3,
      fix: broken.findings[1].fix,
    });
  });

  it("writes unresolved references with their place, and null for a missing path or Kustomization", () => {
    const infra = JSON.parse(renderJson(brokenResult())).kustomizations.find((k: { name: string }) => k.name === "kustomized-infra");
    assert.strictEqual(infra.path, null);
    assert.deepStrictEqual(infra.unresolved, [
      { reason: "remote-resource", ref: "https://example.com/x.yaml", file: "infrastructure/kustomized/overlays/development/kustomization.yaml", line: 5 },
    ]);
    const orphan = result([node({ name: "a" })], [
      { rule: "unresolved-reference", severity: "note", message: "m", file: "x.yaml", line: 1, fix: "vendor it" },
    ]);
    assert.strictEqual(JSON.parse(renderJson(orphan)).findings[0].kustomization, null);
  });
});
