import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { materialiseArtifact } from "../../gitops/read/artifact-generator";
import { readBootstrapFile } from "../../gitops/read/helmfile";
import { Finding, VerifyOptions } from "../../gitops/model";
import { providerTable } from "../../gitops/charts/table";
import { Repo } from "../../gitops/read/repo";
import { normaliseGitUrl, parseSourceMapping } from "../../gitops/read/sources";
import { verifyRepository } from "../../gitops/verify";
import { FIXTURES, fluxKustomization, writeRepo } from "./helpers";

const brief = (f: Finding) => `${f.severity} ${f.rule} ${f.kustomization ?? "-"} ${f.file}:${f.line}`;
/** What a user must act on: notes only say what was read and how. */
const actionable = (findings: Finding[]) => findings.filter((f) => f.severity !== "note").map(brief);

/**
 * Fixtures in the shape real repositories use, one per construct the check must read: the broken
 * variant gives exactly its finding, the fixed one none (notes aside, which say what was read).
 */
const constructs: Record<string, { cluster?: string; options?: (dir: string) => VerifyOptions; broken: string[] }> = {
  "self-source-renamed": {
    broken: ["error consumer-without-provider flux-system/cert-manager-config clusters/dev/cert-manager-config.yaml:1"],
  },
  "artifact-generator": {
    broken: ["error consumer-without-provider flux-system/infra-configs clusters/dev/infrastructure.yaml:15"],
  },
  "oci-source-mapped": {
    options: () => ({ sources: [{ source: "OCIRepository/flux-system/apps", dir: "apps-artifact" }] }),
    broken: ["error consumer-without-provider flux-system/apps clusters/dev/apps.yaml:1"],
  },
  "root-objects": {
    broken: ["error crs-with-their-helmrelease flux-system/flux-system clusters/dev:0"],
  },
  "committed-root-substitution": {
    broken: [
      "error unsubstituted-variable flux-system/flux-system clusters/dev/backup-script.yaml:1",
      "error unsubstituted-variable flux-system/flux-system clusters/dev/backup-script.yaml:1",
    ],
  },
  "helmfile-bootstrap": {
    broken: ["error consumer-without-provider flux-system/flux-monitoring clusters/dev/flux-monitoring.yaml:1"],
  },
  "health-check-per-release": {
    broken: ["warning provider-not-ready flux-system/infrastructure clusters/dev/infrastructure.yaml:1"],
  },
  "crds-skipped-unseen-source": {
    broken: ["warning crds-skipped flux-system/flagger-install clusters/dev/flagger.yaml:1"],
  },
};

