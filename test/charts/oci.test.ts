import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { ChartCache } from "../../gitops/charts/cache";
import { ChartFetcher } from "../../gitops/charts/fetch";
import { chartRequestOf } from "../../gitops/charts/sources";
import { K8sObject } from "../../gitops/model";
import { pushChart, startRegistry, staticServer, tempDir, testCharts } from "./helpers";

function object(kind: string, name: string, spec: Record<string, unknown>): K8sObject {
  return { apiVersion: "v1", kind, group: "", name, namespace: "flux-system", body: { kind, metadata: { name }, spec }, source: { file: "x.yaml", line: 1 } };
}

describe("charts over OCI: Debian's docker-registry on loopback, pushed to through the distribution API", function () {
  this.timeout(60_000);
  const charts = testCharts();
  let registry: Awaited<ReturnType<typeof startRegistry>>;
  const cacheDir = tempDir("ocicache");
  let pinned = "";

  before(async () => {
    registry = await startRegistry();
    await pushChart(registry.url, "charts/stack", "1.0.0", charts["stack-1.0.0.tgz"]);
    await pushChart(registry.url, "charts/plain-crds", "1.0.0", charts["plain-crds-1.0.0.tgz"]);
    pinned = await pushChart(registry.url, "charts/plain-crds", "1.1.0", charts["plain-crds-1.1.0.tgz"]);
    await pushChart(registry.url, "charts/plain-crds", "2.0.0-rc.1", charts["plain-crds-2.0.0-rc.1.tgz"]);
  });
  after(() => {
    registry?.stop();
    fs.rmSync(cacheDir, { recursive: true, force: true });
  });

  const fetcher = () => new ChartFetcher({ cache: new ChartCache(cacheDir), backoffMs: 10, env: { HELM_CONFIG_HOME: path.join(cacheDir, "none") } });
  const lookupOf = (objects: K8sObject[]) => (kind: string, ns: string, name: string) => objects.find((o) => o.kind === kind && o.name === name && o.namespace === ns);

  it("a HelmRepository of type oci with a constraint resolves among the registry's tags", async () => {
    const repo = object("HelmRepository", "oci", { type: "oci", url: `oci://${registry.host}/charts` });
    const hr = object("HelmRelease", "p", { chart: { spec: { chart: "plain-crds", version: "1.x", sourceRef: { kind: "HelmRepository", name: "oci" } } } });
    const request = chartRequestOf(hr, lookupOf([repo]));
    assert.ok(!("unnamed" in request));
    const locked = await fetcher().resolve(request as Exclude<typeof request, { unnamed: string }>);
    assert.equal(locked.version, "1.1.0");
    assert.deepEqual(locked.facts.crds.map((c) => c.group), ["widgets.example.io"]);
  });

  it("an OCIRepository chartRef: semver, an exact tag, a digest", async () => {
    const ref = (r: Record<string, unknown>) => {
      const source = object("OCIRepository", "stack", { url: `oci://${registry.host}/charts/plain-crds`, ref: r });
      const hr = object("HelmRelease", "s", { chartRef: { kind: "OCIRepository", name: "stack" } });
      return chartRequestOf(hr, lookupOf([source])) as Exclude<ReturnType<typeof chartRequestOf>, { unnamed: string }>;
    };
    assert.equal((await fetcher().resolve(ref({ semver: ">=1.0.0 <1.1.0" }))).version, "1.0.0");
    assert.equal((await fetcher().resolve(ref({ semver: ">=1.0.0-0" }))).version, "2.0.0-rc.1");
    assert.equal((await fetcher().resolve(ref({ tag: "1.1.0" }))).version, "1.1.0");
    const byDigest = await fetcher().resolve(ref({ digest: pinned }));
    assert.equal(byDigest.facts.version, "1.1.0");
    await assert.rejects(fetcher().resolve(ref({ tag: "9.9.9" })), /manifest 9\.9\.9: HTTP 404/);
  });

  it("a chart with subcharts comes through the registry whole", async () => {
    const source = object("OCIRepository", "stack", { url: `oci://${registry.host}/charts/stack`, ref: { tag: "1.0.0" } });
    const hr = object("HelmRelease", "s", { chartRef: { kind: "OCIRepository", name: "stack" } });
    const request = chartRequestOf(hr, lookupOf([source])) as Exclude<ReturnType<typeof chartRequestOf>, { unnamed: string }>;
    const locked = await fetcher().resolve(request);
    assert.deepEqual(locked.facts.dependencies.map((d) => d.chart?.crds[0]?.group), ["monitoring.example.io", "extra.example.io"]);
  });
});

describe("the OCI bearer-token flow, with Helm's registry credentials", function () {
  this.timeout(30_000);
  it("answers a 401 Bearer challenge at the realm, sending the credentials only to the token service, and never writes them", async () => {
    const archive = testCharts()["plain-crds-1.0.0.tgz"];
    const digest = `sha256:${require("crypto").createHash("sha256").update(archive).digest("hex")}`;
    const seen: string[] = [];
    const manifest = JSON.stringify({ schemaVersion: 2, layers: [{ mediaType: "application/vnd.cncf.helm.chart.content.v1.tar+gzip", digest, size: archive.length }] });
    let base = "";
    const guarded = (body: Buffer | string) => (req: import("http").IncomingMessage, res: import("http").ServerResponse) => {
      seen.push(`${req.url} ${req.headers.authorization ?? "-"}`);
      if (req.headers.authorization !== "Bearer tok-123") {
        res.statusCode = 401;
        res.setHeader("WWW-Authenticate", `Bearer realm="${base}/token",service="test-registry",scope="repository:charts/plain-crds:pull"`);
        res.end();
        return;
      }
      res.end(body);
    };
    const server = await staticServer({
      "/token": (req, res) => {
        seen.push(`${req.url} ${req.headers.authorization ?? "-"}`);
        res.end(JSON.stringify({ token: "tok-123" }));
      },
      "/v2/charts/plain-crds/manifests/1.0.0": guarded(manifest),
      [`/v2/charts/plain-crds/blobs/${digest}`]: guarded(archive),
    });
    base = server.url;
    const home = tempDir("helmhome");
    try {
      const host = server.url.replace("http://", "");
      fs.mkdirSync(path.join(home, "registry"), { recursive: true });
      fs.writeFileSync(path.join(home, "registry", "config.json"), JSON.stringify({ auths: { [host]: { auth: Buffer.from("robot:s3cret").toString("base64") } } }));
      const cacheDir = path.join(home, "cache");
      const f = new ChartFetcher({ cache: new ChartCache(cacheDir), env: { HELM_CONFIG_HOME: home } });
      const locked = await f.resolve({ protocol: "oci", repository: `oci://${host}/charts`, chart: "plain-crds", version: "1.0.0" });
      assert.equal(locked.facts.crds[0].group, "widgets.example.io");
      const tokenCall = seen.find((s) => s.startsWith("/token"))!;
      assert.match(tokenCall, /service=test-registry&scope=repository%3Acharts%2Fplain-crds%3Apull Basic cm9ib3Q6czNjcmV0/);
      assert.ok(!seen.some((s) => s.startsWith("/v2/") && s.includes("Basic")), "the registry itself never sees the password");
      const written = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => d.isDirectory() ? written(path.join(dir, d.name)) : [fs.readFileSync(path.join(dir, d.name), "latin1")]);
      assert.ok(!written(cacheDir).some((t) => t.includes("s3cret") || t.includes("tok-123")), "no credential or token in the cache");
    } finally {
      await server.close();
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
