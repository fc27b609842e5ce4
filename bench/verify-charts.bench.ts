/**
 * `npm run bench` (charts): issue 17's two targets.
 * - Warm: with every chart in the lock, `verify` of a synthetic repository plus 50 HelmReleases of
 *   charts it has locked stays within 1.5x of the floor: reading and parsing the repository's YAML
 *   and the lock file.
 * - Cold: `charts lock` of 50 charts from a loopback Helm repository that answers each request after
 *   a fixed latency is bounded by the network: each chart fetched once, in parallel. The lock is
 *   timed with no latency (its own work: reading the repository, reading the charts) and with the
 *   latency; what the latency adds must be at most half of fetching every request one after another.
 * Exits 1 when a target is missed.
 *
 *   node bin/run-ts.js bench/verify-charts.bench.ts [-- --kustomizations 500 --charts 50 --latency 40 --runs 3]
 */
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { parseArgs } from "util";
import { parseAllDocuments } from "yaml";
import { LOCK_FILE } from "../gitops/charts/lock";
import { lockCharts, verifyWithCharts } from "../gitops/charts/prepare";
import { chartArchive, chartYaml, crd, indexYaml } from "../test/charts/helpers";
import { providerTable } from "../gitops/charts/table";
import { BENCH_CLUSTER, generateRepository } from "./generate";

const TARGET_WARM_OVER_FLOOR = 1.5;
/** The cold lock must take at most this share of fetching every chart one after another. */
const TARGET_COLD_OVER_SEQUENTIAL = 0.5;

function readAndParseAll(dir: string): number {
  let documents = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) documents += readAndParseAll(full);
    else if (/\.ya?ml$/.test(entry.name)) documents += parseAllDocuments(fs.readFileSync(full, "utf8")).length;
  }
  return documents;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function timed<T>(work: () => Promise<T> | T): Promise<{ ms: number; value: T }> {
  const start = process.hrtime.bigint();
  const value = await work();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, value };
}

/** Charts in the shapes real ones use: CRDs in crds/ and under a values condition in templates/. */
function charts(count: number): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (let i = 0; i < count; i++) {
    const files: Record<string, string> = { "Chart.yaml": chartYaml(`chart-${i}`, "1.0.0"), "values.yaml": "crds:\n  enabled: true\n" };
    for (let k = 0; k < 4; k++) files[`crds/c${k}.yaml`] = crd(`g${i}.bench.example.io`, `Kind${k}`);
    files["templates/crds.yaml"] = `{{- if .Values.crds.enabled }}\n${crd(`t${i}.bench.example.io`, "Templated")}{{- end }}\n`;
    for (let k = 0; k < 20; k++) files[`templates/deploy-${k}.yaml`] = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n";
    out[`chart-${i}-1.0.0.tgz`] = chartArchive(`chart-${i}`, files);
  }
  return out;
}

/**
 * Stand-ins for the charts the generated repository installs from https://charts.example.com/<repo>
 * (bench/generate.ts): each installs the groups the table gives it, from crds/. Served through
 * `--chart-mirror https://charts.example.com=<loopback>/ext`, so the whole repository is locked.
 */
