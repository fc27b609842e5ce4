/**
 * A repository of the seed's era (Flux 2.1: v1beta2 Kustomizations, HelmRelease v2beta1, image
 * automation, flux bootstrap's flux-system/) read for this stack (Flux 2.9), migrated, and read again.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { main } from "../../cli/main";
import { CommandIO } from "../../cli/command";
import { DEFAULT_FLUX_COMPONENTS, fluxApisFor } from "../../gitops/flux/apis";
import { KUSTOMIZATION_FILE_NAMES } from "../../gitops/kustomize";
import { planMigration } from "../../gitops/edit/migrate";
import { VerifyResult } from "../../gitops/model";
import { verifyRepository } from "../../gitops/verify";
import { PROJECT_DIR, runProgram } from "../../offline/program";
import { kubernetesObject } from "../components/helpers";
import { hasKubectl } from "../kubectl";

const FIXTURE = path.join(PROJECT_DIR, "test/fixtures/flux-legacy");
const GOLDEN = path.join(PROJECT_DIR, "test/fixtures/flux-legacy-migrated");
const CLUSTER = "clusters/dev";
const NEW_RULES = ["removed-api-version", "schema-violation", "flux-bootstrap-leftover", "controller-not-installed"];
const STACK = { bootstrap: "stack" as const, fluxVersion: "2.9.2", kubernetesVersion: "1.35" };

/** Temporary copies and projects, removed when the tests end. */
const made: string[] = [];
after(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function copyOf(dir: string): string {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "flux-legacy-"));
  made.push(tmp);
  fs.cpSync(dir, tmp, { recursive: true });
  return tmp;
}

function io(cwd: string) {
  const out = { stdout: "", stderr: "" };
  const value: CommandIO = { stdout: (t) => void (out.stdout += t), stderr: (t) => void (out.stderr += t), cwd, env: {} };
  return { io: value, out };
}

const located = (result: VerifyResult) =>
  result.findings.filter((f) => NEW_RULES.includes(f.rule)).map((f) => `${f.rule} ${f.file}:${f.line}`).sort();

function filesUnder(dir: string, rel = ""): string[] {
  return fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) => {
    const r = rel === "" ? e.name : `${rel}/${e.name}`;
    return e.isDirectory() ? filesUnder(dir, r) : [r];
  });
}

