import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { createDriftCommand } from "../../cli/drift";
import { checkRepository } from "../../drift/repository";
import { runProgram } from "../../offline/program";
import { PREVIEW_FIXTURES, captureIO, pathWithoutPulumi, standInPath, tempDir } from "./helpers";

const ROOT = path.join(__dirname, "..", "..");
const OVERLAY = "infrastructure/kustomized/overlays/development/namespace-podinfo.yaml";
const ROLE_ARN = "arn:aws:iam::123456789012:role/acme-development-nodes-7f3e2a1";

/**
 * A project directory of its own: the development stack's real settings file, pointed at a
 * private copy of the example GitOps repository that a test may break.
 */
function project(edit: { settings?: (text: string) => string; repo?: (repoDir: string) => void } = {}): string {
  const dir = tempDir("drift-project-");
  fs.cpSync(path.join(ROOT, "examples", "gitops"), path.join(dir, "gitops"), { recursive: true });
  const settings = fs.readFileSync(path.join(ROOT, "Pulumi.development.yaml"), "utf8").replace("repoDir: examples/gitops", "repoDir: gitops");
  fs.writeFileSync(path.join(dir, "Pulumi.development.yaml"), edit.settings ? edit.settings(settings) : settings);
  edit.repo?.(path.join(dir, "gitops"));
  return dir;
}

function replaceIn(file: string, from: string, to: string): void {
  const text = fs.readFileSync(file, "utf8");
  assert.ok(text.includes(from), `${file} should contain ${from}`);
  fs.writeFileSync(file, text.replace(from, to));
}

