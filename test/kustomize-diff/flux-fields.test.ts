import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse, stringify } from "yaml";
import { main } from "../../cli/main";
import { hasKubectl } from "../kubectl";
import { differences, kubectlKustomize, parseStream, pooled } from "./harness";
import { writeFluxFields, writeTree } from "./trees";

/**
 * A Flux Kustomization's targetNamespace, namePrefix/nameSuffix, patches, components and images
 * are written into the kustomization file kustomize-controller builds (fluxcd/pkg
 * kustomize/kustomize_generator.go, GenerateManifest), so they take their place in kustomize's
 * own order. For each seeded tree, `gitops-cluster build --kustomization` on a Flux Kustomization
 * that carries such fields is compared, on whole bodies, with `kubectl kustomize` of a copy of the
 * tree whose kustomization file was rewritten as the generator rewrites it (below, from that code).
 */
const FIRST_SEED = Number(process.env.FLUX_FIELDS_SEED ?? 3001);
const TREES = Number(process.env.FLUX_FIELDS_TREES ?? 100);

type Json = Record<string, unknown>;

/** The generator's rewrite of a kustomization file: the spec's fields replace or join the file's. */
function asFluxWritesIt(k: Json, spec: Json, dir: string): Json {
  const out: Json = { ...k };
  if (typeof spec.targetNamespace === "string") out.namespace = spec.targetNamespace;
  if (typeof spec.namePrefix === "string") out.namePrefix = spec.namePrefix;
  if (typeof spec.nameSuffix === "string") out.nameSuffix = spec.nameSuffix;
  for (const p of (spec.patches ?? []) as Json[]) out.patches = [...((out.patches ?? []) as Json[]), { patch: p.patch, target: p.target }];
  for (const c of (spec.components ?? []) as string[]) {
    if (spec.ignoreMissingComponents === true && !fs.existsSync(path.join(dir, c))) continue;
    out.components = [...((out.components ?? []) as string[]), c];
  }
  for (const image of (spec.images ?? []) as Json[]) {
    const images = ((out.images ?? []) as Json[]).map((i) => ({ ...i }));
    const existing = images.find((i) => i.name === image.name);
    if (existing === undefined) images.push({ ...image });
    else {
      if (image.newName) existing.newName = image.newName;
      if (image.newTag || image.digest) {
        existing.newTag = image.newTag;
        existing.digest = image.digest;
        for (const key of ["newTag", "digest"]) if (existing[key] === undefined) delete existing[key];
      }
    }
    out.images = images;
  }
  return out;
}

async function ourBuild(repo: string): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await main(["build", "--repo", repo, "--cluster", "clusters/dev", "--kustomization", "flux-system/tree"], {
    stdout: (t) => { stdout += t; },
    stderr: (t) => { stderr += t; },
    cwd: process.cwd(),
    env: process.env,
  });
  return { code, stdout, stderr };
}

describe(`Flux's own kustomize fields take their place in kustomize's order: ${TREES} generated trees against \`kubectl kustomize\``, function () {
  this.timeout(600000);
  let root = "";
  const outcomes: { seed: number; problems: string[]; refused: boolean; fields: string[] }[] = [];

  before(async function () {
    if (!hasKubectl()) this.skip();
    root = fs.mkdtempSync(path.join(os.tmpdir(), "flux-fields-"));
    const seeds = Array.from({ length: TREES }, (_, i) => FIRST_SEED + i);
    await pooled(seeds, 2, async (seed) => {
      writeTree(root, seed);
      const spec = writeFluxFields(root, seed);
      const repo = path.join(root, `t${seed}`);
      const ks = { apiVersion: "kustomize.toolkit.fluxcd.io/v1", kind: "Kustomization", metadata: { name: "tree", namespace: "flux-system" },
        spec: { interval: "10m", prune: true, path: "./overlay", sourceRef: { kind: "GitRepository", name: "flux-system" }, ...spec } };
      fs.mkdirSync(path.join(repo, "clusters", "dev"), { recursive: true });
      fs.writeFileSync(path.join(repo, "clusters", "dev", "tree.yaml"), stringify(ks));
      // kustomize-controller's view: a copy whose overlay kustomization carries the spec's fields.
      const copy = path.join(root, `flux${seed}`);
      fs.cpSync(repo, copy, { recursive: true });
      const kfile = path.join(copy, "overlay", "kustomization.yaml");
      fs.writeFileSync(kfile, stringify(asFluxWritesIt(parse(fs.readFileSync(kfile, "utf8")) as Json, spec, path.dirname(kfile))));

      const ours = await ourBuild(repo);
      const theirs = await kubectlKustomize(path.join(copy, "overlay"));
      const problems: string[] = [];
      const refused = ours.code === 1;
      if (refused) {
        if (theirs.ok) problems.push(`build left parts unresolved that kubectl kustomize builds:\n${ours.stderr}`);
      } else if (ours.code !== 0) problems.push(`build exited ${ours.code}:\n${ours.stderr}`);
      else if (!theirs.ok) problems.push(`kubectl kustomize refuses this tree but build resolved it:\n${theirs.stderr}`);
      else problems.push(...differences(parseStream(ours.stdout), parseStream(theirs.stdout)));
      if (refused && process.env.FLUX_FIELDS_DEBUG) console.log(seed, ours.stderr.split("\n")[0], "|", theirs.stderr.split("\n")[0]);
      outcomes.push({ seed, problems, refused, fields: Object.keys(spec) });
    });
    const used = (field: string) => outcomes.filter((o) => o.fields.includes(field)).length;
    // eslint-disable-next-line no-console
    console.log(`      ${TREES} trees: ${outcomes.filter((o) => o.refused).length} refused by both; fields used: ` +
      ["targetNamespace", "namePrefix", "nameSuffix", "patches", "images", "components"].map((f) => `${f} ${used(f)}`).join(", "));
  });

  after(() => {
    if (root !== "" && outcomes.every((o) => o.problems.length === 0)) fs.rmSync(root, { recursive: true, force: true });
  });

  it("has 0 differences on whole bodies", () => {
    const failed = outcomes.filter((o) => o.problems.length > 0).sort((a, b) => a.seed - b.seed);
    const shown = failed.slice(0, 4).map((o) => `seed ${o.seed} (${path.join(root, `t${o.seed}`)}):\n${o.problems.slice(0, 3).join("\n")}`);
    assert.strictEqual(failed.length, 0, `${failed.length} of ${TREES} trees differ; seeds ${failed.map((o) => o.seed).join(", ")}\n\n${shown.join("\n\n")}`);
  });

  it("exercises every field, and a patch that matches only before the overlay's own prefix", () => {
    for (const field of ["targetNamespace", "namePrefix", "nameSuffix", "patches", "images", "components"]) {
      assert.ok(outcomes.filter((o) => o.fields.includes(field)).length >= TREES / 10, field);
    }
    assert.ok(outcomes.filter((o) => o.refused).length < TREES / 10);
  });
});
