import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { spawn, spawnSync, ChildProcess } from "child_process";
import * as tar from "tar";

/** A temporary directory removed by the caller (tests remove theirs in `after`). */
export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `gitops-charts-${prefix}-`));
}

/** A chart archive built from files (`Chart.yaml`, `templates/x.yaml`...) under a top directory `name`. */
export function chartArchive(name: string, files: Record<string, string | Buffer>): Buffer {
  const dir = tempDir("build");
  try {
    for (const [rel, content] of Object.entries(files)) {
      const file = path.join(dir, name, rel);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content);
    }
    const out = path.join(dir, "chart.tgz");
    tar.c({ gzip: true, file: out, cwd: dir, sync: true, portable: true }, [name]);
    return fs.readFileSync(out);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function crd(group: string, kind: string): string {
  return `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: ${kind.toLowerCase()}s.${group}
spec:
  group: ${group}
  names:
    kind: ${kind}
    plural: ${kind.toLowerCase()}s
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
`;
}

export function chartYaml(name: string, version: string, extra = ""): string {
  return `apiVersion: v2\nname: ${name}\nversion: ${version}\n${extra}`;
}

/**
 * The test charts, in the shapes real charts use (named after the chart each imitates, none copied):
 * crds/; templates under `if .Values.crds.enabled`, `if or .Values.installCRDs .Values.crds.enabled`,
 * `if .Values.crds.install`; a CRD subchart with a `condition:`; an aliased dependency; a templated
 * group; a chart with none; a webhook with `failurePolicy: Fail`.
 */
export function testCharts(): Record<string, Buffer> {
  const sub = chartArchive("crds", {
    "Chart.yaml": chartYaml("crds", "0.1.0"),
    "crds/monitors.yaml": crd("monitoring.example.io", "Monitor"),
  });
  const base = chartArchive("base-crds", {
    "Chart.yaml": chartYaml("base-crds", "1.0.0"),
    "templates/crd.yaml": `{{- if .Values.enabled }}\n${crd("extra.example.io", "Extra")}{{- end }}\n`,
    "values.yaml": "enabled: false\n",
  });
  return {
    "plain-crds-1.0.0.tgz": chartArchive("plain-crds", { "Chart.yaml": chartYaml("plain-crds", "1.0.0"), "crds/widgets.yaml": crd("widgets.example.io", "Widget") }),
    "plain-crds-1.1.0.tgz": chartArchive("plain-crds", { "Chart.yaml": chartYaml("plain-crds", "1.1.0"), "crds/widgets.yaml": crd("widgets.example.io", "Widget") }),
    "plain-crds-2.0.0-rc.1.tgz": chartArchive("plain-crds", { "Chart.yaml": chartYaml("plain-crds", "2.0.0-rc.1"), "crds/widgets.yaml": crd("widgets.example.io", "Widget") }),
    "enabled-crds-1.0.0.tgz": chartArchive("enabled-crds", {
      "Chart.yaml": chartYaml("enabled-crds", "1.0.0"),
      "values.yaml": "crds:\n  enabled: false\n",
      "templates/crds.yaml": `{{- if .Values.crds.enabled }}\n${crd("enabled.example.io", "Thing")}{{- end }}\n`,
      "templates/deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n",
    }),
    "legacy-crds-1.0.0.tgz": chartArchive("legacy-crds", {
      "Chart.yaml": chartYaml("legacy-crds", "1.0.0"),
      "values.yaml": "installCRDs: false\ncrds:\n  enabled: false\n",
      "templates/crd-certs.yaml": `{{- if or .Values.installCRDs .Values.crds.enabled }}\n${crd("legacy.example.io", "Cert")}{{- end }}\n`,
    }),
    "install-crds-1.0.0.tgz": chartArchive("install-crds", {
      "Chart.yaml": chartYaml("install-crds", "1.0.0"),
      "values.yaml": "crds:\n  install: true\n",
      "templates/crds/policies.yaml": `{{- if .Values.crds.install }}\n${crd("policies.example.io", "Policy")}---\n${crd("reports.example.io", "Report")}{{- end }}\n`,
    }),
    "stack-1.0.0.tgz": chartArchive("stack", {
      "Chart.yaml": chartYaml("stack", "1.0.0", "dependencies:\n  - name: crds\n    version: 0.1.0\n    condition: crds.enabled\n  - name: base-crds\n    alias: extra\n    version: \">=1.0.0\"\n    condition: extra.install\n"),
      "values.yaml": "crds:\n  enabled: true\nextra:\n  install: false\n  enabled: true\n",
      "charts/crds-0.1.0.tgz": sub,
      "charts/base-crds-1.0.0.tgz": base,
    }),
    "templated-1.0.0.tgz": chartArchive("templated", {
      "Chart.yaml": chartYaml("templated", "1.0.0"),
      "values.yaml": "group: valued.example.io\n",
      "templates/crd.yaml": crd("{{ .Values.group }}", "Valued") + "---\n" + crd("{{ include \"templated.group\" . }}", "Opaque"),
    }),
    "none-1.0.0.tgz": chartArchive("none", { "Chart.yaml": chartYaml("none", "1.0.0"), "templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n" }),
    "webhook-1.0.0.tgz": chartArchive("webhook", {
      "Chart.yaml": chartYaml("webhook", "1.0.0"),
      "values.yaml": "webhook:\n  enabled: true\n",
      "templates/webhook.yaml": `{{- if .Values.webhook.enabled }}
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: {{ .Release.Name }}-validate
webhooks:
  - name: validate.webhook.example.io
    failurePolicy: Fail
    namespaceSelector:
      matchExpressions:
        - key: control-plane
          operator: DoesNotExist
    rules:
      - apiGroups: [""]
        apiVersions: ["v1"]
        operations: ["CREATE", "UPDATE"]
        resources: ["pods"]
{{- end }}
`,
    }),
  };
}

/** index.yaml for archives named `<chart>-<version>.tgz`, newest first per chart, with sha256 digests. */
export function indexYaml(archives: Record<string, Buffer>): string {
  const entries: Record<string, { version: string; digest: string; url: string }[]> = {};
  for (const [file, data] of Object.entries(archives)) {
    const m = /^(.*)-(\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?)\.tgz$/.exec(file);
    if (m === null) continue;
    (entries[m[1]] ??= []).push({ version: m[2], digest: crypto.createHash("sha256").update(data).digest("hex"), url: `charts/${file}` });
  }
  const lines = ["apiVersion: v1", "entries:"];
  for (const [name, list] of Object.entries(entries)) {
    lines.push(`  ${name}:`);
    for (const e of list.reverse()) lines.push(`    - name: ${name}`, `      version: ${e.version}`, `      digest: ${e.digest}`, `      urls: [${e.url}]`);
  }
  return `${lines.join("\n")}\n`;
}

/** A static HTTP Helm repository on loopback: `routes` maps a path to a body, or to a handler. */
export async function staticServer(routes: Record<string, Buffer | string | ((req: http.IncomingMessage, res: http.ServerResponse) => void)>): Promise<{ url: string; close: () => Promise<void>; hits: Map<string, number> }> {
  const hits = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const p = (req.url ?? "/").split("?")[0];
    hits.set(p, (hits.get(p) ?? 0) + 1);
    const route = routes[p];
    if (route === undefined) {
      res.statusCode = 404;
      res.end("not found");
    } else if (typeof route === "function") route(req, res);
    else res.end(route);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/**
 * Debian's `docker-registry` (the CNCF distribution registry) on a loopback port with storage in a
 * temporary directory. Missing binary: an error that says how to install it, never a skip.
 */
export async function startRegistry(): Promise<{ url: string; host: string; stop: () => void }> {
  const binary = ["/usr/bin/docker-registry", "/usr/local/bin/registry"].find((b) => fs.existsSync(b));
  if (binary === undefined) throw new Error("docker-registry is required for the OCI chart tests: apt-get install docker-registry (.ci/run installs it)");
  const dir = tempDir("registry");
  const port = await freePort();
  const config = path.join(dir, "config.yml");
  fs.writeFileSync(config, `version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: ${dir}/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:${port}
`);
  const child: ChildProcess = spawn(binary, ["serve", config], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d) => (stderr += d));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      const r = await fetch(`${url}/v2/`);
      if (r.status === 200) break;
    } catch {
      if (child.exitCode !== null) throw new Error(`docker-registry exited: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
    if (i === 99) throw new Error(`docker-registry did not answer on ${url}: ${stderr}`);
  }
  return { url, host: `127.0.0.1:${port}`, stop: () => {
    child.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  } };
}

async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Pushes a chart archive to a registry as Helm does: config and chart layer blobs, then the manifest under a tag. */
export async function pushChart(registry: string, name: string, tag: string, archive: Buffer): Promise<string> {
  const config = Buffer.from(JSON.stringify({ name: name.split("/").pop(), version: tag.replace(/_/g, "+"), apiVersion: "v2" }));
  const digest = (b: Buffer) => `sha256:${crypto.createHash("sha256").update(b).digest("hex")}`;
  for (const blob of [config, archive]) {
    const start = await fetch(`${registry}/v2/${name}/blobs/uploads/`, { method: "POST" });
    if (start.status !== 202) throw new Error(`upload start: ${start.status}`);
    const location = new URL(start.headers.get("location")!, registry);
    location.searchParams.set("digest", digest(blob));
    const put = await fetch(location, { method: "PUT", body: blob, headers: { "Content-Type": "application/octet-stream" } });
    if (put.status !== 201) throw new Error(`upload: ${put.status} ${await put.text()}`);
  }
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.cncf.helm.config.v1+json", digest: digest(config), size: config.length },
    layers: [{ mediaType: "application/vnd.cncf.helm.chart.content.v1.tar+gzip", digest: digest(archive), size: archive.length }],
  }));
  const res = await fetch(`${registry}/v2/${name}/manifests/${tag}`, { method: "PUT", body: manifest, headers: { "Content-Type": "application/vnd.oci.image.manifest.v1+json" } });
  if (res.status !== 201) throw new Error(`manifest: ${res.status} ${await res.text()}`);
  return digest(manifest);
}

export function hasBinary(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`]).status === 0;
}
