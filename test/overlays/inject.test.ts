import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { main } from "../../cli/main";
import { DEV_OVERLAY, DEV_ROLE, OLD_ROLE_NAME, captureIO, copyFixture, makeTemp, readTree, removeTemps } from "./helpers";

const OLD_ARN = `arn:aws:iam::123456789012:role/${OLD_ROLE_NAME}`;

/** Runs `gitops-cluster inject ...` the way bin/ does, from `cwd`, with relative paths. */
async function inject(cwd: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  const capture = captureIO(cwd, env);
  const code = await main(["inject", ...args], capture.io);
  return { code, out: capture.out(), err: capture.err() };
}

/** A directory holding a stand-in `pulumi` that answers only `stack output --json --stack development`. */
function fakePulumiDir(outputsJson: string): string {
  const dir = makeTemp();
  const script = [
    "#!/bin/sh",
    'if [ "$*" = "stack output --json --stack development" ]; then',
    `  printf '%s\\n' '${outputsJson}'`,
    "  exit 0",
    "fi",
    'echo "error: no stack named $*" >&2',
    "exit 255",
    "",
  ].join("\n");
  fs.writeFileSync(path.join(dir, "pulumi"), script, { mode: 0o755 });
  return dir;
}

describe("gitops-cluster inject", () => {
  afterEach(removeTemps);

  it("with no action flag prints the unified diff and changes no file", async () => {
    const repo = copyFixture("annotations/input");
    const before = readTree(repo);
    const { code, out, err } = await inject(repo, ["--repo", ".", "--env", "development", "--role-arn", DEV_ROLE.arn]);
    assert.strictEqual(code, 0, err);
    assert.ok(out.includes(`--- a/${DEV_OVERLAY}/namespaces.yaml\n+++ b/${DEV_OVERLAY}/namespaces.yaml\n`));
    assert.ok(out.includes(`-    iam_role: ${OLD_ARN}\n+    iam_role: ${DEV_ROLE.arn}\n`));
    assert.match(err, /note: infrastructure\/kustomized\/overlays\/development\/namespaces\.yaml:19 namespace scratch has no iam_role/);
    assert.deepStrictEqual(readTree(repo), before);
  });

  it("--write leaves the files equal to the golden expected tree and lists each change", async () => {
    const repo = copyFixture("annotations/input");
    const { code, out } = await inject(repo, ["--repo", repo, "--env", "development", "--role-arn", DEV_ROLE.arn, "--write"]);
    assert.strictEqual(code, 0);
    assert.deepStrictEqual(readTree(repo), readTree(path.join(copyFixture("annotations"), "expected")));
    assert.ok(out.includes(`${DEV_OVERLAY}/observability/namespaces.yml:16 logging: ${OLD_ROLE_NAME} -> development-node-role\n`));
    assert.ok(out.endsWith("wrote 2 file(s)\n"));
  });

  it("--check exits 1 naming each differing value, and 0 once the overlays carry the role", async () => {
    const repo = copyFixture("annotations/input");
    const args = ["--repo", repo, "--env", "development", "--role-arn", DEV_ROLE.arn];
    const drifted = await inject(repo, [...args, "--check"]);
    assert.strictEqual(drifted.code, 1);
    assert.strictEqual(
      drifted.out.split("\n")[0],
      `${DEV_OVERLAY}/namespaces.yaml:10 apps: have ${OLD_ARN}, want ${DEV_ROLE.arn}`,
    );
    assert.strictEqual(drifted.out.trim().split("\n").length, 4);

    assert.strictEqual((await inject(repo, [...args, "--write"])).code, 0);
    const inSync = await inject(repo, [...args, "--check"]);
    assert.strictEqual(inSync.code, 0);
    assert.match(inSync.out, /^in sync: /);
  });

  it("--migrate prints the diff to placeholders; with --write it writes them; --check then passes", async () => {
    const repo = copyFixture("migrate/input");
    const args = ["--repo", repo, "--env", "development", "--migrate"];
    const preview = await inject(repo, args);
    assert.strictEqual(preview.code, 0);
    assert.ok(preview.out.includes(`-    iam_role: ${OLD_ARN}  # literal\n+    iam_role: \${NODE_ROLE_ARN}  # literal\n`));
    assert.ok(preview.out.includes(`+  labels: {iam_role: "\${NODE_ROLE_NAME}", tier: front}\n`));
    assert.deepStrictEqual(readTree(repo), readTree(path.join(copyFixture("migrate"), "input")));

    assert.strictEqual((await inject(repo, [...args, "--check"])).code, 1);
    assert.strictEqual((await inject(repo, [...args, "--write"])).code, 0);
    assert.deepStrictEqual(readTree(repo), readTree(path.join(copyFixture("migrate"), "expected")));
    assert.strictEqual((await inject(repo, [...args, "--check"])).code, 0);
  });

  it("--value-form arn writes the ARN where the file had the name (labels keep the name)", async () => {
    const repo = copyFixture("placement/input");
    const { code, out } = await inject(repo, ["--repo", repo, "--env", "development", "--role-arn", DEV_ROLE.arn, "--value-form", "arn"]);
    assert.strictEqual(code, 0);
    assert.ok(out.includes(`-iam_role: ${OLD_ROLE_NAME}\n+iam_role: ${DEV_ROLE.arn}\n`), "top-level field");
    assert.ok(out.includes(`+    iam_role: development-node-role\n`), "label");
  });

  it("--overlay-dir and --key choose another directory and key", async () => {
    const repo = makeTemp();
    fs.mkdirSync(path.join(repo, "envs/dev"), { recursive: true });
    fs.writeFileSync(path.join(repo, "envs/dev/ns.yaml"), "kind: Namespace\nmetadata:\n  name: a\n  annotations:\n    node-role: old\n");
    const { code, out } = await inject(repo, [
      "--repo", repo, "--env", "dev", "--overlay-dir", "envs/dev", "--key", "node-role", "--role-arn", DEV_ROLE.arn, "--write",
    ]);
    assert.strictEqual(code, 0, out);
    assert.strictEqual(fs.readFileSync(path.join(repo, "envs/dev/ns.yaml"), "utf8"), "kind: Namespace\nmetadata:\n  name: a\n  annotations:\n    node-role: development-node-role\n");
  });

  describe("--stack", () => {
    it("exits 2 when the Pulumi CLI is not on PATH", async () => {
      const repo = copyFixture("annotations/input");
      const { code, err } = await inject(repo, ["--repo", repo, "--env", "development", "--stack", "development"], { PATH: makeTemp() });
      assert.strictEqual(code, 2);
      assert.match(err, /the Pulumi CLI is not installed; pass --role-arn/);
    });

    it("reads nodeRoleArn from `pulumi stack output --json`", async () => {
      const repo = copyFixture("annotations/input");
      const bin = fakePulumiDir(JSON.stringify({ clusterName: "dev", nodeRoleArn: DEV_ROLE.arn }));
      const { code, out } = await inject(repo, ["--repo", repo, "--env", "development", "--stack", "development", "--check"], { PATH: bin });
      assert.strictEqual(code, 1);
      assert.ok(out.includes(`want ${DEV_ROLE.arn}`));
    });

    it("exits 2 with Pulumi's message when the stack cannot be read", async () => {
      const repo = copyFixture("annotations/input");
      const bin = fakePulumiDir("{}");
      const { code, err } = await inject(repo, ["--repo", repo, "--env", "development", "--stack", "staging"], { PATH: bin });
      assert.strictEqual(code, 2);
      assert.match(err, /pulumi stack output --stack staging failed: error: no stack named/);
    });

    /** A project directory whose Pulumi.development.yaml maps namespace logging to a dedicated-role group. */
    function projectMappingLogging(): string {
      const project = makeTemp();
      const stackFile = fs
        .readFileSync(path.join(__dirname, "..", "..", "Pulumi.development.yaml"), "utf8")
        .replace("        workload: general\n", "        workload: general\n    - name: batch\n      dedicatedRole: true\n")
        .replace("    mode: substitute\n", "    mode: substitute\n    namespaceNodeGroups:\n      logging: batch\n");
      assert.ok(stackFile.includes("dedicatedRole: true") && stackFile.includes("logging: batch"), "the stack file changed shape");
      fs.writeFileSync(path.join(project, "Pulumi.development.yaml"), stackFile);
      return project;
    }

    it("gives namespaces the stack maps to a dedicated-role node group that group's role", async () => {
      const repo = copyFixture("annotations/input");
      const project = projectMappingLogging();
      const batchArn = "arn:aws:iam::123456789012:role/acme-development-batch-nodes";
      const bin = fakePulumiDir(JSON.stringify({ nodeRoleArn: DEV_ROLE.arn, nodeGroupRoles: { general: DEV_ROLE.arn, batch: batchArn } }));
      const { code, out, err } = await inject(project, ["--repo", repo, "--env", "development", "--stack", "development", "--write"], { PATH: bin });
      assert.strictEqual(code, 0, err);
      assert.ok(out.includes(`logging: ${OLD_ROLE_NAME} -> acme-development-batch-nodes\n`), out);
      assert.ok(!out.includes("logging: " + OLD_ROLE_NAME + " -> development-node-role"));
    });

    it("exits 2 when a mapped node group has no role in the stack's outputs", async () => {
      const repo = copyFixture("annotations/input");
      const bin = fakePulumiDir(JSON.stringify({ nodeRoleArn: DEV_ROLE.arn, nodeGroupRoles: { general: DEV_ROLE.arn } }));
      const { code, err } = await inject(projectMappingLogging(), ["--repo", repo, "--env", "development", "--stack", "development"], { PATH: bin });
      assert.strictEqual(code, 2);
      assert.match(err, /no role for node group batch in its nodeGroupRoles output, and Pulumi\.development\.yaml maps namespace logging to it/);
    });

    it("exits 2 when the stack has no nodeRoleArn output", async () => {
      const repo = copyFixture("annotations/input");
      const bin = fakePulumiDir(JSON.stringify({ clusterName: "dev" }));
      const { code, err } = await inject(repo, ["--repo", repo, "--env", "development", "--stack", "development"], { PATH: bin });
      assert.strictEqual(code, 2);
      assert.match(err, /stack development has no nodeRoleArn output/);
    });
  });

  describe("exits 2 and changes nothing on", () => {
    const usageCases: { about: string; args: string[]; message: RegExp }[] = [
      { about: "--write with --check", args: ["--role-arn", DEV_ROLE.arn, "--check"], message: /--write and --check cannot be combined/ },
      { about: "--role-arn with --stack", args: ["--role-arn", DEV_ROLE.arn, "--stack", "development"], message: /--role-arn and --stack cannot be combined/ },
      { about: "no role", args: [], message: /pass --role-arn ARN or --stack NAME/ },
      { about: "an unknown option", args: ["--role-arn", DEV_ROLE.arn, "--force"], message: /Unknown option '--force'/ },
      { about: "a bad --value-form", args: ["--role-arn", DEV_ROLE.arn, "--value-form", "short"], message: /--value-form must be auto, arn or name \(got "short"\)/ },
      { about: "an ARN that is not a role's", args: ["--role-arn", "arn:aws:iam::123456789012:user/bob"], message: /"arn:aws:iam::123456789012:user\/bob" is not an IAM role ARN/ },
      { about: "an overlay directory outside the repository", args: ["--role-arn", DEV_ROLE.arn, "--overlay-dir", "../x"], message: /--overlay-dir must be a directory inside --repo.*"\.\.\/x"/ },
      { about: "an environment without overlays", args: ["--role-arn", DEV_ROLE.arn, "--env", "staging"], message: /overlay directory infrastructure\/kustomized\/overlays\/staging does not exist/ },
    ];
    for (const c of usageCases) {
      it(c.about, async () => {
        const repo = copyFixture("annotations/input");
        const before = readTree(repo);
        const envArgs = c.args.includes("--env") ? [] : ["--env", "development"];
        // --write on every case: were the input accepted, files would change.
        const { code, err } = await inject(repo, ["--repo", repo, ...envArgs, ...c.args, "--write"]);
        assert.strictEqual(code, 2, err);
        assert.match(err, c.message);
        assert.doesNotMatch(err, /\n\s+at /, "no stack trace");
        assert.deepStrictEqual(readTree(repo), before);
      });
    }

    it("a broken file among good ones: the good ones are not written either", async () => {
      const repo = copyFixture("bad-yaml");
      const before = readTree(repo);
      const { code, err } = await inject(repo, ["--repo", repo, "--env", "development", "--role-arn", DEV_ROLE.arn, "--write"]);
      assert.strictEqual(code, 2);
      assert.match(err, /b-broken\.yaml:7: YAML parse error: Map keys must be unique/);
      assert.deepStrictEqual(readTree(repo), before);
    });
  });
});
