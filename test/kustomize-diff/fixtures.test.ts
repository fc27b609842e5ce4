import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { KUSTOMIZATION_FILE_NAMES } from "../../gitops/kustomize";
import { hasKubectl } from "../kubectl";
import { differences, kubectlKustomize, ourBuild, parseStream, pooled } from "./harness";

const ROOT = path.join(__dirname, "..", "..");

/** Every directory with a kustomization file under the fixtures and the example repository. */
function kustomizationDirs(): string[] {
  const out: string[] = [];
  const walk = (abs: string) => {
    if (KUSTOMIZATION_FILE_NAMES.some((n) => fs.existsSync(path.join(abs, n)))) out.push(abs);
    for (const e of fs.readdirSync(abs, { withFileTypes: true })) if (e.isDirectory()) walk(path.join(abs, e.name));
  };
  walk(path.join(ROOT, "test", "fixtures"));
  walk(path.join(ROOT, "examples"));
  return out.sort();
}

/** The repository a fixture directory belongs to: the nearest ancestor with clusters/, or its top. */
function repoOf(dir: string): string {
  for (let d = dir; d !== ROOT; d = path.dirname(d)) if (fs.existsSync(path.join(d, "clusters"))) return d;
  return dir;
}

describe("build agrees with `kubectl kustomize` on whole bodies: every fixture and example directory with a kustomization file", function () {
  this.timeout(300000);
  const dirs = kustomizationDirs();
  let results: { dir: string; diffs: string[]; note?: string }[] = [];

  before(async function () {
    if (!hasKubectl()) this.skip();
    const started = Date.now();
    results = await pooled(dirs, 3, async (dir) => {
      const repo = repoOf(dir);
      const [ours, theirs] = await Promise.all([ourBuild(repo, path.relative(repo, dir).split(path.sep).join("/") || "."), kubectlKustomize(dir)]);
      if (ours.code === 1) {
        // Unresolved parts must be named, and then the build may differ; kubectl may also fail (remote bases).
        assert.match(ours.stderr, /unresolved: /);
        return { dir, diffs: [], note: ours.stderr.trim() };
      }
      if (!theirs.ok) return { dir, diffs: [`kubectl kustomize failed but build exited ${ours.code}:\n${theirs.stderr}`] };
      assert.strictEqual(ours.code, 0, ours.stderr);
      return { dir, diffs: differences(parseStream(ours.stdout), parseStream(theirs.stdout)) };
    });
    // eslint-disable-next-line no-console
    const unresolved = results.filter((r) => r.note !== undefined).length;
    console.log(`      ${dirs.length} directories (${unresolved} with unresolved parts) compared in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  it("finds directories to compare", () => assert.ok(dirs.length >= 20, `only ${dirs.length}`));

  it("builds every one with 0 differences (unresolved ones are named)", () => {
    const failed = results.filter((r) => r.diffs.length > 0);
    const message = failed.map((r) => `${path.relative(ROOT, r.dir)}:\n${r.diffs.join("\n")}`).join("\n\n");
    assert.strictEqual(failed.length, 0, message);
  });
});
