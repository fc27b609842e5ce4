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

  it("writes values shared through YAML anchors out in full, as kustomize does (sorted keys put an alias before its anchor)", async () => {
    const repo = writeRepo({
      "apps/kustomization.yaml": "resources: [a.yaml]\n",
      "apps/a.yaml": "apiVersion: v1\nkind: X\nmetadata: {name: a}\nspec:\n  z: &probe {path: /health, port: 80}\n  a: *probe\n  mode: 0644\n",
    });
    const r = await run(["build", "--repo", repo, "--path", "apps"]);
    assert.strictEqual(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, /[&*]probe|[&*]a1/);
    assert.deepStrictEqual(parseAllDocuments(r.stdout).map((d) => d.toJS()), [
      { apiVersion: "v1", kind: "X", metadata: { name: "a" }, spec: { a: { path: "/health", port: 80 }, mode: 420, z: { path: "/health", port: 80 } } },
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

  it("exits 2 for bad input: a missing --path, a path outside the repository, --source without a Kustomization, YAML that does not parse", async () => {
    const repo = writeRepo({ "apps/kustomization.yaml": "resources: [a.yaml\n", "ok/a.yaml": cm("a") });
    assert.strictEqual((await run(["build", "--repo", repo])).code, 2);
    const outside = await run(["build", "--repo", repo, "--path", "../x"]);
    assert.deepStrictEqual([outside.code, /leaves the repository root/.test(outside.stderr)], [2, true]);
    const source = await run(["build", "--repo", repo, "--path", "ok", "--source", "OCIRepository/flux-system/apps=."]);
    assert.deepStrictEqual([source.code, /--source applies to a Flux Kustomization/.test(source.stderr)], [2, true]);
    const yaml = await run(["build", "--repo", repo, "--path", "apps"]);
    assert.deepStrictEqual([yaml.code, /^apps\/kustomization\.yaml:\d+: YAML parse error/.test(yaml.stderr)], [2, true]);
  });

  describe("--kustomization: what one Flux Kustomization applies", () => {
    const ks = (name: string, spec: string) =>
      `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: ${name}, namespace: flux-system}\nspec:\n${spec}`;
    const cluster = {
      "clusters/dev/infra.yaml": ks("infra", [
        "  interval: 10m",
        "  prune: true",
        "  path: ./infra",
        "  targetNamespace: platform",
        "  sourceRef: {kind: GitRepository, name: flux-system}",
        "  patches:",
        "    - target: {kind: ConfigMap, name: a}",
        "      patch: '[{op: add, path: /data, value: {patched: \"yes\"}}]'",
        "",
      ].join("\n")),
      "clusters/dev/apps.yaml": ks("apps", "  interval: 10m\n  prune: true\n  path: ./deploy\n  sourceRef: {kind: OCIRepository, name: apps}\n"),
      "infra/kustomization.yaml": "resources: [a.yaml]\n",
      "infra/a.yaml": cm("a"),
    };

    it("prints its path's objects with its spec.patches and targetNamespace applied", async () => {
      const repo = writeRepo(cluster);
      const r = await run(["build", "--repo", repo, "--cluster", "clusters/dev", "--kustomization", "flux-system/infra"]);
      assert.strictEqual(r.code, 0, r.stderr);
      assert.deepStrictEqual(parseAllDocuments(r.stdout).map((d) => d.toJS()), [
        { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a", namespace: "platform" }, data: { patched: "yes" } },
      ]);
    });

    it("reads a source from a --source directory; without it the Kustomization is left unread (exit 1)", async () => {
      const repo = writeRepo(cluster);
      const artifact = writeRepo({ "deploy/b.yaml": cm("b") });
      const unread = await run(["build", "--repo", repo, "--cluster", "clusters/dev", "--kustomization", "flux-system/apps"]);
      assert.deepStrictEqual([unread.code, unread.stdout], [1, ""]);
      assert.match(unread.stderr, /^unresolved: clusters\/dev\/apps\.yaml:1: external-source: OCIRepository\/flux-system\/apps$/m);
      const read = await run(["build", "--repo", repo, "--cluster", "clusters/dev", "--kustomization", "flux-system/apps", "--source", `OCIRepository/flux-system/apps=${artifact}`]);
      assert.strictEqual(read.code, 0, read.stderr);
      assert.deepStrictEqual(parseAllDocuments(read.stdout).map((d) => d.toJS()), [{ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "b" } }]);
    });

    it("exits 2 naming the Kustomizations there are when the name is not one of them, and for malformed flags", async () => {
      const repo = writeRepo(cluster);
      const missing = await run(["build", "--repo", repo, "--cluster", "clusters/dev", "--kustomization", "flux-system/nope"]);
      assert.strictEqual(missing.code, 2);
      assert.match(missing.stderr, /flux-system\/nope: no Flux Kustomization of that name under clusters\/dev; there are: flux-system\/apps, flux-system\/flux-system, flux-system\/infra/);
      const cases: [string[], RegExp][] = [
        [["--kustomization", "flux-system/infra"], /needs --cluster/],
        [["--cluster", "clusters/dev", "--kustomization", "infra"], /expected NAMESPACE\/NAME/],
        [["--cluster", "clusters/dev", "--kustomization", "flux-system/infra", "--path", "infra"], /give one or the other/],
        [["--cluster", "clusters/dev", "--kustomization", "flux-system/infra", "--bootstrap", "later"], /expected committed or stack/],
        [["--cluster", "clusters/dev", "--kustomization", "flux-system/apps", "--source", "GitRepository/apps"], /is not KIND\/NAMESPACE\/NAME=DIR/],
        [["--cluster", "clusters/dev", "--kustomization", "flux-system/apps", "--source", "OCIRepository/flux-system/apps=/no/such/dir"], /no such directory/],
      ];
      for (const [argv, message] of cases) {
        const r = await run(["build", "--repo", repo, ...argv]);
        assert.deepStrictEqual([r.code, message.test(r.stderr)], [2, true], `${argv.join(" ")}: ${r.stderr}`);
      }
    });
  });
});
