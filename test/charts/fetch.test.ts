import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as zlib from "zlib";
import { main } from "../../cli/main";
import { ChartCache } from "../../gitops/charts/cache";
import { ChartFetcher, ChartFetchError } from "../../gitops/charts/fetch";
import { LOCK_FILE, readLock } from "../../gitops/charts/lock";
import { chartArchive, chartYaml, crd, indexYaml, staticServer, tempDir, testCharts } from "./helpers";

async function run(argv: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), cwd: process.cwd(), env });
  return { code, stdout, stderr };
}

function write(root: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
}

/** A repository in the usual shape: infra installs charts from `url`, apps uses their CRDs without depending on infra. */
function fixtureRepo(url: string, legacyValues = "installCRDs: true"): string {
  const root = tempDir("repo");
  const ks = (name: string, extra = "") => `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: ${name}
  namespace: flux-system
spec:
  interval: 10m
  path: ./${name}
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
${extra}`;
  write(root, {
    "clusters/dev/infra.yaml": ks("infra", "  wait: true\n"),
    "clusters/dev/apps.yaml": ks("apps"),
    "infra/repo.yaml": `apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: charts\n  namespace: flux-system\nspec:\n  url: ${url}\n`,
    "infra/releases.yaml": `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: legacy
  namespace: flux-system
spec:
  chart:
    spec:
      chart: legacy-crds
      version: "1.x"
      sourceRef:
        kind: HelmRepository
        name: charts
  values:
    ${legacyValues}
---
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: plain
  namespace: flux-system
spec:
  chart:
    spec:
      chart: plain-crds
      version: ">= 1.0.0, < 2"
      sourceRef:
        kind: HelmRepository
        name: charts
`,
    "apps/cert.yaml": "apiVersion: legacy.example.io/v1\nkind: Cert\nmetadata:\n  name: c\n  namespace: default\n",
    "apps/widget.yaml": "apiVersion: widgets.example.io/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: default\n",
  });
  return root;
}

