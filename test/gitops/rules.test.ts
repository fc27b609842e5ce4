import * as assert from "assert";
import * as path from "path";
import { verifyRepository } from "../../gitops/verify";
import { FIXTURES } from "./helpers";

/** What each broken fixture must report: exactly one finding, at the Kustomization object to change. */
const expected: Record<string, { severity: string; kustomization: string; file: string; line: number }> = {
  "consumer-without-provider": { severity: "error", kustomization: "flux-system/cert-manager-config", file: "clusters/dev/cert-manager-config.yaml", line: 3 },
  "provider-not-ready": { severity: "warning", kustomization: "flux-system/cert-manager-install", file: "clusters/dev/cert-manager-install.yaml", line: 2 },
  "crs-with-their-helmrelease": { severity: "error", kustomization: "flux-system/cert-manager-install", file: "clusters/dev/cert-manager-install.yaml", line: 2 },
  "crds-skipped": { severity: "error", kustomization: "flux-system/flagger-install", file: "clusters/dev/flagger-install.yaml", line: 2 },
  "unknown-group": { severity: "warning", kustomization: "flux-system/cert-manager-config", file: "clusters/dev/cert-manager-config.yaml", line: 3 },
  "missing-dependency": { severity: "error", kustomization: "flux-system/cert-manager-install", file: "clusters/dev/cert-manager-install.yaml", line: 2 },
  "dependency-cycle": { severity: "error", kustomization: "flux-system/cert-manager-config", file: "clusters/dev/cert-manager-config.yaml", line: 3 },
  "missing-path": { severity: "error", kustomization: "flux-system/cert-manager-config", file: "clusters/dev/cert-manager-config.yaml", line: 3 },
  "duplicate-kustomization": { severity: "error", kustomization: "flux-system/cert-manager-config", file: "clusters/dev/issuers-staging.yaml", line: 3 },
  "unsubstituted-variable": { severity: "error", kustomization: "flux-system/cert-manager-config", file: "infrastructure/cert-manager/config/certificate.yaml", line: 1 },
  "deletion-not-waited": { severity: "warning", kustomization: "flux-system/web", file: "apps/data/web.yaml", line: 1 },
};

/** cluster-vars is the stack's only when verifying for the stack: that fixture's variables come from it. */
const STACK_FIXTURES = new Set(["unsubstituted-variable/broken", "unsubstituted-variable/fixed"]);
const verify = (fixture: string) =>
  verifyRepository(path.join(FIXTURES, fixture), "clusters/dev", STACK_FIXTURES.has(fixture) ? { bootstrap: "stack" } : {});

describe("ordering rules on the fixture repositories", () => {
  for (const [rule, want] of Object.entries(expected)) {
    describe(rule, () => {
      it(`broken: exactly one ${want.severity} ${rule} at ${want.file}:${want.line}`, () => {
        const { findings } = verify(`${rule}/broken`);
        assert.deepStrictEqual(
          findings.map(({ rule, severity, kustomization, file, line }) => ({ rule, severity, kustomization, file, line })),
          [{ rule, ...want }],
        );
        assert.ok(findings[0].fix.length > 0 && findings[0].message.length > 0);
      });
      it("fixed: no findings at all", () => {
        assert.deepStrictEqual(verify(`${rule}/fixed`).findings, []);
      });
    });
  }

  it("names the Kustomization to add to dependsOn, with its file and line", () => {
    const [finding] = verify("consumer-without-provider/broken").findings;
    assert.strictEqual(finding.fix,
      "add `- name: cert-manager-install` to spec.dependsOn of flux-system/cert-manager-config (clusters/dev/cert-manager-config.yaml:3)");
  });

  it("prints the cycle", () => {
    const [finding] = verify("dependency-cycle/broken").findings;
    assert.match(finding.message,
      /flux-system\/cert-manager-config -> flux-system\/cert-manager-install -> flux-system\/sources -> flux-system\/cert-manager-config/);
  });

  it("resolution fixture (overlays, generators, components, .sourceignore, a parent's patches) verifies clean", () => {
    // apps' path `./apps/${APP_ENV:=dev}` is substituted by the root that applies it (Flux substitutes
    // a child Kustomization in its parent): the stack's root does, a root with no postBuild would not.
    const result = verifyRepository(path.join(FIXTURES, "resolution"), "clusters/dev", { bootstrap: "stack" });
    assert.deepStrictEqual(result.findings, []);
    assert.deepStrictEqual(result.kustomizations.map((k) => [k.id, k.waits, k.objects.length]),
      [["flux-system/infra-controllers", true, 8], ["flux-system/infra-configs", true, 3], ["flux-system/apps", true, 3],
        ["flux-system/flux-system", false, 3]]); // the root applying the cluster path, a node of its own
  });

  it("a Kustomization applied by its parent and by itself (ks.yaml inside its own path) is a warning naming the labels", () => {
    const { findings } = verify("self-applied");
    assert.deepStrictEqual(findings.map(({ rule, severity, kustomization, file }) => ({ rule, severity, kustomization, file })),
      [{ rule: "duplicate-kustomization", severity: "warning", kustomization: "flux-system/foo", file: "apps/foo/ks.yaml" }]);
    assert.match(findings[0].message, /applied by flux-system\/apps and by itself.*kustomize\.toolkit\.fluxcd\.io\/name to apps or to foo/);
  });

  it("a pre-installed group needs no provider", () => {
    const result = verifyRepository(path.join(FIXTURES, "unknown-group/broken"), "clusters/dev", { preinstalledGroups: ["example.com"] });
    assert.deepStrictEqual(result.findings, []);
  });
});
