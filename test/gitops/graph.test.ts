import * as assert from "assert";
import { GitopsInputError } from "../../gitops/read/errors";
import { buildClusterGraph } from "../../gitops/flux/graph";
import { Repo } from "../../gitops/read/repo";
import { verifyRepository } from "../../gitops/verify";
import { fluxKustomization, writeRepo } from "./helpers";

const certManagerRelease = [
  "apiVersion: helm.toolkit.fluxcd.io/v2",
  "kind: HelmRelease",
  "metadata: {name: cert-manager, namespace: cert-manager}",
  "spec:",
  "  chart: {spec: {chart: cert-manager, sourceRef: {kind: HelmRepository, name: jetstack, namespace: flux-system}}}",
  "  values: {crds: {enabled: true}}",
  "",
].join("\n");
const issuer = "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: {name: letsencrypt}\nspec: {selfSigned: {}}\n";
const brief = (repo: string, options = {}) =>
  verifyRepository(repo, "clusters/dev", options).findings.map((f) => `${f.severity} ${f.rule} ${f.kustomization} ${f.file}:${f.line}`);

describe("buildClusterGraph", () => {
  it("defaults a dependsOn namespace to the dependent's, and keeps an explicit one", () => {
    const root = writeRepo({
      "clusters/dev/ks.yaml": fluxKustomization("a", { path: "./x", dependsOn: [{ name: "b" }, { name: "c", namespace: "other" }] }, "team"),
      "x/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
    });
    const [node] = buildClusterGraph(new Repo(root), "clusters/dev");
    assert.deepStrictEqual(node.dependsOn, ["team/b", "other/c"]);
  });

  it("records Kustomizations on other sources as unresolved and does not read their paths", () => {
    const root = writeRepo({
      "clusters/dev/ks.yaml": [
        "apiVersion: kustomize.toolkit.fluxcd.io/v1",
        "kind: Kustomization",
        "metadata: {name: platform, namespace: flux-system}",
        "spec:",
        "  sourceRef: {kind: OCIRepository, name: platform-manifests}",
        "  path: ./x",
        "",
      ].join("\n"),
      "x/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
    });
    const [node] = buildClusterGraph(new Repo(root), "clusters/dev");
    assert.deepStrictEqual(node.objects, []);
    assert.deepStrictEqual(node.unresolved.map((u) => `${u.reason} ${u.ref}`), ["external-source OCIRepository/flux-system/platform-manifests"]);
  });

  it("applies a parent's targetNamespace and patches to the child Kustomizations it applies", () => {
    const root = writeRepo({
      "clusters/dev/apps.yaml": fluxKustomization("apps", {
        path: "./apps",
        targetNamespace: "tenants",
        patches: [{ target: { kind: "Kustomization" }, patch: "- {op: replace, path: /spec/path, value: ./apps/team-b}" }],
      }),
      "apps/team.yaml": fluxKustomization("team", { path: "./apps/team-a" }),
      "apps/team-a/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
      "apps/team-b/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n",
    });
    const nodes = buildClusterGraph(new Repo(root), "clusters/dev");
    const team = nodes.find((n) => n.name === "team")!;
    assert.deepStrictEqual([team.id, team.path, team.parent, team.objects.map((o) => o.name)],
      ["tenants/team", "./apps/team-b", "flux-system/apps", ["b"]]);
  });

  it("does not recurse into the committed bootstrap Kustomization that applies the cluster path itself", () => {
    const root = writeRepo({
      "clusters/dev/flux-system/gotk-sync.yaml": fluxKustomization("flux-system", { path: "./clusters/dev" }),
      "clusters/dev/apps.yaml": fluxKustomization("apps", { path: "./apps" }),
      "apps/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
    });
    assert.deepStrictEqual(buildClusterGraph(new Repo(root), "clusters/dev").map((n) => n.id), ["flux-system/apps", "flux-system/flux-system"]);
  });

  it("fails with a clear message when the cluster directory does not exist", () => {
    const root = writeRepo({ "clusters/prod/x.yaml": "" });
    assert.throws(() => verifyRepository(root, "clusters/dev"), (e: unknown) =>
      e instanceof GitopsInputError && /cluster directory clusters\/dev does not exist/.test(e.message));
  });

  it("a spec.path that climbs above the repository stops at its root (securejoin), never reads outside it", () => {
    const root = writeRepo({ "clusters/dev/ks.yaml": `# escape\n---\n${fluxKustomization("evil", { path: "../../../etc" })}` });
    const findings = verifyRepository(root, "clusters/dev").findings.map((f) => `${f.severity} ${f.rule} ${f.file}:${f.line} ${f.message}`);
    assert.deepStrictEqual(findings, [
      'error missing-path clusters/dev/ks.yaml:3 spec.path ../../../etc of flux-system/evil does not exist in the repository: Flux reports "kustomization path not found"',
      "note source-read clusters/dev/ks.yaml:3 flux-system/evil: spec.path ../../../etc climbs above the source root; Flux joins it securely, so it reads etc",
    ]);
  });

  it("passes a YAML error on with the file and line", () => {
    const root = writeRepo({ "clusters/dev/bad.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: [x\n" });
    assert.throws(() => verifyRepository(root, "clusters/dev"), (e: unknown) =>
      e instanceof GitopsInputError && e.file === "clusters/dev/bad.yaml" && /^clusters\/dev\/bad\.yaml:\d+: YAML parse error/.test(e.message));
  });
});

