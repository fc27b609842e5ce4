import * as assert from "assert";
import * as path from "path";
import { runProgram } from "../../offline/program";

const failingApply = path.join(__dirname, "fixtures", "failing-apply.ts");

describe("runProgram (the offline plan's runner)", () => {
  it("rejects with the settings error's own message, naming the config key", async () => {
    await assert.rejects(
      runProgram("development", { config: { nodeGroups: [{ name: "general", minSize: 3, maxSize: 1 }] } }),
      (err: Error) => {
        assert.strictEqual(err.name, "SettingsError");
        assert.strictEqual(err.message, "gitops-cluster:nodeGroups[0].maxSize must be >= minSize (got 1 < 3)");
        return true;
      },
    );
  });

  it("rejects with the program's message when an input fails later, inside an apply", async () => {
    await assert.rejects(runProgram("development", { programPath: failingApply }), {
      message: "clusters/development: issuers applies ClusterIssuer before cert-manager-install is Ready",
    });
  });

  it("rejects naming the file when the stack has no settings file", async () => {
    await assert.rejects(runProgram("staging"), /Pulumi\.staging\.yaml: not found/);
  });

  it("runs the program afresh each time: after a failure, and for another stack in the same process", async () => {
    await assert.rejects(runProgram("development", { programPath: failingApply }));
    const development = await runProgram("development");
    const production = await runProgram("production");
    assert.notStrictEqual(development.outputs.clusterName, production.outputs.clusterName);
    assert.strictEqual(development.stack, "development");
    assert.strictEqual(production.stack, "production");
    assert.ok(production.resources.every((r) => r.urn.startsWith("urn:pulumi:production::gitops-cluster::")));
  });

  it("applies config overrides on top of the stack file", async () => {
    const run = await runProgram("development", { config: { cluster: { name: "override-me" } } });
    assert.strictEqual(run.outputs.clusterName, "override-me");
  });
});
