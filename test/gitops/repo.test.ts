import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { GitopsInputError } from "../../gitops/read/errors";
import { Repo } from "../../gitops/read/repo";
import { writeRepo } from "./helpers";

describe("Repo: reading a checkout without leaving it", () => {
  it("reads files and lists directories by repo-relative POSIX path", () => {
    const root = writeRepo({ "clusters/dev/a.yaml": "a: 1\n", "clusters/dev/b.yml": "b: 2\n" });
    const repo = new Repo(root);
    assert.strictEqual(repo.readText("./clusters/dev/../dev/a.yaml"), "a: 1\n");
    assert.deepStrictEqual(repo.list("clusters/dev").map((e) => e.path), ["clusters/dev/a.yaml", "clusters/dev/b.yml"]);
    assert.ok(repo.isDirectory("clusters") && repo.exists("clusters/dev/b.yml") && !repo.exists("nope"));
  });

  it("refuses a ../ path that climbs above the root", () => {
    const repo = new Repo(writeRepo({ "x.yaml": "" }));
    assert.throws(() => repo.readText("clusters/../../etc/passwd"), (e: unknown) =>
      e instanceof GitopsInputError && /leaves the repository root/.test(e.message));
    assert.throws(() => repo.exists("/etc/passwd"), GitopsInputError);
  });

  it("refuses a symlink that resolves outside the root, and follows one that stays inside", () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), "gitops-outside-"));
    fs.writeFileSync(path.join(outside, "secret.yaml"), "token: x\n");
    const root = writeRepo({ "real/inside.yaml": "ok: true\n" });
    fs.symlinkSync(path.join(outside, "secret.yaml"), path.join(root, "leak.yaml"));
    fs.symlinkSync(outside, path.join(root, "leakdir"));
    fs.symlinkSync(path.join(root, "real"), path.join(root, "alias"));
    const repo = new Repo(root);
    try {
      assert.throws(() => repo.readText("leak.yaml"), (e: unknown) =>
        e instanceof GitopsInputError && /symlink that resolves outside/.test(e.message));
      assert.throws(() => repo.readText("leakdir/secret.yaml"), GitopsInputError);
      assert.strictEqual(repo.readText("alias/inside.yaml"), "ok: true\n");
      assert.deepStrictEqual(repo.list("").map((e) => e.name), ["alias", "real"], "listings leave out escaping links");
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  it("says which path is missing", () => {
    const repo = new Repo(writeRepo({ "x.yaml": "" }));
    assert.throws(() => repo.readText("clusters/dev/none.yaml"), /clusters\/dev\/none\.yaml is not a readable file/);
    assert.throws(() => new Repo("/nonexistent/checkout"), /repository root \/nonexistent\/checkout does not exist/);
  });
});