describe("ordering through nested Kustomizations", () => {
  const repoWith = (parentSpec: Record<string, unknown>) => writeRepo({
    "clusters/dev/infra.yaml": fluxKustomization("infra", { path: "./infra", ...parentSpec }),
    "clusters/dev/config.yaml": fluxKustomization("config", { path: "./config", dependsOn: [{ name: "infra" }] }),
    "infra/cert-manager.yaml": fluxKustomization("cert-manager", { path: "./cert-manager", wait: true }),
    "cert-manager/release.yaml": certManagerRelease,
    "config/issuer.yaml": issuer,
  });

  it("depending on a parent that waits covers the providers it applies", () => {
    assert.deepStrictEqual(brief(repoWith({ wait: true })), []);
  });

  it("depending on a parent that does not wait races the nested provider: a warning naming the parent to fix", () => {
    const findings = verifyRepository(repoWith({}), "clusters/dev").findings;
    assert.deepStrictEqual(findings.map((f) => `${f.severity} ${f.rule} ${f.kustomization}`), ["warning provider-not-ready flux-system/cert-manager"]);
    assert.match(findings[0].fix, /set `wait: true` in spec of flux-system\/infra/);
  });

  it("a child of a Kustomization that depends on the provider may use its CRDs", () => {
    const root = writeRepo({
      "clusters/dev/cert-manager.yaml": fluxKustomization("cert-manager", { path: "./cert-manager", wait: true }),
      "clusters/dev/apps.yaml": fluxKustomization("apps", { path: "./apps", dependsOn: [{ name: "cert-manager" }] }),
      "cert-manager/release.yaml": certManagerRelease,
      "apps/issuers.yaml": fluxKustomization("issuers", { path: "./issuers" }),
      "issuers/issuer.yaml": issuer,
    });
    assert.deepStrictEqual(brief(root), []);
  });

  it("several providers of a group are all named in the fix", () => {
    const root = writeRepo({
      "clusters/dev/cm-a.yaml": fluxKustomization("cert-manager-a", { path: "./cm", wait: true }),
      "clusters/dev/cm-b.yaml": fluxKustomization("cert-manager-b", { path: "./cm", wait: true, targetNamespace: "other" }),
      "clusters/dev/config.yaml": fluxKustomization("config", { path: "./config" }),
      "cm/release.yaml": certManagerRelease,
      "config/issuer.yaml": issuer,
    });
    const finding = verifyRepository(root, "clusters/dev").findings.find((f) => f.rule === "consumer-without-provider")!;
    assert.match(finding.fix, /`- name: cert-manager-a` or `- name: cert-manager-b`/);
  });

  it("a dependency on a chart the table does not know turns a missing provider into a warning, never an error", () => {
    const root = writeRepo({
      "clusters/dev/cert-manager.yaml": fluxKustomization("cert-manager", { path: "./cert-manager", wait: true }),
      "clusters/dev/vendor.yaml": fluxKustomization("vendor", { path: "./vendor", wait: true }),
      "clusters/dev/config.yaml": fluxKustomization("config", { path: "./config", dependsOn: [{ name: "vendor" }] }),
      "cert-manager/release.yaml": certManagerRelease,
      "vendor/release.yaml": certManagerRelease.replace(/cert-manager/g, "vendor-bundle"),
      "config/issuer.yaml": issuer,
    });
    assert.deepStrictEqual(brief(root), ["warning consumer-without-provider flux-system/config clusters/dev/config.yaml:1"]);
  });
});

describe("dependency-cycle through a parent's wait", () => {
  it("a child that depends on the parent waiting for it is a deadlock", () => {
    const root = writeRepo({
      "clusters/dev/apps.yaml": fluxKustomization("apps", { path: "./apps", wait: true }),
      "apps/team.yaml": fluxKustomization("team", { path: "./team", dependsOn: [{ name: "apps" }] }),
      "team/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
    });
    const findings = verifyRepository(root, "clusters/dev").findings;
    assert.deepStrictEqual(findings.map((f) => [f.rule, f.message, f.fix]), [[
      "dependency-cycle",
      "dependency cycle: flux-system/apps -> flux-system/team -> flux-system/apps (flux-system/apps applies and waits for flux-system/team); Flux applies none of these Kustomizations",
      "remove `- name: apps` from spec.dependsOn of flux-system/team (apps/team.yaml:1), or another edge of the cycle",
    ]]);
  });

  it("without the parent's wait there is no cycle", () => {
    const root = writeRepo({
      "clusters/dev/apps.yaml": fluxKustomization("apps", { path: "./apps" }),
      "apps/team.yaml": fluxKustomization("team", { path: "./team", dependsOn: [{ name: "apps" }] }),
      "team/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
    });
    assert.deepStrictEqual(verifyRepository(root, "clusters/dev").findings, []);
  });
});