describe("sources and bootstrap fixtures (test/fixtures/ordering)", () => {
  for (const [construct, want] of Object.entries(constructs)) {
    describe(construct, () => {
      const run = (variant: string) => {
        const dir = path.join(FIXTURES, construct, variant);
        return verifyRepository(dir, want.cluster ?? "clusters/dev", want.options?.(dir) ?? {});
      };
      it(`broken: exactly ${want.broken.length === 1 ? "its finding" : "its findings"}`, () => {
        assert.deepStrictEqual(actionable(run("broken").findings), want.broken);
      });
      it("fixed: nothing to act on", () => {
        assert.deepStrictEqual(actionable(run("fixed").findings), []);
      });
    });
  }

  it("a GitRepository with the root's URL in another form (host case, .git) is this repository, and its spec.ignore applies", () => {
    const result = verifyRepository(path.join(FIXTURES, "self-source-renamed/fixed"), "clusters/dev");
    assert.strictEqual(result.summary.unread, 0);
    const config = result.kustomizations.find((k) => k.name === "cert-manager-config")!;
    assert.deepStrictEqual(config.objects.map((o) => `${o.kind}/${o.name}`), ["ClusterIssuer/selfsigned"]);
  });

  it("the artifact is replayed from the checkout: excluded files stay out, findings point at the repository's files", () => {
    const result = verifyRepository(path.join(FIXTURES, "artifact-generator/fixed"), "clusters/dev");
    const configs = result.kustomizations.find((k) => k.name === "infra-configs")!;
    assert.deepStrictEqual(configs.objects.map((o) => `${o.kind}/${o.name} ${o.source.file}`),
      ["ClusterIssuer/selfsigned infrastructure/configs/issuer.yaml"]);
    assert.strictEqual(result.summary.unread, 0);
  });

  it("this repository on another branch (a tenant's) is not the checkout: unread, with how to map it", () => {
    const gitRepository = (name: string, branch: string) =>
      `apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {name: ${name}, namespace: flux-system}\nspec: {url: https://github.com/acme/fleet, ref: {branch: ${branch}}}\n`;
    const root = writeRepo({
      "clusters/dev/flux-system/gotk-sync.yaml": gitRepository("flux-system", "main") + "---\n" + fluxKustomization("flux-system", { path: "./clusters/dev" }),
      "clusters/dev/tenant.yaml": gitRepository("team-a", "team-a") + "---\n"
        + fluxKustomization("team-a", { path: "./staging" }).replace("name: flux-system, namespace: flux-system}", "name: team-a}"),
    });
    const result = verifyRepository(root, "clusters/dev");
    assert.deepStrictEqual([result.summary.unread, actionable(result.findings)], [1, []]);
    assert.match(result.findings[0].message, /clones this repository's branch team-a, and the checkout stands for main/);
  });

  it("an unmapped OCIRepository is counted unread and says how to map it", () => {
    const result = verifyRepository(path.join(FIXTURES, "oci-source-mapped/broken"), "clusters/dev");
    assert.deepStrictEqual([result.summary.unread, result.summary.kustomizations, actionable(result.findings)], [1, 3, []]);
    const note = result.findings.find((f) => f.rule === "unresolved-reference")!;
    assert.match(note.fix, /--source OCIRepository\/flux-system\/apps=DIR/);
  });

  it("the committed root without postBuild applies ${VAR} literally: a note, not an error; --bootstrap stack substitutes from cluster-vars", () => {
    const dir = path.join(FIXTURES, "committed-root-substitution/fixed");
    const committed = verifyRepository(dir, "clusters/dev");
    assert.deepStrictEqual(committed.findings.filter((f) => f.rule === "unsubstituted-variable").map((f) => f.severity), ["note", "note"]);
    const stack = verifyRepository(dir, "clusters/dev", { bootstrap: "stack" });
    // The stack's root defines CLUSTER_NAME; HOME is not a cluster variable, so Flux would empty it.
    assert.deepStrictEqual(actionable(stack.findings.filter((f) => f.rule === "unsubstituted-variable")),
      ["error unsubstituted-variable flux-system/flux-system clusters/dev/backup-script.yaml:1"]);
    assert.match(stack.findings.find((f) => f.severity === "error")!.message, /\$\{HOME\}/);
  });

  it("the helmfile's groups count as installed before Flux, with a note naming the file", () => {
    const result = verifyRepository(path.join(FIXTURES, "helmfile-bootstrap/fixed"), "clusters/dev");
    const note = result.findings.find((f) => f.rule === "installed-before-flux")!;
    assert.deepStrictEqual([note.severity, note.file], ["note", "bootstrap/helmfile/crds.yaml"]);
    assert.match(note.message, /installs monitoring\.coreos\.com before Flux starts/);
  });

  it("the real defect stays an error: a PodMonitor beside the kube-prometheus-stack release that installs its CRD, unknown bootstrap releases or not", () => {
    const root = writeRepo({
      "clusters/dev/monitoring.yaml": fluxKustomization("monitoring", { path: "./monitoring", wait: true }),
      "monitoring/release.yaml": "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: kps, namespace: monitoring}\nspec:\n  chart: {spec: {chart: kube-prometheus-stack, sourceRef: {kind: HelmRepository, name: prom}}}\n",
      "monitoring/podmonitor.yaml": "apiVersion: monitoring.coreos.com/v1\nkind: PodMonitor\nmetadata: {name: flux, namespace: monitoring}\n",
      "bootstrap/helmfile.yaml": "releases:\n  - name: something-unknown\n    chart: acme/something-unknown\n",
    });
    assert.deepStrictEqual(actionable(verifyRepository(root, "clusters/dev").findings),
      ["error crs-with-their-helmrelease flux-system/monitoring clusters/dev/monitoring.yaml:1"]);
  });

  it("--bootstrap-file names a CRD manifest outside the usual places", () => {
    const root = writeRepo({
      "clusters/dev/app.yaml": fluxKustomization("app", { path: "./app" }),
      "app/monitor.yaml": "apiVersion: monitoring.coreos.com/v1\nkind: PodMonitor\nmetadata: {name: a, namespace: default}\n",
      "setup/crds.yaml": "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: podmonitors.monitoring.coreos.com}\nspec: {group: monitoring.coreos.com}\n",
    });
    assert.deepStrictEqual(actionable(verifyRepository(root, "clusters/dev").findings), ["warning unknown-group flux-system/app clusters/dev/app.yaml:1"]);
    assert.deepStrictEqual(actionable(verifyRepository(root, "clusters/dev", { bootstrapFiles: ["setup/crds.yaml"] }).findings), []);
  });

  it("names the Flux source root when every spec.path exists only under an ancestor of the cluster path", () => {
    const result = verifyRepository(path.join(FIXTURES, "source-root-subdirectory/broken"), "gitops/clusters/dev");
    // One warning that names the root, not one error per path.
    assert.deepStrictEqual(actionable(result.findings), ["warning missing-path - gitops/clusters/dev:0"]);
    const hint = result.findings.find((f) => /source root is probably gitops/.test(f.message))!;
    assert.strictEqual(hint.fix, "run verify with --repo <repository>/gitops --cluster clusters/dev");
    assert.deepStrictEqual(verifyRepository(path.join(FIXTURES, "source-root-subdirectory/fixed"), "clusters/dev").findings, []);
  });

  it("`--cluster .` and `spec.path: ./` read the repository root as the cluster path", () => {
    const root = writeRepo({
      "flux.yaml": fluxKustomization("app", { path: "./app", wait: true }),
      "app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: default}\n",
      ".github/workflows/ci.yaml": "on: push\n",
    });
    const result = verifyRepository(root, ".");
    // The root applies the whole tree (.github/ is ignored by source-controller), app/ included.
    assert.deepStrictEqual(result.kustomizations.map((k) => [k.id, k.objects.map((o) => o.kind)]),
      [["flux-system/app", ["ConfigMap"]], ["flux-system/flux-system", ["ConfigMap", "Kustomization"]]]);
    const single = writeRepo({
      "clusters/dev/flux-system/gotk-sync.yaml": fluxKustomization("flux-system", { path: "./" }),
      "clusters/dev/flux-system/kustomization.yaml": "resources: [gotk-sync.yaml]\n",
      "kustomization.yaml": "resources: [clusters/dev/flux-system, cm.yaml]\n",
      "cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: default}\n",
    });
    assert.deepStrictEqual(actionable(verifyRepository(single, ".").findings), []);
  });
});

describe("normaliseGitUrl", () => {
  it("gives scp, ssh://, https and .git forms of one repository the same identity, host case aside", () => {
    const forms = ["git@github.com:acme/fleet.git", "ssh://git@github.com/acme/fleet", "ssh://git@GitHub.com:22/acme/fleet.git",
      "https://github.com/acme/fleet.git/", "https://token@github.com/acme/fleet"];
    assert.deepStrictEqual(new Set(forms.map(normaliseGitUrl)), new Set(["github.com/acme/fleet"]));
    assert.notStrictEqual(normaliseGitUrl("git@github.com:acme/fleet-apps.git"), normaliseGitUrl("git@github.com:acme/fleet.git"));
  });
});

describe("parseSourceMapping", () => {
  it("reads KIND/NAMESPACE/NAME=DIR and refuses what is not one", () => {
    assert.deepStrictEqual(parseSourceMapping("OCIRepository/flux-system/apps=../out"), { source: "OCIRepository/flux-system/apps", dir: "../out" });
    assert.match(parseSourceMapping("flux-system/apps=../out") as string, /is not KIND\/NAMESPACE\/NAME=DIR/);
    assert.match(parseSourceMapping("Deployment/default/x=d") as string, /not a Flux source kind/);
  });
});

describe("materialiseArtifact (source-watcher copy semantics)", () => {
  const src = () => new Repo(writeRepo({
    "apps/base/a.yaml": "a: 1\n",
    "apps/base/sub/b.yaml": "b: 1\n",
    "apps/base/README.md": "x\n",
    "apps/values.yaml": "x: {y: 1, z: [1]}\n",
    "apps/prod-values.yaml": "x: {z: [2]}\n",
  }));
  const files = (dir: string): string[] => {
    const out: string[] = [];
    const walk = (d: string) => {
      for (const e of fs.readdirSync(path.join(dir, d), { withFileTypes: true })) {
        const rel = d === "" ? e.name : `${d}/${e.name}`;
        if (e.isDirectory()) walk(rel);
        else out.push(rel);
      }
    };
    walk("");
    return out.sort();
  };
  const made: string[] = [];
  after(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  const run = (copies: Parameters<typeof materialiseArtifact>[0]) => {
    const r = materialiseArtifact(copies, new Map([["repo", src()]]));
    made.push(r.dir);
    return r;
  };

  it("`dir/**` copies the contents, `dir/` the directory itself, exclude by file name at any depth", () => {
    const r = run([
      { from: "@repo/apps/base/**", to: "@artifact/flat/", exclude: ["*.md"] },
      { from: "@repo/apps/base", to: "@artifact/nested/" },
    ]);
    assert.deepStrictEqual(files(r.dir), ["flat/a.yaml", "flat/sub/b.yaml", "nested/base/README.md", "nested/base/a.yaml", "nested/base/sub/b.yaml"]);
    assert.strictEqual(r.origins.get("flat/sub/b.yaml")?.file, "apps/base/sub/b.yaml");
  });

  it("a malformed or oversized glob is a problem of that copy, not a crash; the other copies still run", () => {
    const r = run([
      { from: "@repo/apps/[z-a]/*.yaml", to: "@artifact/bad/" },
      { from: "@repo/apps/base/*.yaml", to: "@artifact/ok/", exclude: [`${"*".repeat(5000)}x`] },
      { from: "@repo/apps/base/*.yaml", to: "@artifact/good/" },
    ]);
    assert.deepStrictEqual(files(r.dir), ["good/apps/base/a.yaml"]);
    assert.strictEqual(r.problems.length, 2);
    assert.match(r.problems[0], /@repo\/apps\/\[z-a\]\/\*\.yaml: pattern .* cannot be read by this check/);
    assert.match(r.problems[1], /pattern of 5001 characters \(at most 4096\)/);
  });

  it("a file to a path without a slash is renamed; Merge deep-merges YAML and replaces lists", () => {
    const r = run([
      { from: "@repo/apps/values.yaml", to: "@artifact/chart/values.yaml" },
      { from: "@repo/apps/prod-values.yaml", to: "@artifact/chart/values.yaml", strategy: "Merge" },
    ]);
    assert.deepStrictEqual(JSON.parse(fs.readFileSync(path.join(r.dir, "chart/values.yaml"), "utf8")), { x: { y: 1, z: [2] } });
  });

  it("says what it cannot replay instead of guessing", () => {
    const r = run([{ from: "@other/x/**", to: "@artifact/" }, { from: "@repo/charts/*.tgz", to: "@artifact/", strategy: "Extract" }]);
    assert.deepStrictEqual(r.problems.map((p) => p.split(":")[0]), ["copy @other/x/**", "copy @repo/charts/*.tgz (strategy Extract)"]);
  });
});

describe("readBootstrapFile (helmfiles)", () => {
  const table = providerTable([]);
  it("takes literal charts, survives Go templates, and falls back to the release name in the chart table", () => {
    const text = [
      "{{ $env := .Environment.Name }}",
      "releases:",
      "  - name: prometheus-operator-crds",
      "    chart: prometheus-community/prometheus-operator-crds",
      "  - name: cert-manager",
      "    namespace: cert-manager",
      "    chart: {{ .Values.registry }}/cert-manager",
      "  - name: my-tool",
      "    chart: oci://ghcr.io/acme/charts/my-tool:1.0.0",
      "{{ if eq $env \"prod\" }}",
      "  - name: velero",
      "{{ end }}",
    ].join("\n");
    const file = readBootstrapFile("helmfile.yaml", text, table, () => undefined, () => []);
    assert.deepStrictEqual(file.releases.map((r) => [r.name, r.chart, r.known, r.groups[0] ?? null]), [
      ["prometheus-operator-crds", "prometheus-operator-crds", true, "monitoring.coreos.com"],
      ["cert-manager", "cert-manager", true, "cert-manager.io"],
      ["my-tool", "my-tool", false, null],
      ["velero", "velero", true, "velero.io"],
    ]);
  });

  it("reads the chart from the file a template names after the release (cluster-template's readFile)", () => {
    const files: Record<string, string> = {
      "bootstrap/helmfile/templates/release.yaml.gotmpl": '{{- $oci := fromYaml (readFile (printf "../../apps/%s/%s/oci.yaml" .Release.Namespace .Release.Name)) -}}\nchart: {{ $oci.spec.url }}\n',
      "apps/network/envoy/oci.yaml": "apiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\nmetadata: {name: envoy}\nspec: {url: oci://docker.io/envoyproxy/gateway-helm}\n",
    };
    const file = readBootstrapFile("bootstrap/helmfile/crds.yaml", "releases:\n  - name: envoy\n    namespace: network\n", table,
      (p) => files[p], (d) => Object.keys(files).filter((f) => f.startsWith(`${d}/`)));
    assert.deepStrictEqual(file.releases.map((r) => [r.chart, r.groups]), [["gateway-helm", ["gateway.envoyproxy.io", "gateway.networking.k8s.io"]]]);
  });
});

describe("readiness per release and the unread", () => {
  it("a temporary directory per artifact is removed after the run", () => {
    const before = fs.readdirSync(os.tmpdir()).filter((d) => d.startsWith("gitops-artifact-")).length;
    verifyRepository(path.join(FIXTURES, "artifact-generator/fixed"), "clusters/dev");
    assert.strictEqual(fs.readdirSync(os.tmpdir()).filter((d) => d.startsWith("gitops-artifact-")).length, before);
  });
});

describe("Talos: manifests the cluster applies at bootstrap, before Flux", () => {
  const crd = (group: string) => [
    "apiVersion: apiextensions.k8s.io/v1", "kind: CustomResourceDefinition",
    `metadata: {name: widgets.${group}}`,
    `spec: {group: ${group}, names: {kind: Widget, plural: widgets}, scope: Namespaced, versions: [{name: v1, served: true, storage: true}]}`,
  ].join("\n");
  const talconfig = [
    "clusterName: home",
    "talosVersion: v1.9.0",
    "controlPlane:",
    "  patches:",
    "    - |-",
    "      cluster:",
    "        inlineManifests:",
    "          - name: widget-crds",
    "            contents: |",
    ...crd("inline.example.com").split("\n").map((l) => `              ${l}`),
    "        extraManifests:",
    "          - https://example.invalid/gadget-crds.yaml",
    "",
  ].join("\n");
  const cr = (group: string, kind: string) => `apiVersion: ${group}/v1\nkind: ${kind}\nmetadata: {name: one, namespace: default}\n`;
  const repo = () => writeRepo({
    "talos/talconfig.yaml": talconfig,
    "clusters/home/apps.yaml": fluxKustomization("apps", { path: "./apps", prune: true }),
    "apps/widget.yaml": cr("inline.example.com", "Widget"),
    "apps/gadget.yaml": cr("remote.example.com", "Gadget"),
  });
  const ordering = (findings: Finding[]) => findings.filter((f) => f.rule === "consumer-without-provider" || f.rule === "unknown-group").map((f) => `${f.severity} ${f.rule} ${f.message.includes("remote.example.com") ? "remote" : "inline"}`);
  const knowledge = (groups: string[]) => ({ locked: [], remote: [{ url: "https://example.invalid/gadget-crds.yaml", digest: "sha256:0", groups }], lockPresent: true, offline: true });

  it("inline manifests count at once; an extraManifests URL not in the lock makes findings about what it may install warnings, and is named", () => {
    const result = verifyRepository(repo(), "clusters/home");
    assert.deepStrictEqual(ordering(result.findings), ["warning unknown-group remote"]);
    const note = result.findings.find((f) => f.rule === "installed-before-flux");
    assert.match(note?.message ?? "", /talos\/talconfig\.yaml installs inline\.example\.com before Flux starts.*not in the lock.*https:\/\/example\.invalid\/gadget-crds\.yaml/);
    assert.deepStrictEqual(result.bootstrapRemotes, ["https://example.invalid/gadget-crds.yaml"]);
  });

  it("locked, the URL's groups count as installed before Flux; a locked URL without the group leaves the group unknown", () => {
    const locked = verifyRepository(repo(), "clusters/home", { charts: knowledge(["remote.example.com"]) });
    assert.deepStrictEqual(ordering(locked.findings), []);
    assert.deepStrictEqual(locked.bootstrapRemotes, []);
    assert.match(locked.findings.find((f) => f.rule === "installed-before-flux")?.message ?? "", /installs inline\.example\.com, remote\.example\.com before Flux starts; Kustomizations using them need no dependsOn$/);
    const without = verifyRepository(repo(), "clusters/home", { charts: knowledge(["other.example.com"]) });
    assert.deepStrictEqual(ordering(without.findings), ["warning unknown-group remote"]);
  });

  it("a missing CRD dependency is exact again when the bootstrap URLs are locked (not softened by an unread URL)", () => {
    const files = {
      "talos/talconfig.yaml": talconfig,
      "clusters/home/crds.yaml": fluxKustomization("crds", { path: "./crds", prune: true }),
      "clusters/home/apps.yaml": fluxKustomization("apps", { path: "./apps", prune: true }),
      "crds/gizmo.yaml": crd("gizmo.example.com"),
      "apps/gizmo.yaml": cr("gizmo.example.com", "Widget"),
    };
    const severity = (options: Parameters<typeof verifyRepository>[2]) =>
      verifyRepository(writeRepo(files), "clusters/home", options).findings.filter((f) => f.rule === "consumer-without-provider").map((f) => f.severity);
    assert.deepStrictEqual(severity({}), ["warning"]);
    assert.deepStrictEqual(severity({ charts: knowledge(["remote.example.com"]) }), ["error"]);
  });
});

