import * as assert from "assert";
import { parseAllDocuments } from "yaml";
import { main } from "../../cli/main";
import { writeRepo } from "../gitops/helpers";

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, { stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; }, cwd: process.cwd(), env: process.env });
  return { code, stdout, stderr };
}

const cm = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;

describe("gitops-cluster build", () => {
  it("prints the build as multi-document YAML and exits 0 when everything resolved", async () => {
    const repo = writeRepo({ "apps/kustomization.yaml": "resources: [a.yaml]\nnamespace: team\n", "apps/a.yaml": `${cm("b")}---\n${cm("a")}` });
    const r = await run(["build", "--repo", repo, "--path", "./apps/"]);
    assert.strictEqual(r.code, 0, r.stderr);
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS());
    assert.deepStrictEqual(docs, [
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a", namespace: "team" } },
      { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "b", namespace: "team" } },
    ]);
  });

  it("exits 1 naming each unresolved part with file:line, and still prints what it built", async () => {
    const repo = writeRepo({ "apps/kustomization.yaml": "resources:\n  - a.yaml\n  - https://example.com/x.yaml\nreplacements: []\n", "apps/a.yaml": cm("a") });
    const r = await run(["build", "--repo", repo, "--path", "apps"]);
    assert.strictEqual(r.code, 1);
    assert.match(r.stdout, /name: a/);
    assert.deepStrictEqual(r.stderr.trim().split("\n"), [
      "unresolved: apps/kustomization.yaml:4: unsupported-kustomize: replacements",
      "unresolved: apps/kustomization.yaml:3: remote-resource: https://example.com/x.yaml",
    ]);
  });

  it("exits 2 for bad input: a missing --path, a path outside the repository, a bad --source, YAML that does not parse", async () => {
    const repo = writeRepo({ "apps/kustomization.yaml": "resources: [a.yaml\n", "ok/a.yaml": cm("a") });
    assert.strictEqual((await run(["build", "--repo", repo])).code, 2);
    const outside = await run(["build", "--repo", repo, "--path", "../x"]);
    assert.deepStrictEqual([outside.code, /leaves the repository root/.test(outside.stderr)], [2, true]);
    const source = await run(["build", "--repo", repo, "--path", "ok", "--source", "GitRepository/apps"]);
    assert.deepStrictEqual([source.code, /expected KIND\/NAMESPACE\/NAME=DIR/.test(source.stderr)], [2, true]);
    const yaml = await run(["build", "--repo", repo, "--path", "apps"]);
    assert.deepStrictEqual([yaml.code, /^apps\/kustomization\.yaml:\d+: YAML parse error/.test(yaml.stderr)], [2, true]);
  });

  it("accepts --source and says it is not used yet", async () => {
    const repo = writeRepo({ "ok/a.yaml": cm("a") });
    const r = await run(["build", "--repo", repo, "--path", "ok", "--source", "OCIRepository/flux-system/apps=../apps"]);
    assert.deepStrictEqual([r.code, /--source is accepted but not used/.test(r.stderr)], [0, true]);
  });
});