describe("unsubstituted-variable", () => {
  const withConfig = (spec: Record<string, unknown>, manifest: string) => writeRepo({
    "clusters/dev/app.yaml": fluxKustomization("app", { path: "./app", ...spec }),
    "app/cm.yaml": manifest,
  });
  const cm = (data: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: app}\ndata:\n${data}`;

  it("a postBuild that does not define the variable makes Flux write an empty string: error at the object", () => {
    const root = withConfig({ postBuild: { substitute: { TEAM: "a" } } }, cm("  region: ${AWS_REGION}\n"));
    assert.deepStrictEqual(brief(root), ["error unsubstituted-variable flux-system/app app/cm.yaml:1"]);
  });

  it("cluster-vars, postBuild.substitute, defaults and $${escapes} are all fine", () => {
    const root = withConfig(
      { postBuild: { substitute: { TEAM: "a" }, substituteFrom: [{ kind: "ConfigMap", name: "cluster-vars" }] } },
      cm("  region: ${AWS_REGION}\n  team: ${TEAM}\n  tier: ${TIER:=web}\n  script: echo $${HOME}\n"),
    );
    assert.deepStrictEqual(brief(root, { bootstrap: "stack" }), []);
  });

  it("uses the cluster-vars names the options give, when verifying for the stack", () => {
    const root = withConfig({ postBuild: { substituteFrom: [{ kind: "ConfigMap", name: "cluster-vars" }] } }, cm("  zone: ${ZONE}\n"));
    assert.deepStrictEqual(brief(root, { clusterVars: ["ZONE"], bootstrap: "stack" }), []);
    assert.deepStrictEqual(brief(root, { bootstrap: "stack" }), ["error unsubstituted-variable flux-system/app app/cm.yaml:1"]);
  });

  it("committed, a cluster-vars the repository does not hold is made outside it (Terraform, a script): its variables are unknown, a warning", () => {
    const root = withConfig({ postBuild: { substituteFrom: [{ kind: "ConfigMap", name: "cluster-vars" }] } }, cm("  region: ${AWS_REGION}\n"));
    assert.deepStrictEqual(brief(root), ["warning unsubstituted-variable flux-system/app app/cm.yaml:1"]);
    const held = writeRepo({
      "clusters/dev/app.yaml": fluxKustomization("app", { path: "./app", postBuild: { substituteFrom: [{ kind: "ConfigMap", name: "cluster-vars" }] } }),
      "clusters/dev/vars.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cluster-vars, namespace: flux-system}\ndata: {AWS_REGION: eu-west-1}\n",
      "app/cm.yaml": cm("  region: ${AWS_REGION}\n  zone: ${ZONE}\n"),
    });
    assert.deepStrictEqual(brief(held), ["error unsubstituted-variable flux-system/app app/cm.yaml:1"]);
  });

  it("without postBuild, a name that is not a cluster variable may be meant literally: a warning", () => {
    assert.deepStrictEqual(brief(withConfig({}, cm("  script: echo ${HOME}\n"))), ["warning unsubstituted-variable flux-system/app app/cm.yaml:1"]);
  });

  it("a substituteFrom this check cannot read makes it a warning; the disable annotation silences it", () => {
    const from = { postBuild: { substituteFrom: [{ kind: "Secret", name: "sops-vars" }] } };
    assert.deepStrictEqual(brief(withConfig(from, cm("  key: ${API_KEY}\n"))), ["warning unsubstituted-variable flux-system/app app/cm.yaml:1"]);
    const disabled = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: s\n  annotations: {kustomize.toolkit.fluxcd.io/substitute: disabled}\ndata: {a: '${X}'}\n";
    assert.deepStrictEqual(brief(withConfig({ postBuild: { substitute: { Y: "1" } } }, disabled)), []);
  });

  it("the cluster path's own objects get cluster-vars from the bootstrap, and nothing else", () => {
    const root = writeRepo({
      "clusters/dev/app.yaml": fluxKustomization("app", { path: "./apps/${ENVIRONMENT}", postBuild: { substitute: { NAME: "${CLUSTER_NAME}-${SHARD}" } } }),
    });
    assert.deepStrictEqual(brief(root, { bootstrap: "stack" }), [
      "error unsubstituted-variable flux-system/flux-system clusters/dev/app.yaml:1",
      "note unresolved-reference flux-system/app clusters/dev/app.yaml:1", // ./apps/${ENVIRONMENT}: value unknown offline
    ]);
  });
});
