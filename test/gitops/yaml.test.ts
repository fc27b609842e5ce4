import * as assert from "assert";
import { GitopsInputError } from "../../gitops/errors";
import { groupOf, parseManifests } from "../../gitops/yaml";

describe("parseManifests: multi-document YAML as Kubernetes objects", () => {
  it("keeps each object's start line and group, skipping empty and non-Kubernetes documents", () => {
    const text = [
      "# leading comment",
      "---",
      "apiVersion: apps/v1",
      "kind: Deployment",
      "metadata: {name: web, namespace: apps}",
      "---",
      "---",
      "replicaCount: 2 # a Helm values file, not an object",
      "---",
      "apiVersion: v1",
      "kind: ConfigMap",
      "metadata:",
      "  name: settings",
      "",
    ].join("\n");
    const objects = parseManifests(text, "apps/web.yaml");
    assert.deepStrictEqual(
      objects.map((o) => [o.group, o.kind, o.namespace, o.name, o.source.line]),
      [["apps", "Deployment", "apps", "web", 3], ["", "ConfigMap", undefined, "settings", 10]],
    );
  });

  it("expands a v1 List into its items, as kustomize does", () => {
    const text = "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n- {apiVersion: v1, kind: Secret, metadata: {name: b}}\n";
    assert.deepStrictEqual(parseManifests(text, "l.yaml").map((o) => `${o.kind}/${o.name}`), ["ConfigMap/a", "Secret/b"]);
  });

  it("reports a parse error with file and line", () => {
    const text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: [unclosed\n";
    assert.throws(() => parseManifests(text, "clusters/dev/infra.yaml"), (e: unknown) => {
      assert.ok(e instanceof GitopsInputError);
      assert.strictEqual(e.file, "clusters/dev/infra.yaml");
      assert.ok(e.line !== undefined && e.line >= 7, `line ${e.line}`);
      assert.match(e.message, /^clusters\/dev\/infra\.yaml:\d+: YAML parse error: /);
      return true;
    });
  });

  it("derives the API group from apiVersion", () => {
    assert.deepStrictEqual(["v1", "apps/v1", "cert-manager.io/v1"].map(groupOf), ["", "apps", "cert-manager.io"]);
  });
});
