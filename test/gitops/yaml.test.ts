import * as assert from "assert";
import { GitopsInputError } from "../../gitops/read/errors";
import * as fs from "fs";
import { documentData, groupOf, parseCheckedDocuments, parseManifests, parseYamlDocuments } from "../../gitops/read/yaml";
import { exampleAndFixtureFiles } from "./helpers";

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

describe("parseYamlDocuments: plain data without eemeli/yaml's toJS, equal to it", () => {
  /** What toJS makes of every document, the reference the fast conversion must equal. */
  const reference = (text: string) => {
    const { docs, lineCounter } = parseCheckedDocuments(text, "x.yaml");
    return docs.filter((d) => d.contents !== null).map((d) => {
      const line = lineCounter.linePos(d.contents!.range[0]).line;
      return { data: documentData(d, "x.yaml", line), line };
    });
  };
  const same = (text: string) => {
    const fast = parseYamlDocuments(text, "x.yaml");
    const slow = reference(text);
    assert.deepStrictEqual(fast, slow);
    // deepStrictEqual compares prototypes too; own keys (a `__proto__` key) once more, by name.
    assert.strictEqual(JSON.stringify(fast), JSON.stringify(slow));
  };

  it("scalars of every core type, keys that are not strings, empty keys and values, flow pairs, __proto__", () => {
    same([
      "a: 1", "b: 1.50", "c: true", "d: ~", "e:", "f: 0x1F", "g: 0o17", "h: .inf", "i: -.INF", "j: .nan", "k: '010'",
      "1: int key", "2.5: float key", "true: bool key", "null: null key", "s: {: empty key}", "t: {~: tilde key}",
      "l: [a: 1, b, {c: d}]", "m: !!str 123", "n: !custom tagged", "o: !!set {x, y}", "p: |\n  block\n  text",
      "q: >-\n  folded\n  text", "__proto__: {polluted: yes}", "constructor: c", "toString: t", "r: [[], {}, [[1]]]",
      "'quoted key': \"\\u00e9\\t\"", "<<: {merge: not in YAML 1.2}",
    ].join("\n"));
  });

  it("documents with anchors and aliases go through toJS, with the same result", () => {
    same("base: &b {x: 1}\nuse: *b\nlist: [&s str, *s]\n---\nplain: 2\n");
  });

  it("every YAML file of the example repository and the test fixtures", () => {
    const files = exampleAndFixtureFiles(/\.ya?ml$/);
    let checked = 0;
    for (const file of files) {
      const text = fs.readFileSync(file, "utf8");
      let ok = true;
      try {
        reference(text);
      } catch {
        ok = false; // a fixture of bad input: both must refuse it alike
      }
      if (ok) {
        same(text);
        checked++;
      } else {
        assert.throws(() => parseYamlDocuments(text, "x.yaml"), GitopsInputError);
      }
    }
    assert.ok(checked > 50, `${checked} files compared`);
  });
});

describe("parseYamlDocuments: repeated keys, in small maps (compared pairwise) and large ones (a Set)", () => {
  const refused = (text: string, line: number) =>
    assert.throws(() => parseYamlDocuments(text, "d.yaml"), (err: Error) => err instanceof GitopsInputError && err.message.startsWith(`d.yaml:${line}: YAML parse error: Map keys must be unique`));
  it("names the line of the second occurrence, whatever the map's size", () => {
    refused("a: 1\nb: 2\nc: 3\nb: 4\n", 4);
    const large = Array.from({ length: 20 }, (_, i) => `k${i}: ${i}`);
    refused([...large, "k3: again"].join("\n"), 21);
  });
  it("compares keys by value as a Set does: NaN repeats NaN, 0 repeats -0, 1 does not repeat '1'", () => {
    refused("x: 1\n.nan: a\n.NaN: b\n", 3);
    refused("0: a\n-0: b\n", 2);
    refused(Array.from({ length: 12 }, (_, i) => `k${i}: ${i}`).concat(".nan: a", ".NAN: b").join("\n"), 14);
    assert.deepStrictEqual(parseYamlDocuments("1: a\n'1': b\n", "d.yaml")[0].data, { 1: "b" });
  });
});
