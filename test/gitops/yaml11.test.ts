import * as assert from "assert";
import * as fs from "fs";
import { parse } from "yaml";
import { kustomizationTypeErrors, typeErrorsIn } from "../../gitops/kustomize/fields";
import { readsAlikeInYaml11 } from "../../gitops/kustomize/yaml11";
import { resolvePath } from "../../gitops/kustomize";
import { Repo } from "../../gitops/read/repo";
import { parseYamlMappingDocuments } from "../../gitops/read/yaml";
import { exampleAndFixtureFiles, writeRepo } from "./helpers";

/** Whether the 1.2 parse is judged alike, and if so that it really is: same data and same type errors as a 1.1 parse. */
function alike(text: string): boolean {
  const { data, docs } = parseYamlMappingDocuments(text, "kustomization.yaml");
  const result = readsAlikeInYaml11(docs);
  if (result) {
    assert.deepStrictEqual(data, parse(text, { version: "1.1" }), text);
    assert.deepStrictEqual(typeErrorsIn(data), kustomizationTypeErrors(text), text);
  }
  return result;
}

describe("kustomization files: the YAML 1.1 type check without a second parse when 1.1 reads the file alike", () => {
  it("strings, paths, quoted and block scalars read alike: the check runs on the data already parsed", () => {
    assert.strictEqual(alike("resources:\n  - ./apps\n  - ../base\n  - deploy.yaml\nnamespace: team-a\nnamePrefix: a-\n"), true);
    assert.strictEqual(alike("commonLabels:\n  app: web\n  tier: 'on'\n  zone: \"010\"\npatches:\n  - patch: |\n      - op: add\n        path: /x\n        value: 1\n"), true);
    assert.strictEqual(alike("images:\n  - name: nginx\n    newTag: latest\nlabels:\n  - pairs: {team: a}\n"), true);
  });

  for (const value of ["yes", "on", "Off", "y", "N", "010", "0x1F", "1:20", "2001-12-14", "~", ".5", "-1", "+1", "true", "Null", "12"]) {
    it(`a plain ${JSON.stringify(value)} may read differently in YAML 1.1: parsed again, and its type error still reported`, () => {
      const text = `resources:\n  - a.yaml\ncommonLabels:\n  flag: ${value}\n`;
      assert.strictEqual(alike(text), false);
      const expected = kustomizationTypeErrors(text);
      if (value !== "~" && value !== "Null") assert.ok(expected.length === 1 && expected[0].startsWith("commonLabels.flag: expected a string"), expected.join());
      const repo = new Repo(writeRepo({ "k/kustomization.yaml": text, "k/a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n" }));
      const reported = resolvePath(repo, "k").unresolved.filter((u) => u.reason === "kustomize-error").map((u) => u.ref);
      assert.deepStrictEqual(reported, expected);
    });
  }

  it("a merge key, an alias, an explicit tag, a %YAML directive, a second document, a collection key: parsed again", () => {
    assert.strictEqual(alike("<<: {namespace: a}\nresources: [a.yaml]\n"), false);
    assert.strictEqual(alike("a: &x b\nnamespace: *x\n"), false);
    assert.strictEqual(alike("namespace: !!str a\n"), false);
    assert.strictEqual(alike("%YAML 1.1\n---\nnamespace: a\n"), false);
    assert.strictEqual(alike("namespace: a\n---\nnamespace: b\n"), false);
    assert.strictEqual(alike("? [a]\n: b\nnamespace: a\n"), false);
  });

  it("every kustomization file of the example repository and the test fixtures", () => {
    const files = exampleAndFixtureFiles(/^kustomization\.ya?ml$|^Kustomization$/);
    let fast = 0;
    for (const file of files) {
      let ok = true;
      try {
        parseYamlMappingDocuments(fs.readFileSync(file, "utf8"), file);
      } catch {
        ok = false;
      }
      if (ok && alike(fs.readFileSync(file, "utf8"))) fast++;
    }
    assert.ok(fast > files.length / 2, `${fast} of ${files.length} files read alike`);
  });
});