describe("drift: the repository side, on the example repository", () => {
  it("finds the example repository clean for the development stack", async () => {
    const check = await checkRepository({ projectDir: project(), stack: "development", env: {} });
    assert.strictEqual(check.problem, undefined);
    assert.strictEqual(check.cluster, "clusters/development");
    assert.strictEqual(check.ordering.errors, 0);
    assert.deepStrictEqual(check.overlays, { checked: true, differences: [] });
  });

  it("finds a literal role left in a substitute-mode overlay, and exits 1 without pulumi", async () => {
    const dir = project({ repo: (repo) => replaceIn(path.join(repo, OVERLAY), "${NODE_ROLE_ARN}", ROLE_ARN) });
    const io = captureIO({ PATH: pathWithoutPulumi() }, dir);
    assert.strictEqual(await createDriftCommand().run(["--stack", "development", "--format", "json"], io), 1);
    const report = JSON.parse(io.out());
    assert.deepStrictEqual(report.repository.overlays.differences, [
      { file: OVERLAY, line: 10, namespace: "podinfo", have: ROLE_ARN, want: "${NODE_ROLE_ARN}" },
    ]);
    assert.strictEqual(report.cloud.problem.kind, "no-cli");
  });

  it("agrees with the stack's OverlayInjection on what substitute mode needs: the stack warns where drift differs", async () => {
    const dir = project({ repo: (repo) => replaceIn(path.join(repo, OVERLAY), "${NODE_ROLE_ARN}", ROLE_ARN) });
    const check = await checkRepository({ projectDir: dir, stack: "development", env: {} });
    assert.deepStrictEqual(check.overlays.differences.map((d) => `${d.file}:${d.line}`), [`${OVERLAY}:10`]);
    const warnings: string[] = [];
    const original = console.warn;
    console.warn = (...args: unknown[]) => void warnings.push(args.join(" "));
    try {
      await runProgram("development", { config: { gitops: { repoDir: path.join(dir, "gitops"), clusterPath: "clusters/development" } } });
    } finally {
      console.warn = original;
    }
    const about = warnings.filter((w) => w.includes("in substitute mode its iam_role must be"));
    assert.strictEqual(about.length, 1, warnings.join("\n"));
    assert.ok(about[0].includes(`${OVERLAY}:10: namespace podinfo`), about[0]);
    // And the example repository as shipped: drift finds it clean, the stack says nothing.
    warnings.length = 0;
    console.warn = (...args: unknown[]) => void warnings.push(args.join(" "));
    try {
      await runProgram("development");
    } finally {
      console.warn = original;
    }
    assert.deepStrictEqual(warnings.filter((w) => w.includes("in substitute mode")), []);
  });

  it("reports an ordering error when a consumer loses its dependsOn", async () => {
    const dir = project({ repo: (repo) => replaceIn(path.join(repo, "clusters/development/kustomized-infra.yaml"), "    - name: cert-manager-install\n", "") });
    const check = await checkRepository({ projectDir: dir, stack: "development", env: {} });
    assert.ok(check.ordering.errors > 0, JSON.stringify(check.ordering.findings));
    assert.ok(check.ordering.findings.some((f) => f.severity === "error" && f.message.includes("cert-manager")));
  });

  it("checks --repo instead of the stack's repoDir, and cannot tell when it does not exist", async () => {
    const dir = project();
    const check = await checkRepository({ projectDir: dir, stack: "development", repoDir: "no-such-checkout", env: {} });
    assert.match(check.problem!, /^no-such-checkout: no such directory/);
    const io = captureIO({ PATH: pathWithoutPulumi() }, dir);
    assert.strictEqual(await createDriftCommand().run(["--stack", "development", "--repo", "no-such-checkout"], io), 2);
  });

  it("cannot tell when the stack's settings are invalid, and names the key", async () => {
    const dir = project({ settings: (text) => text.replace("mode: substitute", "mode: sometimes") });
    const check = await checkRepository({ projectDir: dir, stack: "development", env: {} });
    assert.match(check.problem!, /settings of stack development cannot be read: .*injection\.mode/);
  });

  it("commit mode: compares the overlays with the stack's nodeRoleArn output, read through pulumi", async () => {
    const staleRole = "arn:aws:iam::123456789012:role/acme-development-nodes-0ld0ld0";
    const dir = project({
      settings: (text) => text.replace("mode: substitute", "mode: commit\n    commit:\n      owner: acme\n      repository: gitops\n      branch: main"),
      repo: (repo) => replaceIn(path.join(repo, OVERLAY), "${NODE_ROLE_ARN}", staleRole),
    });
    const standIn = standInPath();
    const env = {
      PATH: standIn.PATH,
      PULUMI_FIXTURE: "no-changes",
      PULUMI_FIXTURE_DIR: PREVIEW_FIXTURES,
      PULUMI_STACK_OUTPUTS: JSON.stringify({ nodeRoleArn: ROLE_ARN }),
    };
    const io = captureIO(env, dir);
    const code = await createDriftCommand().run(["--stack", "development", "--format", "json"], io);
    const report = JSON.parse(io.out());
    assert.strictEqual(report.cloud.checked, true);
    assert.strictEqual(report.cloud.drift, false);
    assert.deepStrictEqual(report.repository.overlays.differences, [
      { file: OVERLAY, line: 10, namespace: "podinfo", have: staleRole, want: ROLE_ARN },
    ]);
    assert.strictEqual(code, 1);
  });

  describe("a namespace mapped to a node group with its own role", () => {
    const GPU_ROLE_ARN = "arn:aws:iam::123456789012:role/acme-development-gpu-nodes";
    /** The development stack with a gpu group on its own role, podinfo running on it. */
    const podinfoOnGpu = (text: string) =>
      text
        .replace("        workload: general\n", "        workload: general\n    - name: gpu\n      dedicatedRole: true\n")
        .replace("    mode: substitute", "    mode: substitute\n    namespaceNodeGroups:\n      podinfo: gpu");
    const withOutputs = (outputs: Record<string, unknown>) => {
      const standIn = standInPath();
      return { pulumi: path.join(standIn.dir, "pulumi"), env: { PATH: standIn.PATH, PULUMI_STACK_OUTPUTS: JSON.stringify(outputs) } };
    };
    const nodeGroupRoles = { general: ROLE_ARN, gpu: GPU_ROLE_ARN };

    it("wants the group's role from the nodeGroupRoles output, where cluster-vars would give the default one", async () => {
      const dir = project({ settings: podinfoOnGpu });
      const check = await checkRepository({ projectDir: dir, stack: "development", ...withOutputs({ nodeGroupRoles }) });
      assert.deepStrictEqual(check.overlays, {
        checked: true,
        differences: [{ file: OVERLAY, line: 10, namespace: "podinfo", have: "${NODE_ROLE_ARN}", want: GPU_ROLE_ARN }],
      });
    });

    it("finds it in sync when it carries the group's role as a literal value", async () => {
      const dir = project({ settings: podinfoOnGpu, repo: (repo) => replaceIn(path.join(repo, OVERLAY), "${NODE_ROLE_ARN}", GPU_ROLE_ARN) });
      const check = await checkRepository({ projectDir: dir, stack: "development", ...withOutputs({ nodeGroupRoles }) });
      assert.deepStrictEqual(check.overlays, { checked: true, differences: [] });
    });

    it("leaves it unchecked, and says why, when the stack has no nodeGroupRoles output or there is no pulumi", async () => {
      const dir = project({ settings: podinfoOnGpu });
      const older = await checkRepository({ projectDir: dir, stack: "development", ...withOutputs({ nodeRoleArn: ROLE_ARN }) });
      assert.deepStrictEqual(older.overlays.differences, []);
      assert.match(older.overlays.note!, /^namespaces mapped to node groups with their own role not checked: podinfo \(stack development has no nodeGroupRoles output/);
      const withoutCli = await checkRepository({ projectDir: dir, stack: "development", env: {} });
      assert.match(withoutCli.overlays.note!, /not checked: podinfo \(the Pulumi CLI is not on PATH/);
    });

    it("commit mode: compares the group's namespaces with its role and the rest with nodeRoleArn", async () => {
      const dir = project({
        settings: (text) => podinfoOnGpu(text).replace("mode: substitute", "mode: commit\n    commit:\n      owner: acme\n      repository: gitops\n      branch: main"),
        repo: (repo) => replaceIn(path.join(repo, OVERLAY), "${NODE_ROLE_ARN}", ROLE_ARN),
      });
      const check = await checkRepository({ projectDir: dir, stack: "development", ...withOutputs({ nodeRoleArn: ROLE_ARN, nodeGroupRoles }) });
      assert.deepStrictEqual(check.overlays.differences, [{ file: OVERLAY, line: 10, namespace: "podinfo", have: ROLE_ARN, want: GPU_ROLE_ARN }]);
    });
  });

  it("commit mode without pulumi: the overlays cannot be compared, and the report says why", async () => {
    const dir = project({ settings: (text) => text.replace("mode: substitute", "mode: commit\n    commit:\n      owner: acme\n      repository: gitops\n      branch: main") });
    const check = await checkRepository({ projectDir: dir, stack: "development", env: {} });
    assert.strictEqual(check.overlays.checked, false);
    assert.match(check.overlays.note!, /Pulumi CLI is not on PATH/);
  });
});
