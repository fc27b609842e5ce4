/**
 * Rotating the deploy key is one setting and one `up`: across two runs of the whole production
 * program that differ only in flux.deployKeyGeneration, the key pair and the GitHub deploy key
 * get new names (created first, the old ones deleted at the end of the update), the Secret is
 * updated in place, and no other resource changes.
 */
import * as assert from "node:assert/strict";
import { isDeepStrictEqual } from "util";
import { PROJECT_DIR, ProgramRun, runProgram } from "../../offline/program";
import { readStackConfigFile } from "../../stacks/settings";

function withGeneration(generation: number): Record<string, unknown> {
  const flux = readStackConfigFile(PROJECT_DIR, "production").flux as Record<string, unknown>;
  return { flux: { ...flux, deployKeyGeneration: generation } };
}

describe("deploy key rotation in the production program", () => {
  let first: ProgramRun;
  let second: ProgramRun;
  before(async () => {
    first = await runProgram("production", { config: withGeneration(1) });
    second = await runProgram("production", { config: withGeneration(2) });
  });

  it("replaces the key pair and the GitHub deploy key under new names", () => {
    const names = (run: ProgramRun) => new Map(run.resources.map((r) => [r.urn, `${r.type} ${r.name}`]));
    const [was, now] = [names(first), names(second)];
    assert.deepEqual([...was.keys()].filter((urn) => !now.has(urn)).map((urn) => was.get(urn)).sort(), [
      "github:index/repositoryDeployKey:RepositoryDeployKey flux-deploy-key-1",
      "tls:index/privateKey:PrivateKey flux-deploy-key-1",
    ]);
    assert.deepEqual([...now.keys()].filter((urn) => !was.has(urn)).map((urn) => now.get(urn)).sort(), [
      "github:index/repositoryDeployKey:RepositoryDeployKey flux-deploy-key-2",
      "tls:index/privateKey:PrivateKey flux-deploy-key-2",
    ]);
  });

  it("changes the credentials Secret (now after the new deploy key) and nothing else", () => {
    const before = new Map(first.resources.map((r) => [r.urn, r]));
    const changed = second.resources
      .filter((r) => before.has(r.urn) && !isDeepStrictEqual({ ...before.get(r.urn)!, id: undefined }, { ...r, id: undefined }))
      .map((r) => `${r.type} ${r.name}`);
    assert.deepEqual(changed, ["kubernetes:core/v1:Secret flux-git-credentials"]);
    assert.deepEqual(first.outputs, second.outputs);
  });
});
