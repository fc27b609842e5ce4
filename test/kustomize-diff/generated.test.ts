import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { hasKubectl } from "../kubectl";
import { Body, differences, kubectlKustomize, ourBuild, parseStream, pooled } from "./harness";
import { seedOf, writeTree } from "./trees";

/**
 * 500 seeded kustomize trees (test/kustomize-diff/trees.ts), each built by `gitops-cluster build`
 * and by `kubectl kustomize`, compared on whole bodies. Reproduce one tree with
 * KUSTOMIZE_DIFF_SEED=<first seed> KUSTOMIZE_DIFF_TREES=1; the failure message names the seed.
 */
const FIRST_SEED = Number(process.env.KUSTOMIZE_DIFF_SEED ?? 1);
const TREES = Number(process.env.KUSTOMIZE_DIFF_TREES ?? 500);
/** Trees per kubectl call: one kustomization listing many trees' overlays builds them all at once. */
const BATCH = 50;

interface Outcome {
  seed: number;
  problems: string[];
  unresolved: boolean;
}

describe(`build agrees with \`kubectl kustomize\` on ${TREES} generated kustomize trees (seeds ${FIRST_SEED}..${FIRST_SEED + TREES - 1})`, function () {
  this.timeout(600000);
  let outcomes: Outcome[] = [];
  let root = "";

  before(async function () {
    if (!hasKubectl()) this.skip();
    const started = Date.now();
    root = fs.mkdtempSync(path.join(os.tmpdir(), "kustomize-diff-"));
    const seeds = Array.from({ length: TREES }, (_, i) => FIRST_SEED + i);
    const dirs = new Map(seeds.map((seed) => [seed, writeTree(root, seed)]));

    // Our builds first: each tree is a repository of its own (t<seed>/), built at overlay/.
    const oursStarted = Date.now();
    const built = new Map<number, { code: number; stdout: string; stderr: string }>();
    for (const seed of seeds) built.set(seed, await ourBuild(path.join(root, `t${seed}`), "overlay"));
    const oursSeconds = (Date.now() - oursStarted) / 1000;

    const kubectlStarted = Date.now();
    const theirs = new Map<number, { ok: boolean; bodies: Body[]; stderr: string }>();
    const batches: number[][] = [];
    // Trees the resolver says kustomize refuses are built alone (kubectl must refuse them too); the
    // others in batches, halved until the culprit is found when one fails anyway.
    const refused = seeds.filter((seed) => built.get(seed)?.code === 1);
    const accepted = seeds.filter((seed) => built.get(seed)?.code !== 1);
    for (const seed of refused) batches.push([seed]);
    for (let i = 0; i < accepted.length; i += BATCH) batches.push(accepted.slice(i, i + BATCH));
    await pooled(batches, 2, async (batch) => {
      const dir = path.join(root, `batch-${batch[0]}`);
      await buildBatch(batch, dir);
    });
    /** One kubectl call for the batch; when kustomize refuses one of its trees, halve it and try again. */
    async function buildBatch(batch: number[], dir: string): Promise<void> {
      if (batch.length === 1) {
        const one = await kubectlKustomize(path.join(root, dirs.get(batch[0]) as string));
        theirs.set(batch[0], { ok: one.ok, bodies: one.ok ? parseStream(one.stdout) : [], stderr: one.stderr });
        return;
      }
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, "kustomization.yaml"), `resources:\n${batch.map((s) => `  - ../${dirs.get(s)}\n`).join("")}`);
      const batchBuild = await kubectlKustomize(dir);
      if (batchBuild.ok) {
        for (const seed of batch) theirs.set(seed, { ok: true, bodies: [], stderr: "" });
        for (const body of parseStream(batchBuild.stdout)) {
          const seed = seedOf(body);
          assert.ok(seed !== undefined && theirs.has(seed), `an object without a tree token: ${JSON.stringify(body)}`);
          theirs.get(seed)?.bodies.push(body);
        }
        return;
      }
      const half = Math.ceil(batch.length / 2);
      await buildBatch(batch.slice(0, half), `${dir}a`);
      await buildBatch(batch.slice(half), `${dir}b`);
    }
    const kubectlSeconds = (Date.now() - kubectlStarted) / 1000;

    for (const seed of seeds) {
      const ours = built.get(seed) as { code: number; stdout: string; stderr: string };
      const kube = theirs.get(seed) as { ok: boolean; bodies: Body[]; stderr: string };
      const problems: string[] = [];
      if (ours.code === 1) {
        // The resolver left something unresolved: only right when kustomize refuses the tree too.
        if (kube.ok) problems.push(`build left parts unresolved that kubectl kustomize builds:\n${ours.stderr}`);
      } else if (ours.code !== 0) {
        problems.push(`build exited ${ours.code}:\n${ours.stderr}`);
      } else if (!kube.ok) {
        problems.push(`kubectl kustomize refuses this tree but build resolved it:\n${kube.stderr}`);
      } else {
        problems.push(...differences(parseStream(ours.stdout), kube.bodies));
      }
      outcomes.push({ seed, problems, unresolved: ours.code === 1 });
    }
    // eslint-disable-next-line no-console
    console.log(`      ${TREES} trees: build ${oursSeconds.toFixed(1)} s, kubectl ${kubectlSeconds.toFixed(1)} s, total (with writing them) ${((Date.now() - started) / 1000).toFixed(1)} s; `
      + `${outcomes.filter((o) => o.unresolved).length} refused by both; ${outcomes.filter((o) => o.problems.length > 0).length} with differences`);
  });

  after(() => {
    if (root !== "" && outcomes.every((o) => o.problems.length === 0)) fs.rmSync(root, { recursive: true, force: true });
  });

  it("has 0 differences on whole bodies", () => {
    const failed = outcomes.filter((o) => o.problems.length > 0);
    const shown = failed.slice(0, 5).map((o) => `seed ${o.seed} (${path.join(root, `t${o.seed}`)}):\n${o.problems.slice(0, 3).join("\n")}`);
    assert.strictEqual(failed.length, 0, `${failed.length} of ${TREES} trees differ; seeds ${failed.map((o) => o.seed).join(", ")}\n\n${shown.join("\n\n")}`);
  });

  it("mostly builds trees kustomize accepts (the generator exercises features, not errors)", () => {
    assert.ok(outcomes.filter((o) => o.unresolved).length < TREES / 10);
  });
});
