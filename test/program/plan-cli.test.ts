import * as assert from "assert";
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { main } from "../../cli/main";
import type { CommandIO } from "../../cli/command";
import { PROJECT_DIR } from "../../offline/program";

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function plan(argv: string[], cwd = PROJECT_DIR): Promise<Result> {
  let stdout = "";
  let stderr = "";
  const io: CommandIO = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), cwd, env: {} };
  const code = await main(["plan", ...argv], io);
  return { code, stdout, stderr };
}

describe("gitops-cluster plan", () => {
  let text: Result;
  let json: Result;
  before(async function () {
    this.timeout(180_000); // two whole programs under mocks; slow on a loaded machine
    text = await plan([]);
    json = await plan(["--stack", "production", "--format", "json"]);
  });

  it("prints the development plan by default: the resource tree indented by parent", () => {
    assert.strictEqual(text.code, 0, text.stderr);
    const lines = text.stdout.split("\n");
    assert.match(lines[0], /^Plan of stack development/);
    const indentOf = (type: string, name: string) => {
      const line = lines.find((l) => l.includes(` ${type} `) && l.trimEnd().endsWith(` ${name}`));
      assert.ok(line, `no line for ${type} ${name}`);
      return /^ \+ ( *)/.exec(line)![1].length;
    };
    const stack = indentOf("pulumi:pulumi:Stack", "gitops-cluster-development");
    const network = indentOf("gitops-cluster:index:Network", "network");
    const vpc = indentOf("aws:ec2/vpc:Vpc", "network-vpc");
    assert.ok(stack < network && network < vpc, `indents ${stack}, ${network}, ${vpc}`);
  });

  it("counts the resources per type and lists the outputs with secrets masked", () => {
    const total = /^Resources: (\d+) to create$/m.exec(text.stdout);
    assert.ok(total);
    assert.match(text.stdout, /^ +aws:ec2\/subnet:Subnet +4$/m);
    assert.match(text.stdout, /^ +eks:index:ManagedNodeGroup +1$/m);
    assert.match(text.stdout, /^ +kubeconfig +: \[secret\]$/m);
    assert.match(text.stdout, /^ +fluxPath +: \.\/clusters\/development$/m);
    assert.doesNotMatch(text.stdout, /PRIVATE KEY|certificate-authority-data/);
  });

  it("prints exactly {stack, resources, outputs} as JSON, each resource with its parent and dependencies", () => {
    assert.strictEqual(json.code, 0, json.stderr);
    const plan = JSON.parse(json.stdout);
    assert.deepStrictEqual(Object.keys(plan), ["stack", "resources", "outputs"]);
    assert.strictEqual(plan.stack, "production");
    const urns = new Set(plan.resources.map((r: { urn: string }) => r.urn));
    for (const resource of plan.resources) {
      assert.deepStrictEqual(Object.keys(resource), ["urn", "type", "name", "parent", "dependsOn", "provider", "inputs"]);
      if (resource.type === "pulumi:pulumi:Stack") assert.strictEqual(resource.parent, null);
      else assert.ok(urns.has(resource.parent), `${resource.name} has no known parent`);
      for (const dep of resource.dependsOn) assert.ok(urns.has(dep), `${resource.name} depends on unknown ${dep}`);
    }
    assert.strictEqual(plan.outputs.kubeconfig, "[secret]");
    assert.doesNotMatch(json.stdout, /PRIVATE KEY|certificate-authority-data/);
  });

  it("rejects a bad flag or value with exit 2, naming the flag and what it allows", async () => {
    const stack = await plan(["--stack", "staging"]);
    assert.strictEqual(stack.code, 2);
    assert.match(stack.stderr, /--stack must be one of development, production.*got "staging"/);
    const format = await plan(["--format", "yaml"]);
    assert.strictEqual(format.code, 2);
    assert.match(format.stderr, /--format must be one of text, json; got "yaml"/);
    const unknown = await plan(["--stak", "production"]);
    assert.strictEqual(unknown.code, 2);
    assert.match(unknown.stderr, /Unknown option '--stak'/);
  });

  it("runs as --caller: refuses a principal without a grant (exit 1, naming it) and an ARN that is not a caller's (exit 2)", async function () {
    this.timeout(120_000);
    const malformed = await plan(["--caller", "arn:aws:iam::123456789012:role/Developer"]);
    assert.strictEqual(malformed.code, 2);
    assert.match(malformed.stderr, /--caller must be what sts get-caller-identity prints.*got "arn:aws:iam::123456789012:role\/Developer"/);
    const stranger = await plan(["--caller", "arn:aws:sts::123456789012:assumed-role/Developer/me"]);
    assert.strictEqual(stranger.code, 1);
    assert.match(stranger.stderr, /arn:aws:iam::123456789012:role\/Developer has no access entry in this stack/);
    assert.doesNotMatch(stranger.stderr, /^\s+at /m);
    assert.strictEqual(stranger.stdout, "");
  });

  it("reports invalid stack settings with exit 2 and no stack trace", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gitops-cluster-plan-"));
    try {
      fs.copyFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
      const broken = fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.development.yaml"), "utf8").replace(/aws:region: .*/, "aws:region: mars-1");
      fs.writeFileSync(path.join(dir, "Pulumi.development.yaml"), broken);
      const result = await plan(["--stack", "development"], dir);
      assert.strictEqual(result.code, 2);
      assert.match(result.stderr, /invalid settings:\n.*aws:region .*"mars-1"/);
      assert.doesNotMatch(result.stderr, /^\s+at /m);
      assert.strictEqual(result.stdout, "");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("works as the installed command: production JSON parses", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(PROJECT_DIR, "bin", "gitops-cluster.js"), "plan", "--stack", "production", "--format", "json"], { cwd: PROJECT_DIR, maxBuffer: 16 * 1024 * 1024 });
    assert.strictEqual(JSON.parse(stdout).stack, "production");
  });
});
