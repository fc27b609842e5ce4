import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CommandIO, UsageError } from "../../cli/command";
import { main } from "../../cli/main";
import { command } from "../../cli/verify";

const ROOT = path.resolve(__dirname, "../..");
const EXAMPLE = "examples/gitops";

interface Captured extends CommandIO {
  out: string;
  err: string;
}

function capture(cwd = ROOT): Captured {
  const io: Captured = {
    out: "",
    err: "",
    cwd,
    env: {},
    stdout: (t) => void (io.out += t),
    stderr: (t) => void (io.err += t),
  };
  return io;
}

/** A copy of the example repository, changed by `edit`, in a fresh temporary directory. */
function exampleCopy(edit: (dir: string) => void): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "verify-cli-"));
  fs.cpSync(path.join(ROOT, EXAMPLE), dir, { recursive: true });
  edit(dir);
  return dir;
}

function replaceIn(file: string, from: string, to: string): void {
  const text = fs.readFileSync(file, "utf8");
  assert.ok(text.includes(from), `${file} should contain ${JSON.stringify(from)}`);
  fs.writeFileSync(file, text.replace(from, to));
}

/** The example with kustomized-infra no longer waiting for cert-manager-install (the seed's mistake). */
function withoutCertManagerDependency(): string {
  return exampleCopy((dir) =>
    replaceIn(path.join(dir, "clusters/development/kustomized-infra.yaml"), "    - name: cert-manager-install\n", ""),
  );
}