describe("Flux API versions, flux bootstrap leftovers and migrate", () => {
  it("derives served versions from the CRDs: Flux 2.7 still serves v1beta2, 2.8 and 2.9 do not", () => {
    assert.deepEqual(fluxApisFor("2.7.3")!.kinds.get("kustomize.toolkit.fluxcd.io/Kustomization")!.served, ["v1", "v1beta2"]);
    assert.deepEqual(fluxApisFor("2.8.0")!.kinds.get("kustomize.toolkit.fluxcd.io/Kustomization")!.served, ["v1"]);
    assert.deepEqual(fluxApisFor("2.9.x")!.kinds.get("helm.toolkit.fluxcd.io/HelmRelease")!.served, ["v2"]);
    assert.deepEqual(fluxApisFor("v2.1.2")!.kinds.get("helm.toolkit.fluxcd.io/HelmRelease")!.served, ["v2beta1"]);
    assert.equal(fluxApisFor("2.9.2")!.kinds.get("image.toolkit.fluxcd.io/ImagePolicy")!.controller, "image-reflector-controller");
  });

  it("for this stack, each rule fires exactly where the fixture breaks it", () => {
    assert.deepEqual(located(verifyRepository(FIXTURE, CLUSTER, STACK)), [
      "flux-bootstrap-leftover clusters/dev/flux-system/gotk-components.yaml:13",
      "flux-bootstrap-leftover clusters/dev/flux-system/gotk-sync.yaml:3",
      "removed-api-version apps/cleanup.yaml:1",
      "removed-api-version apps/registry.yaml:1",
      "removed-api-version apps/registry.yaml:10",
      "removed-api-version clusters/dev/apps.yaml:1",
      "removed-api-version clusters/dev/flux-system-automation.yaml:2",
      "removed-api-version clusters/dev/infra.yaml:2",
      "removed-api-version clusters/dev/sources.yaml:1",
      "removed-api-version infra/release.yaml:1",
      "schema-violation clusters/dev/sources.yaml:11",
    ]);
  });

  it("names the served version and the migrate command", () => {
    const finding = verifyRepository(FIXTURE, CLUSTER, STACK).findings.find((f) => f.file === "clusters/dev/infra.yaml")!;
    assert.match(finding.message, /Kustomization flux-system\/infra \(kustomize\.toolkit\.fluxcd\.io\/v1beta2\) at clusters\/dev\/infra\.yaml:2: Flux 2\.9\.2 .* only as kustomize\.toolkit\.fluxcd\.io\/v1/);
    assert.match(finding.fix, /gitops-cluster migrate/);
  });

  it("reports the image controllers when flux.components leaves them out", () => {
    const result = verifyRepository(FIXTURE, CLUSTER, { ...STACK, fluxComponents: [...DEFAULT_FLUX_COMPONENTS] });
    const missing = result.findings.filter((f) => f.rule === "controller-not-installed");
    assert.deepEqual(missing.map((f) => `${f.file}:${f.line}`), ["apps/registry.yaml:1", "clusters/dev/flux-system-automation.yaml:2"]);
    assert.match(missing[0].message, /image-reflector-controller/);
    assert.match(missing[1].message, /image-automation-controller/);
  });

  it("as committed, checks against the Flux the repository installs (v2.1.2): only the Kubernetes removal remains", () => {
    assert.deepEqual(located(verifyRepository(FIXTURE, CLUSTER, { kubernetesVersion: "1.35" })), ["removed-api-version apps/cleanup.yaml:1"]);
  });

  it("as committed, a FluxInstance's distribution.version names the Flux that serves the objects", () => {
    const repo = copyOf(GOLDEN);
    fs.writeFileSync(path.join(repo, "clusters/dev/flux-instance.yaml"), [
      "apiVersion: fluxcd.controlplane.io/v1", "kind: FluxInstance", "metadata:", "  name: flux", "  namespace: flux-system",
      "spec:", "  distribution:", "    version: 2.7.x", "    registry: ghcr.io/fluxcd", "",
    ].join("\n"));
    fs.writeFileSync(path.join(repo, "clusters/dev/apps.yaml"), fs.readFileSync(path.join(repo, "clusters/dev/apps.yaml"), "utf8").replace("kustomize.toolkit.fluxcd.io/v1", "kustomize.toolkit.fluxcd.io/v1beta2"));
    // Flux 2.7 still serves v1beta2; this stack's 2.9 does not.
    assert.deepEqual(located(verifyRepository(repo, CLUSTER, {})), []);
    assert.deepEqual(located(verifyRepository(repo, CLUSTER, { fluxVersion: "2.9.2" })), ["removed-api-version clusters/dev/apps.yaml:1"]);
  });

  it("migrates to exactly the golden tree: conversions, comments kept, flux-system removed", () => {
    const repo = copyOf(FIXTURE);
    const plan = planMigration(repo, { ...STACK, clusterPath: CLUSTER });
    assert.deepEqual(plan.unsafe, []);
    assert.deepEqual(plan.kustomizePatches, [{
      patch: "- op: add\n  path: /spec/template/spec/containers/0/args/-\n  value: --concurrent=20\n",
      target: { kind: "Deployment", name: "kustomize-controller" },
    }]);
    const { io: cli, out } = io(PROJECT_DIR);
    return main(["migrate", "--repo", repo, "--cluster", CLUSTER, "--write"], cli).then((code) => {
      assert.equal(code, 0, out.stderr);
      assert.deepEqual(filesUnder(repo).sort(), filesUnder(GOLDEN).sort());
      for (const file of filesUnder(GOLDEN)) {
        assert.equal(fs.readFileSync(path.join(repo, file), "utf8"), fs.readFileSync(path.join(GOLDEN, file), "utf8"), file);
      }
      for (const comment of ["# faster in dev", "# Team patches, kept as written.", "# charts change rarely", "# nightly", "# Infrastructure: charts"]) {
        assert.ok(filesUnder(repo).some((f) => fs.readFileSync(path.join(repo, f), "utf8").includes(comment)), comment);
      }
    });
  });

  it("after migrate --write, verify --bootstrap stack has none of these findings and migrate --check exits 0", async () => {
    const repo = copyOf(FIXTURE);
    const before = io(PROJECT_DIR);
    assert.equal(await main(["migrate", "--repo", repo, "--cluster", CLUSTER, "--check"], before.io), 1);
    assert.equal(await main(["migrate", "--repo", repo, "--cluster", CLUSTER, "--write"], io(PROJECT_DIR).io), 0);
    assert.deepEqual(located(verifyRepository(repo, CLUSTER, STACK)), []);
    const verify = io(PROJECT_DIR);
    assert.equal(await main(["verify", "--repo", repo, "--cluster", CLUSTER, "--bootstrap", "stack"], verify.io), 0, verify.out.stdout);
    assert.equal(await main(["migrate", "--repo", repo, "--cluster", CLUSTER, "--check"], io(PROJECT_DIR).io), 0);
  });

  it("prints a unified diff by default and writes nothing", async () => {
    const repo = copyOf(FIXTURE);
    const run = io(PROJECT_DIR);
    assert.equal(await main(["migrate", "--repo", repo, "--cluster", CLUSTER], run.io), 0);
    assert.match(run.out.stdout, /^--- a\/clusters\/dev\/apps\.yaml\n\+\+\+ b\/clusters\/dev\/apps\.yaml\n/m);
    assert.match(run.out.stdout, /^-apiVersion: kustomize\.toolkit\.fluxcd\.io\/v1beta2\n\+apiVersion: kustomize\.toolkit\.fluxcd\.io\/v1$/m);
    assert.equal(fs.readFileSync(path.join(repo, "clusters/dev/apps.yaml"), "utf8"), fs.readFileSync(path.join(FIXTURE, "clusters/dev/apps.yaml"), "utf8"));
  });

  it("leaves what it cannot convert safely alone, and says where", () => {
    const repo = copyOf(FIXTURE);
    fs.writeFileSync(path.join(repo, "apps/hpa.yaml"), "apiVersion: autoscaling/v2beta1\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\n");
    const plan = planMigration(repo, { ...STACK, clusterPath: CLUSTER });
    assert.deepEqual(plan.unsafe.map((u) => `${u.file}:${u.line}`), ["apps/hpa.yaml:1"]);
    assert.ok(!plan.files.some((f) => f.file === "apps/hpa.yaml"));
  });

  (hasKubectl() ? it : it.skip)("every kustomization directory kubectl kustomize built before still builds after", async () => {
    const repo = copyOf(FIXTURE);
    await main(["migrate", "--repo", repo, "--cluster", CLUSTER, "--write"], io(PROJECT_DIR).io);
    const dirs = filesUnder(FIXTURE).filter((f) => KUSTOMIZATION_FILE_NAMES.includes(path.posix.basename(f))).map((f) => path.posix.dirname(f));
    assert.ok(dirs.length >= 3);
    for (const dir of dirs) {
      execFileSync("kubectl", ["kustomize", path.join(FIXTURE, dir)], { stdio: "pipe" });
      if (!KUSTOMIZATION_FILE_NAMES.some((n) => fs.existsSync(path.join(repo, dir, n)))) continue; // flux-system/: removed with its manifests
      const built = execFileSync("kubectl", ["kustomize", path.join(repo, dir)], { encoding: "utf8" });
      assert.doesNotMatch(built, /v1beta2|v2beta1/, dir);
    }
  });
});

