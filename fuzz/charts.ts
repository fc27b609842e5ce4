/**
 * Chart archives and Helm repository indexes in `npm run fuzz`: a seed directory holding a chart
 * (in the shapes of test/charts: crds/, templates under conditions, a subchart, a webhook), its
 * index.yaml and a cluster whose HelmRelease installs it from a loopback Helm repository. The
 * usual YAML mutations apply to its files; after them the chart is packaged, and some mutants also
 * get an archive mutation (truncated, corrupted, path traversal, symlink, a gzip bomb, thousands of
 * files) or an index mutation (an alias bomb, a wrong shape). Commands: `charts show --archive`
 * and `charts lock` against the loopback server, whose cache is inside the mutant.
 */
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import * as zlib from "zlib";
import * as tar from "tar";

interface Rng {
  int(n: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
}

const CRD = (group: string, kind: string) => `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: ${kind.toLowerCase()}s.${group}
spec:
  group: ${group}
  names:
    kind: ${kind}
    plural: ${kind.toLowerCase()}s
  scope: Namespaced
  versions: [{name: v1, served: true, storage: true}]
`;

/** Writes the chart seed under `dir`: chart/ (the chart's files), serve/ (what the server serves), the cluster. */
export function writeChartSeed(dir: string): void {
  const files: Record<string, string> = {
    "chart/Chart.yaml": "apiVersion: v2\nname: fuzzed\nversion: 1.0.0\ndependencies:\n  - name: sub\n    version: 0.1.0\n    condition: sub.enabled\n    alias: extra\n",
    "chart/values.yaml": "crds:\n  enabled: true\n  install: &on true\ninstallCRDs: false\nsub:\n  enabled: *on\nwebhook: {enabled: true}\n",
    "chart/crds/plain.yaml": CRD("plain.fuzz.example.io", "Plain"),
    "chart/templates/crds.yaml": `{{- if or .Values.installCRDs .Values.crds.enabled }}\n${CRD("templated.fuzz.example.io", "Templated")}---\n${CRD("{{ .Values.group | default \"valued.fuzz.example.io\" }}", "Valued")}{{- end }}\n`,
    "chart/templates/webhook.yaml": "{{- if .Values.webhook.enabled }}\napiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata:\n  name: w\nwebhooks:\n  - name: w.fuzz.example.io\n    failurePolicy: Fail\n    rules: [{apiGroups: [\"\"], apiVersions: [v1], operations: [CREATE], resources: [pods]}]\n{{- end }}\n",
    "chart/charts/sub/Chart.yaml": "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
    "chart/charts/sub/templates/crd.yaml": `{{- if .Values.crds.install }}\n${CRD("sub.fuzz.example.io", "Sub")}{{- end }}\n`,
    "chart/charts/sub/values.yaml": "crds:\n  install: true\n",
    "serve/index.yaml": "apiVersion: v1\nentries:\n  fuzzed:\n    - name: fuzzed\n      version: 1.0.0\n      urls: [fuzzed-1.0.0.tgz]\n    - name: fuzzed\n      version: 0.9.0\n      urls: [fuzzed-0.9.0.tgz]\n",
    "clusters/dev/release.yaml": "apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: fuzz\n  namespace: flux-system\nspec:\n  url: {{SERVER}}\n---\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: fuzzed\n  namespace: flux-system\nspec:\n  chart:\n    spec:\n      chart: fuzzed\n      version: \">= 0.9, < 2\"\n      sourceRef:\n        kind: HelmRepository\n        name: fuzz\n  values:\n    crds:\n      enabled: true\n",
  };
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
}

function pack(dir: string, entries: string[], cwd: string): Buffer {
  const out = path.join(dir, ".pack.tgz");
  tar.c({ gzip: true, file: out, cwd, sync: true, portable: true }, entries);
  const data = fs.readFileSync(out);
  fs.rmSync(out);
  return data;
}

const ARCHIVE_MUTATIONS: Record<string, (dir: string, archive: Buffer, r: Rng) => Buffer> = {
  truncate: (_d, a, r) => a.subarray(0, r.int(a.length)),
  corrupt: (_d, a, r) => {
    const b = Buffer.from(a);
    for (let i = 0; i < 1 + r.int(8); i++) b[r.int(b.length)] = r.int(256);
    return b;
  },
  notGzip: () => Buffer.from("<html>not found</html>"),
  gzipBomb: () => zlib.gzipSync(Buffer.alloc(150 * 1024 * 1024)),
  traversal: (dir) => {
    const build = path.join(dir, ".trav");
    fs.mkdirSync(path.join(build, "fuzzed"), { recursive: true });
    fs.writeFileSync(path.join(build, "fuzzed", "Chart.yaml"), "apiVersion: v2\nname: fuzzed\nversion: 1.0.0\n");
    const data = pack(dir, ["fuzzed"], build);
    fs.rmSync(build, { recursive: true });
    // tar refuses to write `..` entries, so the name is rewritten in the raw tar: ../../../escaped.
    const raw = zlib.gunzipSync(data);
    const at = raw.indexOf(Buffer.from("fuzzed/Chart.yaml"));
    if (at >= 0) Buffer.from("../../../escaped.yml\0").copy(raw, at);
    return zlib.gzipSync(raw);
  },
  symlink: (dir) => {
    const build = path.join(dir, ".link");
    fs.mkdirSync(path.join(build, "fuzzed", "crds"), { recursive: true });
    fs.writeFileSync(path.join(build, "fuzzed", "Chart.yaml"), "apiVersion: v2\nname: fuzzed\nversion: 1.0.0\n");
    fs.symlinkSync("/etc/passwd", path.join(build, "fuzzed", "crds", "passwd.yaml"));
    const data = pack(dir, ["fuzzed"], build);
    fs.rmSync(build, { recursive: true });
    return data;
  },
  manyFiles: (dir) => {
    const build = path.join(dir, ".many");
    fs.mkdirSync(path.join(build, "fuzzed", "templates"), { recursive: true });
    fs.writeFileSync(path.join(build, "fuzzed", "Chart.yaml"), "apiVersion: v2\nname: fuzzed\nversion: 1.0.0\n");
    for (let i = 0; i < 10_000; i++) fs.writeFileSync(path.join(build, "fuzzed", "templates", `f${i}.yaml`), "a: 1\n");
    const data = pack(dir, ["fuzzed"], build);
    fs.rmSync(build, { recursive: true });
    return data;
  },
};

const INDEX_MUTATIONS: Record<string, (text: string, r: Rng) => string> = {
  aliasBomb: () => {
    let t = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
    for (let i = 0; i < 12; i++) t += `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(", ")}]\n`;
    return `${t}entries: {}\n`;
  },
  noEntries: () => "apiVersion: v1\n",
  wrongShape: () => "entries:\n  fuzzed: 12\n",
  hugeVersion: (t) => t.replace("version: 1.0.0", `version: ${"9".repeat(5000)}.0.0`),
  absoluteUrl: (t) => t.replace("urls: [fuzzed-1.0.0.tgz]", "urls: [http://127.0.0.1:1/x.tgz]"),
};

/** After the YAML mutations: package chart/ into serve/fuzzed-1.0.0.tgz, perhaps mutate it or the index; returns what was done. */
export function prepareChartMutant(dir: string, r: Rng, serverUrl: string): string {
  const done: string[] = [];
  let archive: Buffer;
  try {
    archive = pack(dir, ["fuzzed"], (() => {
      fs.renameSync(path.join(dir, "chart"), path.join(dir, "fuzzed"));
      return dir;
    })());
  } catch (err) {
    archive = Buffer.from((err as Error).message);
    done.push("pack failed");
  }
  if (fs.existsSync(path.join(dir, "fuzzed"))) fs.renameSync(path.join(dir, "fuzzed"), path.join(dir, "chart"));
  if (r.chance(0.3)) {
    const name = r.pick(Object.keys(ARCHIVE_MUTATIONS));
    archive = ARCHIVE_MUTATIONS[name](dir, archive, r);
    done.push(`archive ${name}`);
  }
  fs.mkdirSync(path.join(dir, "serve"), { recursive: true });
  fs.writeFileSync(path.join(dir, "serve", "fuzzed-1.0.0.tgz"), archive);
  fs.writeFileSync(path.join(dir, "chart.tgz"), archive);
  const index = path.join(dir, "serve", "index.yaml");
  if (fs.existsSync(index) && r.chance(0.15)) {
    const name = r.pick(Object.keys(INDEX_MUTATIONS));
    fs.writeFileSync(index, INDEX_MUTATIONS[name](fs.readFileSync(index, "utf8"), r));
    done.push(`index ${name}`);
  }
  const release = path.join(dir, "clusters", "dev", "release.yaml");
  if (fs.existsSync(release)) fs.writeFileSync(release, fs.readFileSync(release, "utf8").replace("{{SERVER}}", serverUrl));
  return done.join(", ") || "packaged";
}

/** A loopback server for every mutant: /m<index>/<file> is <work>/m<index>/serve/<file>; a redirect loop at /loop. */
export async function chartServer(work: string): Promise<{ url: string; close: () => void }> {
  const server = http.createServer((req, res) => {
    const m = /^\/(m\d+)\/([A-Za-z0-9._-]+)$/.exec((req.url ?? "").split("?")[0]);
    if (req.url?.startsWith("/loop")) {
      res.statusCode = 302;
      res.setHeader("Location", req.url);
      res.end();
      return;
    }
    const file = m === null ? undefined : path.join(work, m[1], "serve", m[2]);
    if (file === undefined || !fs.existsSync(file)) {
      res.statusCode = 404;
      res.end();
      return;
    }
    res.end(fs.readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, close: () => server.close() };
}
