import * as assert from "assert";
import { readBootstrapFile } from "../../gitops/read/helmfile";
import { providerTable } from "../../gitops/charts/table";
import { verifyRepository } from "../../gitops/verify";
import { writeRepo } from "./helpers";

/** A billion-laughs document: each alias doubles what the one before it expands to. */
function aliasBomb(): string {
  const lines = ["a0: &a0 [x, x]"];
  for (let i = 1; i < 30; i++) lines.push(`a${i}: &a${i} [*a${i - 1}, *a${i - 1}]`);
  return lines.join("\n") + "\n";
}

// Found by the fuzz campaign on the merged tree (seed 42, mutant 3741): a bootstrap helmfile is read
// for the charts it can name, and one that cannot be expanded must not stop the check.
describe("bootstrap helmfiles that cannot be read", () => {
  const none = () => undefined;
  const nothing = () => [];

  it("an alias bomb or an undefined alias gives no release instead of an internal error", () => {
    for (const text of [`releases:\n  - name: cert-manager\n${aliasBomb()}`, "releases:\n  - name: *nope\n"]) {
      const file = readBootstrapFile("bootstrap/helmfile.yaml", text, providerTable(), none, nothing);
      assert.ok(Array.isArray(file.releases));
    }
  });

  it("verify of a repository holding one still ends with a verdict", () => {
    const repo = writeRepo({
      "bootstrap/helmfile.yaml": `releases:\n  - name: cert-manager\n${aliasBomb()}`,
      "clusters/dev/ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: apps}\n",
    });
    assert.strictEqual(verifyRepository(repo, "clusters/dev").summary.errors, 0);
  });
});