function standIns(): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const [repoName, chart] of [["jetstack", "cert-manager"], ...["kube-prometheus-stack", "external-secrets", "flagger", "velero", "kyverno", "traefik"].map((c) => [c, c])]) {
    const files: Record<string, string> = { "Chart.yaml": chartYaml(chart, "1.16.2") };
    (providerTable().get(chart)?.groups ?? []).forEach((g, k) => (files[`crds/c${k}.yaml`] = crd(g, `Kind${k}`)));
    out.set(`/ext/${repoName}/index.yaml`, Buffer.from(`apiVersion: v1\nentries:\n  ${chart}:\n    - name: ${chart}\n      version: 1.16.2\n      urls: [${chart}.tgz]\n`));
    out.set(`/ext/${repoName}/${chart}.tgz`, chartArchive(chart, files));
  }
  return out;
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: {
    kustomizations: { type: "string", default: "500" }, charts: { type: "string", default: "50" },
    latency: { type: "string", default: "40" }, runs: { type: "string", default: "3" },
  } });
  const n = Number(values.kustomizations);
  const count = Number(values.charts);
  const wantedLatency = Number(values.latency);
  let latency = 0;
  const runs = Number(values.runs);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "gitops-bench-charts-"));
  const archives = charts(count);
  const hits = new Map<string, number>();
  const external = standIns();
  const server = http.createServer((req, res) => {
    const p = (req.url ?? "").split("?")[0];
    hits.set(p, (hits.get(p) ?? 0) + 1);
    const body = p === "/index.yaml" ? indexYaml(archives) : external.get(p) ?? archives[p.replace(/^\/charts\//, "")];
    setTimeout(() => {
      res.statusCode = body === undefined ? 404 : 200;
      res.end(body);
    }, latency);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  let failed = false;
  try {
    const repo = generateRepository(path.join(root, "repo"), n);
    const releases: string[] = [`apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: bench\n  namespace: flux-system\nspec:\n  url: ${url}\n`];
    for (let i = 0; i < count; i++) {
      releases.push(`apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: chart-${i}\n  namespace: flux-system\nspec:\n  chart:\n    spec:\n      chart: chart-${i}\n      version: "1.x"\n      sourceRef:\n        kind: HelmRepository\n        name: bench\n`);
    }
    fs.writeFileSync(path.join(repo.dir, BENCH_CLUSTER, "charts.yaml"), releases.join("---\n"));
    const access = { offline: false, mirrors: [{ from: "https://charts.example.com", to: `${url}/ext` }], cacheDir: path.join(root, "cache") };

    // Cold: an empty cache, every chart over the loopback network, first without latency, then with it.
    await lockCharts(repo.dir, [BENCH_CLUSTER], {}, { ...access, cacheDir: path.join(root, "warm-up") }, true); // loading and JIT
    const own = await timed(() => lockCharts(repo.dir, [BENCH_CLUSTER], {}, { ...access, cacheDir: path.join(root, "cache0") }, true));
    hits.clear();
    latency = wantedLatency;
    const cold = await timed(() => lockCharts(repo.dir, [BENCH_CLUSTER], {}, access, true));
    const requests = [...hits.values()].reduce((a, b) => a + b, 0);
    const sequential = requests * latency;
    const network = cold.ms - own.ms;
    const fetchedTwice = [...hits].filter(([, c]) => c > 1).map(([p]) => p);
    for (const f of cold.value.failures.slice(0, 3)) process.stdout.write(`  failure: ${f}\n`);
    process.stdout.write(`cold lock of ${count} charts (+${cold.value.charts.length - count} the repository names): ${cold.ms.toFixed(0)} ms at ${latency} ms a request, ${own.ms.toFixed(0)} ms without: the network adds ${network.toFixed(0)} ms; ${requests} requests one after another would take ${sequential} ms; ${cold.value.failures.length} failures, ${fetchedTwice.length} fetched twice\n`);
    if (cold.value.failures.length > 0 || fetchedTwice.length > 0 || network > sequential * TARGET_COLD_OVER_SEQUENTIAL) {
      process.stdout.write(`  MISSED: every chart once, in at most ${TARGET_COLD_OVER_SEQUENTIAL}x the sequential time\n`);
      failed = true;
    }

    // Warm: the lock holds every chart; verify reads it, nothing is fetched.
    const before = [...hits.values()].reduce((a, b) => a + b, 0);
    await verifyWithCharts(repo.dir, BENCH_CLUSTER, {}, access); // warm-up: loading and JIT
    const floor: number[] = [];
    const verify: number[] = [];
    for (let i = 0; i < runs; i++) {
      floor.push((await timed(() => {
        readAndParseAll(repo.dir);
        JSON.parse(fs.readFileSync(path.join(repo.dir, LOCK_FILE), "utf8"));
      })).ms);
      verify.push((await timed(() => verifyWithCharts(repo.dir, BENCH_CLUSTER, {}, access))).ms);
    }
    const ratio = median(verify) / median(floor);
    const fetched = [...hits.values()].reduce((a, b) => a + b, 0) - before;
    process.stdout.write(`warm verify of ${n} Kustomizations + ${count} locked charts: ${median(verify).toFixed(0)} ms, floor (read and parse the repository and the lock) ${median(floor).toFixed(0)} ms: ${ratio.toFixed(2)}x (target <= ${TARGET_WARM_OVER_FLOOR}x); ${fetched} requests\n`);
    if (ratio > TARGET_WARM_OVER_FLOOR || fetched > 0) {
      process.stdout.write("  MISSED\n");
      failed = true;
    }
  } finally {
    server.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
  return failed ? 1 : 0;
}

main().then((code) => process.exit(code), (err) => {
  process.stderr.write(`bench: ${(err as Error).stack ?? err}\n`);
  process.exit(3);
});
