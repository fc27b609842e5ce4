import * as assert from "assert";
import { resolvePath, variableUses } from "../../gitops/kustomize";
import { K8sObject } from "../../gitops/model";
import { Repo } from "../../gitops/read/repo";
import { writeRepo } from "./helpers";

const cm = (name: string, ns?: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n${ns === undefined ? "" : `  namespace: ${ns}\n`}`;

const names = (objects: K8sObject[]) => objects.map((o) => `${o.kind}/${o.namespace ?? ""}/${o.name}`).sort();

describe("resolvePath: a directory without a kustomization file, as Flux's generator builds it", () => {
  it("walks the tree, includes .yaml and .yml, and takes a subdirectory with a kustomization file as one resource", () => {
    const repo = new Repo(writeRepo({
      "apps/a.yaml": cm("a"),
      "apps/nested/b.yml": cm("b"),
      "apps/notes.txt": cm("not-yaml"),
      "apps/data.json": '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "json"}}',
      "apps/kustomized/kustomization.yaml": "resources: [c.yaml]\nnamePrefix: k-\n",
      "apps/kustomized/c.yaml": cm("c"),
      "apps/kustomized/unlisted.yaml": cm("unlisted"),
    }));
    assert.deepStrictEqual(names(resolvePath(repo, "./apps/").objects), ["ConfigMap//a", "ConfigMap//b", "ConfigMap//k-c"]);
  });

  it("leaves out Flux's default ignores when the repository has no ignore patterns of its own", () => {
    const repo = new Repo(writeRepo({
      "apps/a.yaml": cm("a"),
      "apps/.sops.yaml": cm("sops-config"),
      "apps/cloudbuild.yaml": cm("ci"),
      "apps/.github/workflow.yaml": cm("workflow"),
    }));
    assert.deepStrictEqual(names(resolvePath(repo, "apps").objects), ["ConfigMap//a"]);
  });

  it("applies every .sourceignore, scoped to its directory; any pattern replaces the defaults, as in source-controller", () => {
    // fluxcd/pkg artifact/storage/archive.go SourceIgnoreFilter: with patterns, only the VCS ones are kept.
    const repo = new Repo(writeRepo({
      "apps/.sourceignore": "# drafts are not deployed\ndrafts/\n*.draft.yaml\n!keep.draft.yaml\n",
      "apps/a.yaml": cm("a"),
      "apps/drafts/b.yaml": cm("b"),
      "apps/c.draft.yaml": cm("c"),
      "apps/keep.draft.yaml": cm("keep"),
      "apps/cloudbuild.yaml": cm("ci"),
      ".sourceignore": "apps/ignored-from-root.yaml\n",
      "apps/ignored-from-root.yaml": cm("root-ignored"),
    }));
    assert.deepStrictEqual(names(resolvePath(repo, "apps").objects), ["ConfigMap//a", "ConfigMap//ci", "ConfigMap//keep"]);
  });

  it("takes a GitRepository's spec.ignore after the .sourceignore files, and caches per ignore text", () => {
    const repo = new Repo(writeRepo({
      "apps/.sourceignore": "*.draft.yaml\n",
      "apps/a.yaml": cm("a"),
      "apps/b.draft.yaml": cm("b"),
      "apps/.sops.yaml": cm("sops-config"),
    }));
    assert.deepStrictEqual(names(resolvePath(repo, "apps").objects), ["ConfigMap//a", "ConfigMap//sops-config"]);
    assert.deepStrictEqual(names(resolvePath(repo, "apps", { ignore: "!b.draft.yaml\n/apps/a.yaml\n" }).objects), ["ConfigMap//b", "ConfigMap//sops-config"]);
    assert.deepStrictEqual(names(resolvePath(repo, "apps").objects), ["ConfigMap//a", "ConfigMap//sops-config"]);
  });

  it("builds the source root itself (spec.path: ./) without tripping the ignore matcher", () => {
    const repo = new Repo(writeRepo({ "a.yaml": cm("a"), "sub/b.yaml": cm("b") }));
    assert.deepStrictEqual(names(resolvePath(repo, "./").objects), ["ConfigMap//a", "ConfigMap//b"]);
    assert.deepStrictEqual(names(resolvePath(repo, "").objects), ["ConfigMap//a", "ConfigMap//b"]);
  });

  it("skips YAML documents that are not Kubernetes objects", () => {
    const repo = new Repo(writeRepo({ "apps/values.yaml": "replicaCount: 2\n", "apps/a.yaml": cm("a") }));
    assert.deepStrictEqual(names(resolvePath(repo, "apps").objects), ["ConfigMap//a"]);
  });
});

describe("resolvePath: kustomization files", () => {
  it("records remote resources and helmCharts as unresolved, at the line that names them, without guessing", () => {
    const repo = new Repo(writeRepo({
      "infra/kustomization.yaml": [
        "resources:",
        "  - local.yaml",
        "  - https://github.com/fluxcd/flagger/releases/download/v1.38.0/crds.yaml",
        "  - github.com/kubernetes-sigs/aws-load-balancer-controller/config/crd?ref=v2.7.0",
        "helmCharts:",
        "  - name: podinfo",
        "    repo: https://stefanprodan.github.io/podinfo",
        "",
      ].join("\n"),
      "infra/local.yaml": cm("local"),
    }));
    const r = resolvePath(repo, "infra");
    assert.deepStrictEqual(names(r.objects), ["ConfigMap//local"]);
    assert.deepStrictEqual(r.unresolved.map((u) => [u.reason, u.source.line]), [["remote-resource", 3], ["remote-resource", 4], ["helm-charts", 6]]);
  });

  it("records a missing resource and a directory without a kustomization file", () => {
    const repo = new Repo(writeRepo({ "infra/kustomization.yaml": "resources:\n  - gone.yaml\n  - plain\n", "infra/plain/a.yaml": cm("a") }));
    const r = resolvePath(repo, "infra");
    assert.deepStrictEqual(r.unresolved.map((u) => `${u.reason} ${u.ref} ${u.source.file}:${u.source.line}`),
      ["missing-path gone.yaml infra/kustomization.yaml:2", "not-a-kustomization plain infra/kustomization.yaml:3"]);
  });

  it("refuses a resource that climbs out of the repository, naming the kustomization file and line", () => {
    const repo = new Repo(writeRepo({ "infra/kustomization.yaml": "resources:\n  - ../../outside\n" }));
    assert.throws(() => resolvePath(repo, "infra"), (e: Error) => /^infra\/kustomization\.yaml:2: path \.\.\/outside leaves the repository root/.test(e.message));
  });

  it("applies namespace, prefix/suffix and patches; a $patch: delete removes its object", () => {
    const repo = new Repo(writeRepo({
      "base/kustomization.yaml": "resources: [objects.yaml]\n",
      "base/objects.yaml": `${cm("a")}---\n${cm("b")}---\napiVersion: v1\nkind: Namespace\nmetadata: {name: team}\n`,
      "overlay/kustomization.yaml": [
        "resources: [../base]",
        "namespace: team-dev",
        "namePrefix: dev-",
        "patches:",
        "  - patch: |",
        "      apiVersion: v1",
        "      kind: ConfigMap",
        "      metadata: {name: b}",
        "      $patch: delete",
        "  - target: {kind: ConfigMap, name: a}",
        "    patch: |",
        "      - {op: add, path: /data, value: {k: v}}",
        "",
      ].join("\n"),
    }));
    const r = resolvePath(repo, "overlay");
    assert.deepStrictEqual(names(r.objects), ["ConfigMap/team-dev/dev-a", "Namespace//team-dev"]);
    assert.deepStrictEqual(r.objects.find((o) => o.kind === "ConfigMap")?.body.data, { k: "v" });
  });
});

describe("post-build variables", () => {
  it("finds ${VAR} uses, knows defaults, and treats $${VAR} as an escape", () => {
    // ${F-z}: Flux (not strict) counts every variable as set, so an undefined F is empty, not z.
    assert.deepStrictEqual(variableUses("${A} ${B:=x} $${C} ${D:-y} ${E:0:2} ${F-z}"),
      [{ name: "A", hasDefault: false }, { name: "B", hasDefault: true }, { name: "D", hasDefault: true }, { name: "E", hasDefault: false }, { name: "F", hasDefault: false }]);
  });
});

describe("kustomize fidelity the ordering check depends on", () => {
  const hr = (name: string, labels = "") =>
    `apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: ${name}\n${labels === "" ? "" : `  labels: {${labels}}\n`}spec:\n  chart: {spec: {chart: ${name}}}\n`;

  it("applies a targeted patch to every match and ignores the body's `_` name, namespace and kind", () => {
    const repo = new Repo(writeRepo({
      "apps/kustomization.yaml": [
        "resources: [hr.yaml]",
        "patches:",
        "  - target: {kind: HelmRelease, labelSelector: 'substitution.flux/disabled notin (true)'}",
        "    patch: |",
        "      apiVersion: helm.toolkit.fluxcd.io/v2",
        "      kind: _",
        "      metadata: {name: _, namespace: ignored}",
        "      spec: {install: {crds: CreateReplace}}",
        "",
      ].join("\n"),
      "apps/hr.yaml": `${hr("a")}---\n${hr("b", "substitution.flux/disabled: 'true'")}---\n${hr("c", "substitution.flux/disabled: 'false'")}`,
    }));
    const objects = resolvePath(repo, "apps").objects;
    assert.deepStrictEqual(names(objects), ["HelmRelease//a", "HelmRelease//b", "HelmRelease//c"]);
    const crds = Object.fromEntries(objects.map((o) => [o.name, (o.body.spec as { install?: { crds?: string } }).install?.crds]));
    assert.deepStrictEqual(crds, { a: "CreateReplace", b: undefined, c: "CreateReplace" });
    assert.ok(objects.every((o) => o.kind === "HelmRelease" && o.namespace === undefined));
  });

  it("lets a Component patch the parent's objects (crds.enabled on a HelmRelease), after resources and before the parent's namespace", () => {
    const repo = new Repo(writeRepo({
      "base/kustomization.yaml": "resources: [hr.yaml]\n",
      "base/hr.yaml": hr("cert-manager"),
      "components/crds/kustomization.yaml": [
        "apiVersion: kustomize.config.k8s.io/v1alpha1",
        "kind: Component",
        "patches:",
        "  - target: {kind: HelmRelease, name: cert-manager}",
        "    patch: |",
        "      - {op: add, path: /spec/values, value: {crds: {enabled: true}}}",
        "",
      ].join("\n"),
      "overlay/kustomization.yaml": "resources: [../base]\ncomponents: [../components/crds]\nnamespace: cert-manager\nnamePrefix: x-\n",
    }));
    const [o] = resolvePath(repo, "overlay").objects;
    assert.deepStrictEqual([o.namespace, o.name, o.body.metadata], ["cert-manager", "x-cert-manager", { name: "x-cert-manager", namespace: "cert-manager" }]);
    assert.deepStrictEqual((o.body.spec as { values?: unknown }).values, { crds: { enabled: true } });
  });

  it("keeps namespace and prefix in the body, so a later patch cannot undo them", () => {
    const repo = new Repo(writeRepo({
      "base/kustomization.yaml": "resources: [cm.yaml]\nnamespace: team\nnamePrefix: p-\n",
      "base/cm.yaml": cm("a"),
      "overlay/kustomization.yaml": [
        "resources: [../base]",
        "patches:",
        "  - target: {kind: ConfigMap}",
        "    patch: |",
        "      apiVersion: v1",
        "      kind: ConfigMap",
        "      metadata: {name: a, namespace: other}",
        "      data: {k: v}",
        "",
      ].join("\n"),
    }));
    const [o] = resolvePath(repo, "overlay").objects;
    assert.deepStrictEqual(o.body, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "p-a", namespace: "team" }, data: { k: "v" } });
  });

  it("names a bad selector or regular expression as a kustomize error at the kustomization's line, and a hostile regex does not hang", () => {
    const repo = new Repo(writeRepo({
      "a/kustomization.yaml": "resources: [cm.yaml]\npatches:\n  - target: {labelSelector: 'a in b'}\n    patch: '[]'\n",
      "a/cm.yaml": cm("x"),
      "b/kustomization.yaml": `resources: [cm.yaml]\npatches:\n  - target: {name: '(.*.*)*y'}\n    patch: '[{op: add, path: /data, value: {}}]'\n`,
      "b/cm.yaml": cm("x".repeat(5000)),
    }));
    const a = resolvePath(repo, "a");
    assert.deepStrictEqual(a.unresolved.map((u) => [u.reason, `${u.source.file}:${u.source.line}`]), [["kustomize-error", "a/kustomization.yaml:4"]]);
    assert.match(a.unresolved[0].ref, /expected: '\(' after in/);
    const started = Date.now();
    const b = resolvePath(repo, "b");
    assert.deepStrictEqual([b.objects[0].body.data, b.unresolved], [undefined, []]);
    assert.ok(Date.now() - started < 2000);
  });

  it("marks what it does not model as unsupported-kustomize for that directory, never a silently different build", () => {
    const repo = new Repo(writeRepo({
      "a/kustomization.yaml": "resources: [cm.yaml]\nreplacements:\n  - path: r.yaml\nopenapi: {path: schema.json}\n",
      "a/cm.yaml": cm("x"),
    }));
    assert.deepStrictEqual(resolvePath(repo, "a").unresolved.map((u) => [u.reason, u.ref, u.source.line]),
      [["unsupported-kustomize", "replacements", 2], ["unsupported-kustomize", "openapi", 4]]);
  });

  it("builds `configurations:`: a missing file is a kustomize error, a section it does not model is named, the rest is used", () => {
    const repo = new Repo(writeRepo({
      "a/kustomization.yaml": "namePrefix: p-\nresources: [cm.yaml, widget.yaml]\nconfigurations: [config.yaml, missing.yaml]\n",
      "a/config.yaml": "varReference:\n  - path: spec/x\nnameReference:\n  - kind: ConfigMap\n    fieldSpecs: [{path: spec/config, kind: Widget}]\n",
      "a/cm.yaml": cm("x"),
      "a/widget.yaml": "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {config: x, other: x}\n",
    }));
    const result = resolvePath(repo, "a");
    assert.deepStrictEqual(result.unresolved.map((u) => [u.reason, u.ref, u.source.line]),
      [["kustomize-error", "configurations: missing.yaml does not exist", 3], ["unsupported-kustomize", "configurations a/config.yaml: varReference", 3]]);
    assert.deepStrictEqual(result.objects.find((o) => o.kind === "Widget")?.body.spec, { config: "p-x", other: "x" });
  });

  it("buildMetadata: origin annotations and the managed-by label are built; transformerAnnotations is named as not modelled", () => {
    const repo = new Repo(writeRepo({
      "a/kustomization.yaml": "resources: [cm.yaml]\nbuildMetadata: [originAnnotations, transformerAnnotations]\n",
      "a/cm.yaml": cm("x"),
    }));
    const result = resolvePath(repo, "a");
    assert.deepStrictEqual(result.unresolved.map((u) => [u.reason, u.ref]), [["unsupported-kustomize", "buildMetadata transformerAnnotations"]]);
    assert.deepStrictEqual((result.objects[0].body.metadata as Record<string, unknown>).annotations, { "config.kubernetes.io/origin": "path: cm.yaml\n" });
  });

  it("a reference several renamed objects may mean is decided by their prefixes, else the build fails as kustomize's does", () => {
    const files = (extra: string) => ({
      "a/kustomization.yaml": `resources: [../b, ../c, deploy.yaml]\n${extra}`,
      "a/deploy.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n    spec:\n      containers: [{name: c, image: nginx, envFrom: [{configMapRef: {name: settings}}]}]\n",
      "b/kustomization.yaml": `namePrefix: b-\nresources: [cm.yaml]\n${extra.includes("namespace") ? "namespace: x\n" : ""}`,
      "b/cm.yaml": cm("settings"),
      "c/kustomization.yaml": `namePrefix: c-\nresources: [cm.yaml]\n${extra.includes("namespace") ? "namespace: x\n" : ""}`,
      "c/cm.yaml": cm("settings"),
    });
    const envFrom = (r: ReturnType<typeof resolvePath>) => JSON.stringify(r.objects.find((o) => o.kind === "Deployment")?.body).match(/"configMapRef":\{"name":"([^"]+)"/)?.[1];
    // Neither candidate's prefixes end the referrer's (it has none): the reference stays (kubectl kustomize agrees).
    const plain = resolvePath(new Repo(writeRepo(files(""))), "a");
    assert.deepStrictEqual(plain.unresolved, []);
    assert.strictEqual(envFrom(plain), "settings");
    // Both end with the referrer's prefix b-: kustomize refuses the build ("found multiple possible referrals").
    const refused = resolvePath(new Repo(writeRepo(files("namespace: x\nnamePrefix: b-\n"))), "a");
    assert.deepStrictEqual(refused.unresolved.map((u) => u.reason), ["kustomize-error"]);
    assert.match(refused.unresolved[0].ref, /could be ConfigMap x\/b-b-settings or ConfigMap x\/b-c-settings: kustomize finds multiple possible referrals/);
  });
});

describe("label selectors (k8s.io/apimachinery/pkg/labels syntax)", () => {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { labelSelectorMatches, parseLabelSelector } = require("../../gitops/kustomize/selector");
  const labels = { app: "web", tier: "front", "substitution.flux/disabled": "true" };
  const cases: [string, boolean][] = [
    ["app=web", true], ["app==web", true], ["app!=web", false], ["missing!=x", true],
    ["app in (web,api)", true], ["app notin (web)", false], ["missing notin (x)", true],
    ["tier", true], ["!tier", false], ["!missing", true], ["app=web,tier=back", false],
    ["substitution.flux/disabled notin (true)", false], ["", true],
  ];
  for (const [selector, expected] of cases) {
    it(`${JSON.stringify(selector)} ${expected ? "matches" : "does not match"}`, () => assert.strictEqual(labelSelectorMatches(selector, labels), expected));
  }
  for (const bad of ["app in web", "app in ()", "=x", "app=web,", "a b", "-bad=x", "app=(x)"]) {
    it(`refuses ${JSON.stringify(bad)} with a message`, () => assert.throws(() => parseLabelSelector(bad), /expected|invalid|cannot be empty/));
  }
});

describe("resolvePath on a kustomization of many missing resources grows linearly", function () {
  // 60,000 references: the old line lookup scanned the file from its start for each one (about a
  // minute here); indexed once, it takes a few seconds. The bound is mocha's timeout, not a timing.
  this.timeout(30000);

  it("names each missing resource at its own line", () => {
    const count = 60000;
    const lines = Array.from({ length: count }, (_, i) => `- missing-${i}.yaml`);
    const repo = new Repo(writeRepo({ "app/kustomization.yaml": `resources:\n${lines.join("\n")}\n` }));
    const { unresolved } = resolvePath(repo, "app");
    assert.strictEqual(unresolved.length, count);
    assert.ok(unresolved.every((u, i) => u.reason === "missing-path" && u.ref === `missing-${i}.yaml` && u.source.line === i + 2));
  });
});