describe("the program and verify --stack on a Flux 2.1-era repository", function () {
  const flux = { repoUrl: "ssh://git@github.com/acme/gitops.git", path: "./clusters/dev" };
  const injection = { overlayDir: "apps" };

  /** A project directory whose Pulumi.development.yaml points at `repo`: what both the program and verify --stack read. */
  function projectFor(repo: string, fluxExtra: string[] = []): string {
    const project = fs.mkdtempSync(path.join(os.tmpdir(), "stack-"));
    made.push(project);
    fs.writeFileSync(path.join(project, "Pulumi.development.yaml"), [
      "config:",
      "  aws:region: eu-west-1",
      "  gitops-cluster:nodeGroups:",
      "    - name: general",
      "  gitops-cluster:flux:",
      `    repoUrl: ${flux.repoUrl}`,
      `    path: ${flux.path}`,
      ...fluxExtra,
      "  gitops-cluster:gitops:",
      `    repoDir: ${repo}`,
      `    clusterPath: ${CLUSTER}`,
      "  gitops-cluster:injection:",
      `    overlayDir: ${injection.overlayDir}`,
      "",
    ].join("\n"));
    return project;
  }

  it("fails preview with the API, leftover and schema errors and the command to run", async () => {
    await assert.rejects(runProgram("development", { projectDir: projectFor(FIXTURE) }), (err: Error) => {
      for (const rule of ["removed-api-version", "flux-bootstrap-leftover", "schema-violation"]) assert.match(err.message, new RegExp(rule));
      assert.match(err.message, /gitops-cluster migrate/);
      return true;
    });
  });

  it("plans a FluxInstance with the image controllers for a repository that uses image automation", async () => {
    const run = await runProgram("development", { projectDir: projectFor(GOLDEN) });
    assert.deepEqual((kubernetesObject(run, "FluxInstance").inputs.spec as { components: string[] }).components, [
      "source-controller", "kustomize-controller", "helm-controller", "notification-controller",
      "image-reflector-controller", "image-automation-controller",
    ]);
  });

  it("carries flux.kustomizePatches to FluxInstance spec.kustomize.patches, and flux.components wins", async () => {
    const run = await runProgram("development", { projectDir: projectFor(GOLDEN, [
      "    components: [source-controller, kustomize-controller, helm-controller, image-reflector-controller, image-automation-controller]",
      "    kustomizePatches:",
      "      - patch: '[{\"op\": \"add\", \"path\": \"/spec/replicas\", \"value\": 2}]'",
      "        target: {kind: Deployment, name: kustomize-controller}",
    ]) });
    const spec = kubernetesObject(run, "FluxInstance").inputs.spec as { components: string[]; kustomize: unknown };
    // No notification-controller: the repository has no Alert, Provider or Receiver.
    assert.deepEqual(spec.components, ["source-controller", "kustomize-controller", "helm-controller", "image-reflector-controller", "image-automation-controller"]);
    assert.deepEqual(spec.kustomize, { patches: [{ patch: '[{"op": "add", "path": "/spec/replicas", "value": 2}]', target: { kind: "Deployment", name: "kustomize-controller" } }] });
  });

  it("verify refuses flags that do not fit, naming them", async () => {
    for (const [argv, message] of [
      [["verify", "--stack", "development", "--bootstrap", "committed"], /--bootstrap committed does not apply/],
      [["verify", "--cluster", CLUSTER, "--bootstrap", "both"], /--bootstrap both: expected committed or stack/],
      [["verify", "--cluster", CLUSTER, "--flux-version", "latest"], /--flux-version latest/],
      [["verify", "--cluster", CLUSTER, "--kubernetes-version", "2"], /--kubernetes-version 2/],
      [["migrate", "--repo", FIXTURE, "--write", "--check"], /exclude each other/],
    ] as const) {
      const run = io(PROJECT_DIR);
      assert.equal(await main([...argv], run.io), 2);
      assert.match(run.out.stderr, message);
    }
  });

  it("verify --stack gives the verdict the program gives", async () => {
    for (const [repo, expected] of [[FIXTURE, 1], [GOLDEN, 0]] as const) {
      const project = projectFor(repo);
      const run = io(project);
      assert.equal(await main(["verify", "--stack", "development", "--format", "json"], run.io), expected, run.out.stderr);
      const cli = (JSON.parse(run.out.stdout) as VerifyResult).findings.map((f) => `${f.rule} ${f.file}:${f.line}`);
      let program: string[];
      try {
        const done = await runProgram("development", { projectDir: project });
        program = ((done.outputs.orderingReport as { findings: VerifyResult["findings"] }).findings).map((f) => `${f.rule} ${f.file}:${f.line}`);
      } catch (err) {
        program = cli.filter((line) => (err as Error).message.includes(line.split(" ")[1]));
        assert.ok(cli.filter((l) => l.startsWith("removed-api-version")).every((l) => (err as Error).message.includes(l.split(" ")[1])));
      }
      assert.deepEqual(program, cli);
    }
  });
});
