import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { RepositoryChecker, createDriftCommand } from "../../cli/drift";
import { main } from "../../cli/main";
import { RepositoryCheck } from "../../drift/report";
import { PREVIEW_FIXTURES, captureIO, pathWithoutPulumi, standInPath } from "./helpers";

const clean: RepositoryCheck = {
  repo: "examples/gitops",
  cluster: "clusters/production",
  ordering: { errors: 0, warnings: 0, findings: [] },
  overlays: { checked: true, differences: [] },
};
const cleanRepository: RepositoryChecker = async () => clean;

interface Case {
  fixture: string;
  exit: number;
  /** Exit of `gitops-cluster drift`. */
  want: number;
  /** Lines the text table must hold (whitespace-normalised). */
  shows: string[];
}

const cases: Case[] = [
  { fixture: "no-changes", exit: 0, want: 0, shows: ["every resource matches the program", "Verdict: no-drift"] },
  { fixture: "create", exit: 255, want: 1, shows: ["create kubernetes:core/v1:ConfigMap development-cluster-vars", "summary: 1 to create"] },
  {
    fixture: "update",
    exit: 255,
    want: 1,
    shows: [
      "update aws:eks/nodeGroup:NodeGroup production-system scalingConfig.desiredSize 2 → 5",
      "scalingConfig.minSize 2 → 3",
      'tags.team "payments" → "platform"',
      'update aws:ec2/subnet:Subnet production-public-0 tags["kubernetes.io/role/elb"] (none) → "1"',
      "Verdict: drift",
    ],
  },
  { fixture: "replace", exit: 255, want: 1, shows: ['replace aws:ec2/launchTemplate:LaunchTemplate production-system-nodes metadataOptions.httpTokens "optional" → "required"'] },
  { fixture: "delete", exit: 255, want: 1, shows: ["delete aws:eks/nodeGroup:NodeGroup development-batch", "summary: 1 to delete"] },
  { fixture: "secret", exit: 255, want: 1, shows: ["update pulumi:providers:kubernetes production-k8s kubeconfig \"[secret]\" → \"[secret]\""] },
  { fixture: "no-credentials", exit: 255, want: 2, shows: ["could not tell: no usable AWS credentials", "Verdict: unknown"] },
  { fixture: "not-logged-in", exit: 255, want: 2, shows: ["could not tell: the Pulumi backend is not reachable", "Verdict: unknown"] },
];

function normalise(text: string): string {
  return text.split("\n").map((l) => l.trim().replace(/\s+/g, " ")).join("\n");
}

describe("gitops-cluster drift, with a stand-in pulumi on PATH", () => {
  const standIn = standInPath();
  const argsLog = path.join(standIn.dir, "args.json");

  function env(fixture: string, exit: number): NodeJS.ProcessEnv {
    return { PATH: standIn.PATH, PULUMI_FIXTURE: fixture, PULUMI_FIXTURE_EXIT: String(exit), PULUMI_FIXTURE_DIR: PREVIEW_FIXTURES, PULUMI_ARGS_LOG: argsLog };
  }

  for (const c of cases) {
    it(`${c.fixture}: exit ${c.want} and the table shows what changed`, async () => {
      const io = captureIO(env(c.fixture, c.exit));
      const code = await createDriftCommand(cleanRepository).run(["--stack", "production"], io);
      const text = normalise(io.out());
      assert.strictEqual(code, c.want, io.out());
      for (const line of c.shows) assert.ok(text.includes(line), `expected "${line}" in:\n${io.out()}`);
    });
  }

  it("runs exactly the documented preview command for the stack", async () => {
    await createDriftCommand(cleanRepository).run(["--stack", "development"], captureIO(env("no-changes", 0)));
    assert.deepStrictEqual(JSON.parse(fs.readFileSync(argsLog, "utf8")), ["preview", "--refresh", "--expect-no-changes", "--json", "--stack", "development"]);
  });

  it("never prints a secret value, in text or JSON", async () => {
    for (const format of ["text", "json"]) {
      const io = captureIO(env("secret", 255));
      await createDriftCommand(cleanRepository).run(["--stack", "production", "--format", format], io);
      assert.ok(!io.out().includes("TOPSECRET"), io.out());
      assert.ok(io.out().includes("[secret]"));
    }
  });

  it("prints the documented JSON report", async () => {
    const io = captureIO(env("update", 255));
    const code = await createDriftCommand(cleanRepository).run(["--stack", "production", "--format=json"], io);
    const report = JSON.parse(io.out());
    assert.strictEqual(code, 1);
    assert.deepStrictEqual(Object.keys(report), ["stack", "cli", "cloud", "repository", "verdict", "reasons"]);
    assert.deepStrictEqual(report.cli, { available: true, command: "pulumi preview --refresh --expect-no-changes --json --stack production" });
    assert.strictEqual(report.cloud.checked, true);
    assert.strictEqual(report.cloud.drift, true);
    assert.deepStrictEqual(report.cloud.resources.map((r: { name: string }) => r.name), ["production-system", "production-public-0"]);
    assert.deepStrictEqual(report.repository.overlays, { checked: true, differences: [] });
    assert.strictEqual(report.verdict, "drift");
    assert.match(report.reasons[0], /^cloud: 2 resources would change \(2 to update\)$/);
  });

  it("reports drift when the cloud matches but the repository's overlays do not", async () => {
    const drifted: RepositoryChecker = async () => ({
      ...clean,
      overlays: { checked: true, differences: [{ file: "infrastructure/kustomized/overlays/production/payments.yaml", line: 6, namespace: "payments", have: "old-role", want: "${NODE_ROLE_NAME}" }] },
    });
    const io = captureIO(env("no-changes", 0));
    assert.strictEqual(await createDriftCommand(drifted).run(["--stack", "production"], io), 1);
    assert.ok(normalise(io.out()).includes('infrastructure/kustomized/overlays/production/payments.yaml:6 namespace payments: "old-role" → "${NODE_ROLE_NAME}"'), io.out());
  });
});