describe("charts over HTTP: a static Helm repository on loopback", function () {
  this.timeout(60_000);
  const archives = testCharts();
  let server: Awaited<ReturnType<typeof staticServer>>;
  const dirs: string[] = [];
  const cacheHome = tempDir("cache");
  const env = { ...process.env, XDG_CACHE_HOME: cacheHome, HELM_CONFIG_HOME: path.join(cacheHome, "no-helm") };

  before(async () => {
    const routes: Parameters<typeof staticServer>[0] = { "/index.yaml": indexYaml(archives) };
    for (const [file, data] of Object.entries(archives)) routes[`/charts/${file}`] = data;
    server = await staticServer(routes);
    // An umbrella chart packaged without its dependency: fetched from the repository Chart.yaml names.
    const umbrella = chartArchive("umbrella", {
      "Chart.yaml": chartYaml("umbrella", "1.0.0", `dependencies:\n  - name: plain-crds\n    version: "~1.0"\n    repository: ${server.url}/\n    condition: widgets.enabled\n`),
      "values.yaml": "widgets:\n  enabled: true\n",
    });
    routes["/umbrella/index.yaml"] = indexYaml({ "umbrella-1.0.0.tgz": umbrella }).replace("charts/umbrella", "umbrella");
    routes["/umbrella/umbrella-1.0.0.tgz"] = umbrella;
    routes["/remote/crds.yaml"] = crd("remote.example.io", "Gadget");
  });
  after(async () => {
    await server.close();
    for (const d of [...dirs, cacheHome]) fs.rmSync(d, { recursive: true, force: true });
  });

  it("without a lock the charts are unknown; `charts lock` reads them once; verify --offline is then exact and says what it rests on", async () => {
    const repo = fixtureRepo(server.url);
    dirs.push(repo);
    const before = await run(["verify", "--repo", repo, "--cluster", "clusters/dev", "--offline", "--format", "json"], env);
    const beforeReport = JSON.parse(before.stdout);
    assert.equal(beforeReport.summary.errors, 0, "charts outside the table make findings warnings");
    assert.deepEqual([...new Set(beforeReport.findings.map((f: { rule: string }) => f.rule))].sort(), ["unknown-group"]);

    const locked = await run(["charts", "lock", "--repo", repo], env);
    assert.equal(locked.code, 0, locked.stderr);
    assert.match(locked.stdout, /locked legacy-crds 1\.0\.0 \(http:\/\/127\.0\.0\.1:\d+, sha256:[a-f0-9]{64}\): legacy\.example\.io/);
    // ">= 1.0.0, < 2": the comma is AND, the release candidate of 2.0.0 is excluded.
    assert.match(locked.stdout, /locked plain-crds 1\.1\.0 /);
    const lock = readLock(repo)!;
    assert.deepEqual(lock.charts.map((c) => `${c.chart}@${c.version}`).sort(), ["legacy-crds@1.0.0", "plain-crds@1.1.0"]);
    assert.equal(server.hits.get("/index.yaml"), 1, `the index is fetched once per repository: ${JSON.stringify([...server.hits])}`);

    const after = await run(["verify", "--repo", repo, "--cluster", "clusters/dev", "--offline", "--format", "json"], env);
    assert.equal(after.code, 1);
    const findings = JSON.parse(after.stdout).findings as { rule: string; severity: string; message: string }[];
    const errors = findings.filter((f) => f.severity === "error");
    assert.deepEqual(errors.map((f) => f.rule), ["consumer-without-provider", "consumer-without-provider"]);
    const cert = errors.find((f) => f.message.includes("legacy.example.io"))!;
    assert.match(cert.message, /rests on HelmRelease legacy: legacy-crds 1\.0\.0 \(http:\/\/127\.0\.0\.1:\d+, sha256:[a-f0-9]{64}\): templates\/crd-certs\.yaml installs legacy\.example\.io when `or installCRDs crds\.enabled` \(true here\)/);

    // A second lock fetches no archive again: the cache is keyed by digest.
    const hits = server.hits.get("/charts/legacy-crds-1.0.0.tgz");
    assert.equal((await run(["charts", "lock", "--repo", repo], env)).code, 0);
    assert.equal(server.hits.get("/charts/legacy-crds-1.0.0.tgz"), hits);

    const shown = await run(["charts", "show", "--repo", repo, "--chart", "legacy-crds"], env);
    assert.match(shown.stdout, /legacy\.example\.io Cert: templates\/crd-certs\.yaml when `or \.Values\.installCRDs \.Values\.crds\.enabled`/);
  });

  it("`charts fetch` (what the stack program runs) fetches the requests a file lists and prints what they install; bad input is exit 2", async () => {
    const repo = fixtureRepo(server.url);
    dirs.push(repo);
    const first = await run(["verify", "--repo", repo, "--cluster", "clusters/dev", "--offline", "--format", "json"], env);
    assert.equal(first.code, 0);
    const inputs = path.join(repo, "inputs.json");
    const { missingInputs, knowledgeFromLock } = await import("../../gitops/charts/prepare");
    const { verifyRepository } = await import("../../gitops/verify");
    const knowledge = knowledgeFromLock(repo, true);
    fs.writeFileSync(inputs, JSON.stringify(missingInputs(verifyRepository(repo, "clusters/dev", { charts: knowledge }), knowledge)));
    const fetched = await run(["charts", "fetch", "--inputs", inputs], env);
    assert.equal(fetched.code, 0, fetched.stderr);
    const out = JSON.parse(fetched.stdout) as { charts: { chart: string; version: string }[]; failures: unknown[] };
    assert.deepEqual(out.charts.map((c) => `${c.chart}@${c.version}`).sort(), ["legacy-crds@1.0.0", "plain-crds@1.1.0"]);
    assert.deepEqual(out.failures, []);
    assert.equal(readLock(repo), undefined, "fetch never writes the lock");
    fs.writeFileSync(inputs, "{\"requests\": 3}");
    const bad = await run(["charts", "fetch", "--inputs", inputs], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--inputs .*inputs\.json: expected \{"requests"/);
  });

  it("a read chart that does not install the group under these values is not a provider; a version the lock lacks is chart-not-locked", async () => {
    const repo = fixtureRepo(server.url, "installCRDs: false");
    dirs.push(repo);
    assert.equal((await run(["charts", "lock", "--repo", repo], env)).code, 0);
    const report = JSON.parse((await run(["verify", "--repo", repo, "--cluster", "clusters/dev", "--offline", "--format", "json"], env)).stdout);
    const cert = report.findings.filter((f: { message: string }) => f.message.includes("legacy.example.io"));
    assert.deepEqual(cert.map((f: { rule: string }) => f.rule), ["unknown-group"]);
    // Bump the constraint past what the lock holds.
    const releases = path.join(repo, "infra/releases.yaml");
    fs.writeFileSync(releases, fs.readFileSync(releases, "utf8").replace('version: "1.x"', 'version: "2.x"'));
    const stale = JSON.parse((await run(["verify", "--repo", repo, "--cluster", "clusters/dev", "--offline", "--format", "json"], env)).stdout);
    const notLocked = stale.findings.filter((f: { rule: string }) => f.rule === "chart-not-locked");
    assert.equal(notLocked.length, 1);
    assert.match(notLocked[0].message, /legacy-crds 2\.x from http:\/\/127\.0\.0\.1:\d+, which was not read: the lock has 1\.0\.0, not a version matching "2\.x" \(offline: not fetched\)/);
  });

  it("a dependency Chart.yaml lists but the archive does not vendor is fetched from its repository, its condition kept", async () => {
    const f = new ChartFetcher({ cache: new ChartCache(path.join(cacheHome, "deps")), backoffMs: 10 });
    const locked = await f.resolve({ protocol: "http", repository: `${server.url}/umbrella`, chart: "umbrella", version: "" });
    const dep = locked.facts.dependencies[0];
    assert.equal(dep.fetched?.split(" ")[0], "1.0.0", "~1.0 picks 1.0.0, not 1.1.0");
    assert.deepEqual(dep.chart?.crds.map((c) => c.group), ["widgets.example.io"]);
    assert.deepEqual(locked.facts.defaults, { widgets: { enabled: true } });
  });

  it("remote resources: unread, their groups make findings warnings; locked, the verdict is exact", async () => {
    const repo = fixtureRepo(server.url);
    dirs.push(repo);
    write(repo, {
      "clusters/dev/crds.yaml": "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: crds\n  namespace: flux-system\nspec:\n  interval: 1h\n  path: ./crds\n  prune: true\n  wait: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n",
      "crds/kustomization.yaml": `resources:\n  - ${server.url}/remote/crds.yaml\n`,
      "apps/gadget.yaml": "apiVersion: remote.example.io/v1\nkind: Gadget\nmetadata:\n  name: g\n  namespace: default\n",
    });
    const apps = path.join(repo, "clusters/dev/apps.yaml");
    fs.writeFileSync(apps, `${fs.readFileSync(apps, "utf8")}  dependsOn:\n    - name: crds\n`);
    assert.equal((await run(["charts", "lock", "--repo", repo], env)).code, 0);
    const lock = readLock(repo)!;
    assert.deepEqual(lock.remote.map((r) => [r.url, r.groups]), [[`${server.url}/remote/crds.yaml`, ["remote.example.io"]]]);
    const verdict = async () => JSON.parse((await run(["verify", "--repo", repo, "--cluster", "clusters/dev", "--offline", "--format", "json"], env)).stdout).findings
      .filter((f: { severity: string }) => f.severity !== "note").map((f: { rule: string; severity: string; message: string }) => `${f.severity} ${f.rule} ${/\(([a-z.]+)\)/.exec(f.message)?.[1]}`).sort();
    // With the lock: the remote file defines remote.example.io only, so legacy.example.io is surely missing.
    assert.deepEqual(await verdict(), ["error consumer-without-provider legacy.example.io", "error consumer-without-provider widgets.example.io"]);
    // Without the lock entry for the URL, what the remote file installs is unknown: warnings.
    fs.writeFileSync(path.join(repo, LOCK_FILE), JSON.stringify({ ...lock, remote: [] }));
    assert.deepEqual(await verdict(), ["warning consumer-without-provider legacy.example.io", "warning consumer-without-provider widgets.example.io", "warning unknown-group remote.example.io"]);
  });

  it("--chart-mirror fetches a repository's charts from its mirror, and the lock keeps the original URL", async () => {
    const repo = fixtureRepo("https://charts.example.invalid/stable");
    dirs.push(repo);
    const res = await run(["charts", "lock", "--repo", repo, "--chart-mirror", `https://charts.example.invalid/stable=${server.url}`], env);
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(readLock(repo)!.charts.map((c) => c.repository), ["https://charts.example.invalid/stable", "https://charts.example.invalid/stable"]);
    assert.equal((await run(["charts", "lock", "--repo", repo, "--chart-mirror", "nonsense"], env)).code, 2);
  });
});

describe("a private HTTP Helm repository: the credentials Helm itself keeps (repositories.yaml)", function () {
  this.timeout(30_000);
  const home = tempDir("helmhome");
  const archive = chartArchive("secret-crds", { "Chart.yaml": chartYaml("secret-crds", "2.0.0"), "crds/a.yaml": crd("private.example.io", "P") });
  const seen: (string | undefined)[] = [];
  let server: Awaited<ReturnType<typeof staticServer>>;
  const guarded = (body: Buffer | string) => (req: import("http").IncomingMessage, res: import("http").ServerResponse) => {
    seen.push(req.headers.authorization);
    if (req.headers.authorization !== `Basic ${Buffer.from("robot:s3cret").toString("base64")}`) {
      res.statusCode = 401;
      res.end();
    } else res.end(body);
  };
  before(async () => {
    server = await staticServer({ "/private/index.yaml": guarded(indexYaml({ "secret-crds-2.0.0.tgz": archive }).replace("charts/", "")), "/private/secret-crds-2.0.0.tgz": guarded(archive) });
  });
  after(async () => {
    await server.close();
    fs.rmSync(home, { recursive: true, force: true });
  });
  const resolve = (env: NodeJS.ProcessEnv) => new ChartFetcher({ cache: new ChartCache(path.join(home, "cache")), backoffMs: 10, env })
    .resolve({ protocol: "http", repository: `${server.url}/private`, chart: "secret-crds", version: "2.x" });

  it("without an entry: HTTP 401, a clear fetch error; with the entry for its URL: index and archive are read", async () => {
    const config = path.join(home, "repositories.yaml");
    await assert.rejects(resolve({ HELM_REPOSITORY_CONFIG: config }), /index\.yaml: HTTP 401/);
    fs.writeFileSync(config, `apiVersion: ""\nrepositories:\n  - name: private\n    url: ${server.url}/private/\n    username: robot\n    password: s3cret\n`);
    const locked = await resolve({ HELM_REPOSITORY_CONFIG: config });
    assert.equal(locked.version, "2.0.0");
    assert.equal(locked.facts.crds[0].group, "private.example.io");
    assert.ok(seen.filter((a) => a !== undefined).length >= 2, "credentials were sent to the index and the archive");
  });
});

describe("charts over HTTP: bad input is a clear finding, never an internal error", function () {
  this.timeout(60_000);
  const cacheDir = tempDir("badcache");
  let server: Awaited<ReturnType<typeof staticServer>>;
  const good = chartArchive("ok", { "Chart.yaml": chartYaml("ok", "1.0.0"), "crds/a.yaml": crd("ok.example.io", "A") });
  const traversal = chartArchive("trav", { "Chart.yaml": chartYaml("trav", "1.0.0") });
  const entry = (name: string, file: string) => `  ${name}:\n    - name: ${name}\n      version: 1.0.0\n      urls: [${file}]\n`;
  let bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  for (let i = 0; i < 12; i++) bomb += `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]\n`;

  before(async () => {
    server = await staticServer({
      "/repo/index.yaml": `apiVersion: v1\nentries:\n${entry("ok", "ok.tgz")}${entry("missing", "missing.tgz")}${entry("truncated", "truncated.tgz")}${entry("bomb", "bomb.tgz")}${entry("notgz", "notgz.tgz")}${entry("trav", "trav.tgz")}`,
      "/repo/ok.tgz": good,
      "/repo/truncated.tgz": good.subarray(0, good.length - 30),
      "/repo/bomb.tgz": zlib.gzipSync(Buffer.alloc(110 * 1024 * 1024)),
      "/repo/notgz.tgz": "<html>sorry</html>",
      "/repo/trav.tgz": traversal,
      "/aliases/index.yaml": bomb,
      "/loop/index.yaml": (_req, res) => {
        res.statusCode = 302;
        res.setHeader("Location", "/loop/index.yaml");
        res.end();
      },
      "/flaky/index.yaml": (() => {
        let n = 0;
        return (_req: unknown, res: import("http").ServerResponse) => {
          n++;
          if (n === 1) {
            res.statusCode = 503;
            res.end();
          } else res.end(`apiVersion: v1\nentries:\n${entry("ok", "/repo/ok.tgz")}`);
        };
      })(),
    });
  });
  after(async () => {
    await server.close();
    fs.rmSync(cacheDir, { recursive: true, force: true });
  });

  const fetcher = () => new ChartFetcher({ cache: new ChartCache(cacheDir), backoffMs: 10, timeoutMs: 5000 });
  const resolve = (repository: string, chart: string) => fetcher().resolve({ protocol: "http", repository, chart, version: "" });
  const fails = async (repository: string, chart: string, pattern: RegExp) => {
    await assert.rejects(resolve(repository, chart), (e: Error) => {
      assert.ok(e instanceof ChartFetchError, `${e.name}: ${e.message}`);
      assert.match(e.message, pattern);
      return true;
    });
  };

  it("reads a good chart, and retries a 503 with backoff", async () => {
    assert.equal((await resolve(`${server.url}/repo`, "ok")).facts.crds[0].group, "ok.example.io");
    assert.equal((await resolve(`${server.url}/flaky`, "ok")).version, "1.0.0");
  });
  it("a 404, a chart not in the index, an unreachable repository", async () => {
    await fails(`${server.url}/repo`, "missing", /missing 1\.0\.0: .*missing\.tgz: HTTP 404/);
    await fails(`${server.url}/none`, "ok", /index\.yaml: HTTP 404/);
    await fails(`${server.url}/repo`, "absent", /chart absent is not in .*index\.yaml/);
    const closed = await staticServer({});
    await closed.close();
    await fails(closed.url, "ok", /could not be fetched \(fetch failed: ECONNREFUSED\)/);
  });
  it("truncated, non-gzip and gzip-bomb archives name the chart and source", async () => {
    await fails(`${server.url}/repo`, "truncated", /^truncated 1\.0\.0 from http:\/\/127\.0\.0\.1:\d+\/repo \(sha256:[a-f0-9]+\): not a/);
    await fails(`${server.url}/repo`, "notgz", /notgz 1\.0\.0 .*not a gzip archive/);
    await fails(`${server.url}/repo`, "bomb", /bomb 1\.0\.0 .*expands past 100 MiB/);
  });
  it("an index.yaml alias bomb and a redirect loop stop with a clear error", async () => {
    await fails(`${server.url}/aliases`, "ok", /not a Helm repository index/);
    await fails(`${server.url}/loop`, "ok", /redirect/);
  });
  it("writes nothing outside the cache", () => {
    const cacheFiles = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => d.isDirectory() ? cacheFiles(path.join(dir, d.name)) : [path.join(dir, d.name)]);
    for (const f of cacheFiles(cacheDir)) assert.ok(f.startsWith(cacheDir));
    assert.ok(!fs.existsSync(path.join(process.cwd(), "trav")));
  });
  it("the lock command reports failures on stderr with exit 1, not 3", async () => {
    const repo = tempDir("badrepo");
    try {
      write(repo, {
        "clusters/dev/r.yaml": `apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: r\n  namespace: flux-system\nspec:\n  url: ${server.url}/repo\n---\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: t\n  namespace: flux-system\nspec:\n  chart:\n    spec:\n      chart: truncated\n      sourceRef:\n        kind: HelmRepository\n        name: r\n`,
      });
      const res = await run(["charts", "lock", "--repo", repo], { ...process.env, XDG_CACHE_HOME: cacheDir });
      assert.equal(res.code, 1);
      assert.match(res.stderr, /not locked: truncated from http:\/\/127\.0\.0\.1:\d+\/repo: fetching it failed: truncated 1\.0\.0 from/);
      assert.ok(fs.existsSync(path.join(repo, LOCK_FILE)));
    } finally {
      fs.rmSync(repo, { recursive: true, force: true });
    }
  });
});
