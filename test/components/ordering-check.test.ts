import { strict as assert } from "assert";
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { OrderingCheck } from "../../components/ordering-check";
import { recordProgram } from "../../offline/program";
import { chartArchive, chartYaml, crd, indexYaml, tempDir } from "../charts/helpers";

/**
 * The stack program reads the lock and fetches what it lacks. Its fetch runs in a child process
 * while the program waits synchronously, so the Helm repository here is a server in a process of
 * its own (one in this process could not answer while it waits).
 */
const SERVER = `
const http = require("http"), fs = require("fs"), path = require("path");
const root = process.argv[1];
const server = http.createServer((req, res) => {
  const file = path.join(root, path.normalize(decodeURIComponent(req.url.split("?")[0])));
  if (!file.startsWith(root) || !fs.existsSync(file) || !fs.statSync(file).isFile()) { res.statusCode = 404; res.end(); return; }
  res.end(fs.readFileSync(file));
});
server.listen(0, "127.0.0.1", () => process.stdout.write(server.address().port + "\\n"));
`;

function serve(dir: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ["-e", SERVER, dir], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    child.stdout!.once("data", (d: Buffer) => resolve({ url: `http://127.0.0.1:${d.toString().trim()}`, child }));
    child.once("error", reject);
  });
}

function write(root: string, files: Record<string, string | Buffer>): void {
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
}

const ks = (name: string) => [
  "apiVersion: kustomize.toolkit.fluxcd.io/v1", "kind: Kustomization",
  `metadata: {name: ${name}, namespace: flux-system}`,
  `spec: {interval: 1h, path: ./${name}, prune: true, wait: true, sourceRef: {kind: GitRepository, name: flux-system}}`, "",
].join("\n");

describe("OrderingCheck: charts the lock lacks are fetched before the verdict", function () {
  this.timeout(120000);
  const dirs: string[] = [];
  let server: { url: string; child: ChildProcess };
  let repo: string;
  const cacheBefore = process.env.XDG_CACHE_HOME;

  before(async () => {
    const charts = tempDir("ordering-charts");
    const cache = tempDir("ordering-cache");
    repo = tempDir("ordering-repo");
    dirs.push(charts, cache, repo);
    const archive = chartArchive("gadgets", { "Chart.yaml": chartYaml("gadgets", "1.2.0"), "crds/gadgets.yaml": crd("gadgets.example.io", "Gadget") });
    write(charts, { "index.yaml": indexYaml({ "gadgets-1.2.0.tgz": archive }), "charts/gadgets-1.2.0.tgz": archive });
    server = await serve(charts);
    process.env.XDG_CACHE_HOME = cache;
    // `apps` applies a Gadget without waiting for `infra`, whose HelmRelease installs its CRD.
    write(repo, {
      "clusters/dev/ks.yaml": `${ks("infra")}---\n${ks("apps")}`,
      "infra/repository.yaml": `apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata: {name: gadgets, namespace: flux-system}\nspec: {interval: 1h, url: "${server.url}"}\n`,
      "infra/release.yaml": "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: gadgets, namespace: flux-system}\nspec:\n  interval: 1h\n  chart:\n    spec: {chart: gadgets, version: '1.x', sourceRef: {kind: HelmRepository, name: gadgets}}\n",
      "apps/gadget.yaml": "apiVersion: gadgets.example.io/v1\nkind: Gadget\nmetadata: {name: g, namespace: default}\n",
    });
  });
  after(() => {
    server?.child.kill();
    if (cacheBefore === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = cacheBefore;
    dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
  });

  const run = (fetchCharts: boolean) => recordProgram(() => {
    const check = new OrderingCheck("ordering", { repoDir: repo, clusterPath: "clusters/dev", fetchCharts });
    return { findings: check.result.findings.map((f) => `${f.severity} ${f.rule}`) };
  }, { stack: "dev" });

  it("offline (the mocks' default), the chart is unknown: a warning, and nothing is fetched", async () => {
    const outcome = await run(false);
    assert.ok((outcome.outputs.findings as string[]).includes("warning unknown-group"), JSON.stringify(outcome.outputs.findings));
    assert.equal(fs.readdirSync(process.env.XDG_CACHE_HOME!).length, 0);
  });

  it("allowed to fetch, it reads the chart and stops the run with the exact error, naming the chart", async () => {
    await assert.rejects(run(true), (err: Error) => {
      assert.match(err.message, /is broken; nothing was created/);
      assert.match(err.message, /consumer-without-provider/);
      assert.match(err.message, /gadgets 1\.2\.0/);
      return true;
    });
  });
});
