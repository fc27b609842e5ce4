import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseDocument } from "yaml";
import { schemaProblems } from "../../gitops/flux/schema";
import {
  deriveSchemaFacts, FLUX_CRDS, OPERATOR_CRDS, SCHEMA_FACTS_FILE, schemaFactsText, SERVED_FILE, servedTableText, upstreamDir,
} from "../../tools/flux-facts";

// The tables are facts in this project's form, derived from the upstream CRDs in ../shared/upstream
// (tools/flux-facts.ts); these tests derive them again, so the committed tables cannot drift.

describe("Flux facts follow the upstream CRDs (npm run facts:flux)", function () {
  this.timeout(60_000);
  const upstream = upstreamDir();

  it("the committed schema facts are exactly what the upstream CRDs give", () => {
    assert.equal(fs.readFileSync(SCHEMA_FACTS_FILE, "utf8"), schemaFactsText(deriveSchemaFacts(upstream)),
      "gitops/flux/schema-facts.json differs from the upstream CRDs: run `npm run facts:flux`");
  });

  it("the newest served-versions row is what the upstream CRDs serve and store", () => {
    const committed = fs.readFileSync(SERVED_FILE, "utf8");
    assert.equal(committed, servedTableText(upstream, committed), "run `npm run facts:flux`");
  });

  describe("a modified upstream copy is caught", () => {
    let copy: string;
    before(() => {
      copy = fs.mkdtempSync(path.join(os.tmpdir(), "upstream-"));
      for (const folder of [FLUX_CRDS, OPERATOR_CRDS]) fs.cpSync(path.join(upstream, folder), path.join(copy, folder), { recursive: true });
      // One field fewer: Kustomization v1 spec.interval, and HelmRelease v2 loses an enum value.
      const ks = path.join(copy, FLUX_CRDS, "kustomize.toolkit.fluxcd.io_kustomizations.yaml");
      const doc = parseDocument(fs.readFileSync(ks, "utf8"));
      const versions = doc.getIn(["spec", "versions"]) as { items: unknown[] };
      const v1 = versions.items.findIndex((_v, i) => doc.getIn(["spec", "versions", i, "name"]) === "v1");
      doc.deleteIn(["spec", "versions", v1, "schema", "openAPIV3Schema", "properties", "spec", "properties", "interval"]);
      fs.writeFileSync(ks, doc.toString());
    });
    after(() => fs.rmSync(copy, { recursive: true, force: true }));

    it("the derived table loses the field and no longer equals the committed one", () => {
      const derived = deriveSchemaFacts(copy);
      const fields = derived.kinds["kustomize.toolkit.fluxcd.io/v1/Kustomization"].fields;
      assert.equal(fields["spec.interval"], undefined);
      assert.notEqual(schemaFactsText(derived), fs.readFileSync(SCHEMA_FACTS_FILE, "utf8"));
    });
  });

  it("a missing upstream folder is a clear error naming the path and the variable", () => {
    assert.throws(() => upstreamDir({ GITOPS_CLUSTER_UPSTREAM: "/nonexistent/upstream" }), /not at \/nonexistent\/upstream: set GITOPS_CLUSTER_UPSTREAM/);
  });
});

describe("the schema check on the facts", () => {
  const release = (spec: Record<string, unknown>) => ({ apiVersion: "helm.toolkit.fluxcd.io/v2", kind: "HelmRelease", metadata: { name: "x" }, spec });
  const chart = (extra: Record<string, unknown>) => ({ interval: "10m", chart: { spec: { chart: "podinfo", sourceRef: { kind: "HelmRepository", name: "podinfo" }, ...extra } } });

  it("a null value is pruned by the API server, as if absent: not a problem (`version:` left empty)", () => {
    assert.deepEqual(schemaProblems("helm.toolkit.fluxcd.io", "v2", "HelmRelease", release(chart({ version: null }))), []);
    assert.deepEqual(schemaProblems("helm.toolkit.fluxcd.io", "v2", "HelmRelease", release({ ...chart({}), valuesFile: null })), []);
  });

  it("an unknown field is pruned, a wrong type or enum is rejected, a ${VAR} placeholder is not judged", () => {
    const problems = schemaProblems("helm.toolkit.fluxcd.io", "v2", "HelmRelease",
      release({ ...chart({ version: 3, reconcileStrategy: "Sometimes" }), valuesFile: "x", timeout: "${T}" }))!;
    assert.deepEqual(problems.map((p) => [p.path, p.kind]).sort(), [
      ["/spec/chart/spec/reconcileStrategy", "invalid"], ["/spec/chart/spec/version", "invalid"], ["/spec/valuesFile", "pruned"],
    ]);
    assert.match(problems.find((p) => p.path.endsWith("version"))!.message, /must be string/);
  });

  it("a pattern is matched as Go's regexp does, unanchored unless the pattern anchors it", () => {
    const ks = (interval: string) => schemaProblems("kustomize.toolkit.fluxcd.io", "v1", "Kustomization",
      { apiVersion: "kustomize.toolkit.fluxcd.io/v1", kind: "Kustomization", spec: { interval, path: "./", prune: true, sourceRef: { kind: "GitRepository", name: "x" } } })!;
    assert.deepEqual(ks("10m"), []);
    assert.deepEqual(ks("ten minutes").map((p) => p.path), ["/spec/interval"]);
  });
});
