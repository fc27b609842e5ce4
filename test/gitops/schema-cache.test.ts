import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { validatorCacheFile } from "../../gitops/flux/schema";

// The compiled schema validators are kept as code in node_modules/.cache. Each case runs in a
// fresh process, as the CLI does, so the module-level map of compiled validators starts empty.

const ROOT = path.join(__dirname, "..", "..");
const KEY = ["helm.toolkit.fluxcd.io", "v2", "HelmRelease"] as const;

// Wrong types, an unknown (pruned) field, and a placeholder string that must not be judged.
const RELEASE = {
  apiVersion: "helm.toolkit.fluxcd.io/v2",
  kind: "HelmRelease",
  metadata: { name: "podinfo" },
  spec: { interval: 5, chart: { spec: { chart: "podinfo", sourceRef: { kind: "HelmRepository", name: "podinfo" } } }, valuesFile: "x", timeout: "${T}" },
};

interface ChildResult {
  problems: unknown;
  ajvLoaded: boolean;
}

function validateInChild(): ChildResult {
  const script = `
    require(${JSON.stringify(path.join(ROOT, "bin", "ts-cache.js"))}).register();
    const { schemaProblems } = require(${JSON.stringify(path.join(ROOT, "gitops", "flux", "schema.ts"))});
    const problems = schemaProblems(${KEY.map((k) => JSON.stringify(k)).join(", ")}, ${JSON.stringify(RELEASE)});
    const ajvLoaded = Object.keys(require.cache).some((f) => f.endsWith(require("path").join("ajv", "dist", "core.js")));
    process.stdout.write(JSON.stringify({ problems, ajvLoaded }));
  `;
  const result = spawnSync(process.execPath, ["-e", script], { encoding: "utf8" });
  assert.strictEqual(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as ChildResult;
}

describe("the schema validator cache", function () {
  this.timeout(60_000);
  const file = validatorCacheFile(...KEY)!;

  it("compiles a validator once, and later runs load its code without ajv and judge alike", () => {
    fs.rmSync(file, { force: true });
    const compiled = validateInChild();
    assert.ok(compiled.ajvLoaded, "with no cache entry the schema is compiled with ajv");
    assert.ok(fs.existsSync(file), "the compiled validator is stored");
    const problems = compiled.problems as { path: string; kind: string }[];
    assert.deepStrictEqual(
      problems.map((p) => `${p.kind} ${p.path}`).sort(),
      ["invalid /spec/interval", "pruned /spec/valuesFile"],
    );

    const cached = validateInChild();
    assert.strictEqual(cached.ajvLoaded, false, "a cached validator needs no ajv");
    assert.deepStrictEqual(cached.problems, compiled.problems);
  });

  it("an entry that is not valid code is compiled again and replaced", () => {
    validateInChild();
    const good = fs.readFileSync(file, "utf8");
    fs.writeFileSync(file, good.slice(0, good.length >> 1)); // half written
    const repaired = validateInChild();
    assert.ok(repaired.ajvLoaded);
    assert.strictEqual(fs.readFileSync(file, "utf8"), good);
    assert.deepStrictEqual(validateInChild().problems, repaired.problems);
  });

  it("an entry is named by the schema it checks: another schema, another file", () => {
    const other = validatorCacheFile("kustomize.toolkit.fluxcd.io", "v1", "Kustomization")!;
    assert.notStrictEqual(other, file);
    assert.match(path.basename(file), /^[0-9a-f]{64}\.js$/);
    assert.strictEqual(validatorCacheFile("kustomize.toolkit.fluxcd.io", "v1beta1", "Kustomization"), undefined);
  });
});
