import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parseAllDocuments } from "yaml";
import { hasKubectl } from "../kubectl";

const EXAMPLE = path.resolve(__dirname, "../../examples/gitops");

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(full) : [full];
  });
}

describe("the example GitOps repository", () => {
  const files = filesUnder(EXAMPLE);

  it("uses .yaml only, as the seed advises (kustomize sometimes misses .yml)", () => {
    assert.deepStrictEqual(files.filter((f) => f.endsWith(".yml")), []);
  });

  it("builds with kubectl kustomize in every directory that has a kustomization.yaml", function () {
    if (!hasKubectl()) this.skip();
    this.timeout(60_000); // one kubectl process per directory
    const dirs = files.filter((f) => path.basename(f) === "kustomization.yaml").map(path.dirname);
    assert.ok(dirs.length >= 10, `only ${dirs.length} kustomization directories`);
    for (const dir of dirs) {
      const built = execFileSync("kubectl", ["kustomize", dir], { encoding: "utf8" });
      assert.ok(parseAllDocuments(built).length > 0, `${path.relative(EXAMPLE, dir)} builds to nothing`);
    }
  });

  for (const env of ["development", "production"]) {
    it(`carries the node role as a placeholder in every namespace of the ${env} overlay`, () => {
      const overlay = path.join(EXAMPLE, "infrastructure/kustomized/overlays", env);
      const namespaces = filesUnder(overlay)
        .flatMap((f) => parseAllDocuments(fs.readFileSync(f, "utf8")).map((d) => d.toJS()))
        .filter((o) => o?.kind === "Namespace");
      assert.ok(namespaces.length > 0);
      for (const ns of namespaces) {
        assert.match(String(ns.metadata?.annotations?.iam_role), /^\$\{NODE_ROLE_(ARN|NAME)\}$/, ns.metadata?.name);
      }
    });
  }
});