describe("gitops-cluster drift, without pulumi on PATH", () => {
  it("says so plainly, still runs the repository checks, and exits 2", async () => {
    let repositoryChecked = false;
    const io = captureIO({ PATH: pathWithoutPulumi() });
    const code = await createDriftCommand(async (request) => {
      repositoryChecked = true;
      assert.strictEqual(request.pulumi, undefined);
      return clean;
    }).run(["--stack", "production"], io);
    assert.strictEqual(code, 2);
    assert.ok(repositoryChecked);
    assert.ok(io.out().includes("the Pulumi CLI is not on PATH: cloud and cluster drift not checked"), io.out());
    assert.ok(io.out().includes("ordering: 0 errors, 0 warnings"));
  });

  it("exits 1 when the repository alone shows drift", async () => {
    const io = captureIO({ PATH: pathWithoutPulumi() });
    const broken: RepositoryChecker = async () => ({
      ...clean,
      ordering: {
        errors: 1,
        warnings: 0,
        findings: [{ rule: "consumer-without-provider", severity: "error", message: "ClusterIssuer before cert-manager", file: "clusters/production/infra.yaml", line: 3, fix: "add `- name: cert-manager-install` to spec.dependsOn" }],
      },
    });
    assert.strictEqual(await createDriftCommand(broken).run(["--stack", "production"], io), 1);
    assert.ok(io.out().includes("clusters/production/infra.yaml:3 consumer-without-provider"), io.out());
  });

  it("exits 2 with the reason when the repository cannot be read", async () => {
    const io = captureIO({ PATH: pathWithoutPulumi() });
    const unreadable: RepositoryChecker = async () => ({ ...clean, problem: "examples/missing: no such directory" });
    assert.strictEqual(await createDriftCommand(unreadable).run(["--stack", "production", "--format", "json"], io), 2);
    assert.strictEqual(JSON.parse(io.out()).verdict, "unknown");
    assert.match(io.err(), /repository not checked: examples\/missing: no such directory/);
  });
});

describe("gitops-cluster drift usage", () => {
  for (const [argv, message] of [
    [[], /--stack is required/],
    [["--stack"], /--stack <value>. argument missing/],
    [["--stack", "production", "--format", "yaml"], /--format must be text or json \(got "yaml"\)/],
    [["--stack", "production", "--verbose"], /Unknown option .--verbose/],
  ] as [string[], RegExp][]) {
    it(`rejects ${JSON.stringify(argv)} with exit 2 and a message`, async () => {
      const io = captureIO({ PATH: pathWithoutPulumi() });
      assert.strictEqual(await main(["drift", ...argv], io), 2);
      assert.match(io.err(), message);
      assert.ok(!io.err().includes("    at "), "no stack trace");
    });
  }
});
