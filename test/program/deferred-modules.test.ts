import * as assert from "assert";
import { spawnSync } from "child_process";
import * as path from "path";
import { runProgram } from "../../offline/program";

// plan defers three modules the Pulumi SDK loads at import (offline/deferred-modules.ts). The SDK
// is loaded once per process, so each case runs in a fresh one, as the CLI does.

const ROOT = path.join(__dirname, "..", "..");

function runChild(body: string): Record<string, unknown> {
  const script = `
    require(${JSON.stringify(path.join(ROOT, "bin", "ts-cache.js"))}).register();
    require(${JSON.stringify(path.join(ROOT, "offline", "deferred-modules.ts"))}).deferUnusedSdkModules();
    // bin/ts-cache.js loads TypeScript itself when a source is not in its cache yet: forget it.
    for (const f of Object.keys(require.cache)) if (f.includes(require("path").join("node_modules", "typescript", ""))) delete require.cache[f];
    const loaded = (suffix) => Object.keys(require.cache).some((f) => f.split(require("path").sep).join("/").endsWith(suffix));
    const pulumi = require("@pulumi/pulumi");
    (async () => { ${body} })().then((out) => process.stdout.write(JSON.stringify(out)), (err) => { console.error(err); process.exit(1); });
  `;
  const result = spawnSync(process.execPath, ["-e", script], { cwd: ROOT, encoding: "utf8" });
  assert.strictEqual(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

describe("modules the Pulumi SDK and the providers load but plan does not use", function () {
  this.timeout(120_000);

  for (const stack of ["development", "production"]) {
    it(`change nothing in the plan of ${stack}: whole resources and outputs equal a run with every module loaded`, async () => {
      // This process loaded the SDK and the providers eagerly (mocha never defers them).
      const eager = await runProgram(stack);
      const result = spawnSync(process.execPath, [path.join(ROOT, "bin", "gitops-cluster.js"), "plan", "--stack", stack, "--format", "json"],
        { cwd: ROOT, encoding: "utf8", maxBuffer: 64 << 20 });
      assert.strictEqual(result.status, 0, result.stderr);
      const deferred = JSON.parse(result.stdout) as { resources: unknown[]; outputs: unknown };
      const asPlanned = eager.resources.map(({ urn, type, name, parent, dependencies, provider, inputs }) => ({
        urn, type, name, parent: parent ?? null, dependsOn: dependencies, provider: provider ?? null, inputs,
      }));
      assert.deepStrictEqual(deferred.resources, JSON.parse(JSON.stringify(asPlanned)));
      assert.deepStrictEqual(deferred.outputs, JSON.parse(JSON.stringify(eager.outputs)));
    });
  }

  it("are not loaded by importing the SDK", () => {
    const out = runChild(`return {
      typescript: loaded("typescript/lib/typescript.js"),
      arborist: loaded("@npmcli/arborist/lib/index.js"),
      automation: loaded("@pulumi/pulumi/automation/index.js"),
      runtime: loaded("@pulumi/pulumi/runtime/index.js"),
      awsNamespaces: (require("@pulumi/aws"), Object.keys(require.cache).filter((f) => new RegExp("@pulumi/aws/[a-z0-9]+/index[.]js$").test(f)).length),
      ec2: typeof require("@pulumi/aws").ec2.Vpc,
      ec2Loaded: loaded("@pulumi/aws/ec2/index.js"),
    };`);
    assert.deepStrictEqual(out, { typescript: false, arborist: false, automation: false, runtime: true, awsNamespaces: 0, ec2: "function", ec2Loaded: true });
  });

  it("are loaded on first use and work: a function serialized through TypeScript, the Automation API's classes", () => {
    const out = runChild(`
      const before = loaded("typescript/lib/typescript.js");
      const serialized = await pulumi.runtime.serializeFunction(() => 6 * 7, { isFactoryFunction: false });
      const fn = new Function("exports", "module", serialized.text + "; return exports;")({}, {});
      return {
        before,
        after: loaded("typescript/lib/typescript.js"),
        result: fn[serialized.exportName](),
        automation: typeof pulumi.automation.LocalWorkspace.create,
        automationKeys: Object.keys(pulumi.automation).includes("LocalWorkspace"),
      };`);
    assert.deepStrictEqual(out, { before: false, after: true, result: 42, automation: "function", automationKeys: true });
  });
});