describe("gitops-cluster verify", function () {
  const temporary: string[] = [];
  after(() => temporary.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  const track = (d: string) => (temporary.push(d), d);

  for (const cluster of ["clusters/development", "clusters/production"]) {
    it(`exits 0 with no finding on the example's ${cluster}, in the mode of its stack`, async () => {
      const io = capture();
      // The stack installs the Load Balancer Controller, whose CRDs the example's IngressClassParams use.
      const code = await command.run(["--repo", EXAMPLE, "--cluster", cluster, "--stack", path.basename(cluster)], io);
      assert.strictEqual(code, 0, io.out + io.err);
      assert.match(io.out, /^(\d+) of \1 Kustomizations read\n0 errors, 0 warnings in \d+ Kustomizations \(\d+ objects\)\n$/);
    });
  }

  it("--stack: a chart the stack installs is an error in the repository; outside stack mode its CRDs are unknown", async () => {
    const dir = track(fs.mkdtempSync(path.join(os.tmpdir(), "verify-stack-")));
    fs.cpSync(path.join(ROOT, EXAMPLE), dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "infrastructure/static/lbc.yaml"), [
      "apiVersion: helm.toolkit.fluxcd.io/v2", "kind: HelmRelease", "metadata: {name: aws-load-balancer-controller, namespace: kube-system}",
      "spec:", "  chart: {spec: {chart: aws-load-balancer-controller, sourceRef: {kind: HelmRepository, name: eks, namespace: flux-system}}}", "",
    ].join("\n"));
    fs.appendFileSync(path.join(dir, "infrastructure/static/kustomization.yaml"), "  - lbc.yaml\n");
    const inStack = capture();
    assert.strictEqual(await command.run(["--repo", dir, "--cluster", "clusters/development", "--stack", "development"], inStack), 1, inStack.out);
    assert.match(inStack.out, /infrastructure\/static\/lbc.yaml:1 +error +chart-installed-by-stack/);
    const plain = capture();
    assert.strictEqual(await command.run(["--repo", EXAMPLE, "--cluster", "clusters/development"], plain), 0);
    assert.match(plain.out, /unknown-group/);
  });

  it("exits 1 and names the missing dependsOn when a consumer does not wait for its provider", async () => {
    const repo = track(withoutCertManagerDependency());
    const io = capture();
    const code = await command.run(["--repo", repo, "--cluster", "clusters/development"], io);
    assert.strictEqual(code, 1, io.out);
    assert.match(io.out, /consumer-without-provider/);
    assert.match(io.out, /fix: .*cert-manager-install/);
  });

  it("resolves --repo against the working directory and defaults it to the working directory", async () => {
    const fromParent = capture(path.join(ROOT, "examples"));
    assert.strictEqual(await command.run(["--repo", "gitops", "--cluster", "clusters/production"], fromParent), 0);
    const inside = capture(path.join(ROOT, EXAMPLE));
    assert.strictEqual(await command.run(["--cluster", "clusters/production"], inside), 0, inside.err);
  });

  it("prints the JSON report, naming the repository as given", async () => {
    const io = capture();
    assert.strictEqual(await command.run(["--repo", EXAMPLE, "--cluster", "clusters/development", "--format", "json", "--stack", "development"], io), 0);
    const report = JSON.parse(io.out);
    assert.strictEqual(report.repo, EXAMPLE);
    const infra = report.kustomizations.find((k: { name: string }) => k.name === "kustomized-infra");
    assert.ok(infra.dependsOn.includes("flux-system/cert-manager-install"));
    assert.ok(infra.consumesGroups.includes("cert-manager.io"));
    assert.deepStrictEqual(report.findings, []);
  });

  it("prints SARIF whose locations are relative to the Git checkout, not to the GitOps repository", async () => {
    // A checkout with the GitOps repository in deploy/gitops: code scanning resolves URIs from the checkout root.
    const checkout = track(fs.mkdtempSync(path.join(os.tmpdir(), "verify-checkout-")));
    fs.mkdirSync(path.join(checkout, ".git"));
    fs.cpSync(track(withoutCertManagerDependency()), path.join(checkout, "deploy/gitops"), { recursive: true });
    const io = capture(checkout);
    assert.strictEqual(await command.run(["--repo", "deploy/gitops", "--cluster", "clusters/development", "--format", "sarif"], io), 1);
    const log = JSON.parse(io.out);
    assert.strictEqual(log.version, "2.1.0");
    const uris: string[] = log.runs[0].results.map((r: any) => r.locations[0].physicalLocation.artifactLocation.uri);
    assert.ok(uris.includes("deploy/gitops/clusters/development/kustomized-infra.yaml"), uris.join());
    assert.ok(uris.every((u) => fs.existsSync(path.join(checkout, decodeURIComponent(u)))), uris.join());
  });

  it("draws the Mermaid graph with the missing edge", async () => {
    const repo = track(withoutCertManagerDependency());
    const io = capture();
    assert.strictEqual(await command.run(["--repo", repo, "--cluster", "clusters/development", "--format", "mermaid"], io), 1);
    assert.match(io.out, /^flowchart LR\n/);
    assert.match(io.out, /k_flux_system_cert_manager_install -\. missing dependsOn \.-> k_flux_system_kustomized_infra/);
  });

  it("treats --preinstalled groups as present", async () => {
    const repo = track(
      exampleCopy((dir) => {
        fs.writeFileSync(
          path.join(dir, "apps/base/podinfo/widget.yaml"),
          "apiVersion: widgets.example.com/v1\nkind: Widget\nmetadata:\n  name: podinfo\n",
        );
        replaceIn(path.join(dir, "apps/base/podinfo/kustomization.yaml"), "  - ingress.yaml\n", "  - ingress.yaml\n  - widget.yaml\n");
      }),
    );
    const without = capture();
    await command.run(["--repo", repo, "--cluster", "clusters/development", "--format", "json"], without);
    const groups = JSON.parse(without.out).findings.map((f: { message: string }) => f.message).join("\n");
    assert.match(groups, /widgets\.example\.com/, "the unknown group is reported");
    const withIt = capture();
    await command.run(["--repo", repo, "--cluster", "clusters/development", "--format", "json", "--preinstalled", "foo.example.com, widgets.example.com", "--stack", "development"], withIt);
    assert.deepStrictEqual(JSON.parse(withIt.out).findings, []);
  });

  it("reads more chart providers from --providers FILE", async () => {
    const repo = track(
      exampleCopy((dir) => {
        const install = path.join(dir, "infrastructure/kustomized/base/flagger/install");
        fs.writeFileSync(
          path.join(install, "widget-operator.yaml"),
          "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: widget-operator\n  namespace: flagger-system\n" +
            "spec:\n  interval: 1h\n  chart:\n    spec:\n      chart: widget-operator\n      sourceRef:\n        kind: HelmRepository\n        name: flagger\n        namespace: flux-system\n",
        );
        replaceIn(path.join(install, "kustomization.yaml"), "  - helm-release.yaml\n", "  - helm-release.yaml\n  - widget-operator.yaml\n");
        fs.writeFileSync(path.join(dir, "apps/base/podinfo/widget.yaml"), "apiVersion: widgets.example.com/v1\nkind: Widget\nmetadata:\n  name: podinfo\n");
        replaceIn(path.join(dir, "apps/base/podinfo/kustomization.yaml"), "  - ingress.yaml\n", "  - ingress.yaml\n  - widget.yaml\n");
        fs.writeFileSync(path.join(dir, "providers.yaml"), "- chart: widget-operator\n  groups: [widgets.example.com]\n");
        fs.writeFileSync(path.join(dir, "bad-providers.yaml"), "- chart: widget-operator\n  groups: [widgets.example.com]\n- chart: 7\n  groups: []\n");
      }),
    );
    const args = ["--repo", repo, "--cluster", "clusters/development", "--format", "json", "--stack", "development"];
    const without = capture();
    await command.run(args, without);
    assert.ok(JSON.parse(without.out).findings.some((f: { message: string }) => f.message.includes("widgets.example.com")));
    const withIt = capture();
    assert.strictEqual(await command.run([...args, "--providers", path.join(repo, "providers.yaml")], withIt), 0, withIt.err);
    assert.deepStrictEqual(JSON.parse(withIt.out).findings, []);
    const flagger = JSON.parse(withIt.out).kustomizations.find((k: { name: string }) => k.name === "flagger-install");
    assert.ok(flagger.providesGroups.includes("widgets.example.com"));
    // The file is resolved against the working directory, and its errors name file:line.
    const bad = capture(repo);
    assert.strictEqual(await command.run(["--cluster", "clusters/development", "--providers", "bad-providers.yaml"], bad), 2);
    assert.match(bad.err, /^bad-providers\.yaml:3: .*chart/);
  });

  it("reads a mapped --source, repeatable, and says first how many Kustomizations it read", async () => {
    const fixture = "test/fixtures/ordering/oci-source-mapped/broken";
    const blind = capture();
    assert.strictEqual(await command.run(["--repo", fixture, "--cluster", "clusters/dev"], blind), 0);
    assert.match(blind.out, /^2 of 3 Kustomizations read \(1 behind sources/);
    const mapped = capture();
    const args = ["--repo", fixture, "--cluster", "clusters/dev", "--source", `OCIRepository/flux-system/apps=${fixture}/apps-artifact`,
      "--source", "GitRepository/flux-system/other=.", "--format", "json"];
    assert.strictEqual(await command.run(args, mapped), 1, mapped.err);
    const report = JSON.parse(mapped.out);
    assert.deepStrictEqual([report.summary.unread, report.findings.filter((f: { severity: string }) => f.severity === "error").map((f: { rule: string }) => f.rule)],
      [0, ["consumer-without-provider"]]);
  });

  it("--repo-url makes a GitRepository with that URL this repository", async () => {
    const repo = track(exampleCopy((dir) => {
      fs.writeFileSync(path.join(dir, "clusters/development/self.yaml"), [
        "apiVersion: source.toolkit.fluxcd.io/v1", "kind: GitRepository", "metadata: {name: platform, namespace: flux-system}",
        "spec: {url: 'git@github.com:acme/gitops.git'}", "---",
        "apiVersion: kustomize.toolkit.fluxcd.io/v1", "kind: Kustomization", "metadata: {name: extra, namespace: flux-system}",
        "spec: {path: ./infrastructure/sources, sourceRef: {kind: GitRepository, name: platform}}", ""].join("\n"));
    }));
    const without = capture();
    await command.run(["--repo", repo, "--cluster", "clusters/development", "--format", "json"], without);
    const withIt = capture();
    await command.run(["--repo", repo, "--cluster", "clusters/development", "--format", "json", "--repo-url", "https://github.com/acme/gitops"], withIt);
    assert.deepStrictEqual([JSON.parse(without.out).summary.unread, JSON.parse(withIt.out).summary.unread], [1, 0]);
  });

  describe("bad usage and unreadable input exit 2 with a message and no stack", () => {
    const cases: Array<[string, string[], RegExp]> = [
      ["an unknown flag", ["--cluster", "clusters/development", "--colour"], /Unknown option '--colour'/],
      ["no --cluster", ["--repo", EXAMPLE], /--cluster is required/],
      ["an unknown format", ["--cluster", "clusters/development", "--format", "html"], /--format html: expected one of text, json, sarif, mermaid/],
      ["a missing repository", ["--repo", "no/such/dir", "--cluster", "clusters/development"], /--repo no\/such\/dir: no such directory/],
      ["a positional argument", ["examples/gitops", "--cluster", "clusters/development"], /positional/i],
      ["a group that is not one", ["--repo", EXAMPLE, "--cluster", "clusters/development", "--preinstalled", "Not A Group"], /"Not A Group" is not an API group/],
      ["an unreadable providers file", ["--repo", EXAMPLE, "--cluster", "clusters/development", "--providers", "no-such.yaml"], /--providers no-such.yaml: cannot read it \(ENOENT\)/],
      ["a --source that is not one", ["--repo", EXAMPLE, "--cluster", "clusters/development", "--source", "apps=out"], /--source: "apps=out" is not KIND\/NAMESPACE\/NAME=DIR/],
      ["a --source of a kind that is no source", ["--repo", EXAMPLE, "--cluster", "clusters/development", "--source", "Deployment/default/x=out"], /"Deployment" is not a Flux source kind/],
      ["a --source directory that does not exist", ["--repo", EXAMPLE, "--cluster", "clusters/development", "--source", "OCIRepository/flux-system/apps=no/such"], /--source OCIRepository\/flux-system\/apps=no\/such: no such directory/],
    ];
    for (const [what, argv, message] of cases) {
      it(`rejects ${what}`, async () => {
        await assert.rejects(command.run(argv, capture()), (err: unknown) => err instanceof UsageError && message.test(err.message));
        const io = capture();
        assert.strictEqual(await main(["verify", ...argv], io), 2);
        assert.match(io.err, message);
        assert.doesNotMatch(io.err, /\n\s+at /);
      });
    }

    it("reports a YAML error as file:line: message", async () => {
      const repo = track(exampleCopy((dir) => fs.writeFileSync(path.join(dir, "clusters/development/broken.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [\n")));
      const io = capture();
      assert.strictEqual(await command.run(["--repo", repo, "--cluster", "clusters/development"], io), 2);
      assert.match(io.err, /^clusters\/development\/broken\.yaml:\d+: /);
      assert.doesNotMatch(io.err, /\n\s+at /);
      assert.strictEqual(io.out, "");
    });

    it("reports a bootstrap file that cannot be read", async () => {
      const io = capture();
      assert.strictEqual(await command.run(["--repo", EXAMPLE, "--cluster", "clusters/development", "--bootstrap-file", "no-such.yaml"], io), 2);
      assert.match(io.err, /bootstrap file .*no-such\.yaml cannot be read/);
    });

    it("reports a cluster path that does not exist", async () => {
      const io = capture();
      assert.strictEqual(await command.run(["--repo", EXAMPLE, "--cluster", "clusters/staging"], io), 2);
      assert.match(io.err, /clusters\/staging/);
    });
  });
});
