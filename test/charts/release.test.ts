import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { verifyRepository } from "../../gitops/verify";
import { knowledgeFromLock } from "../../gitops/charts/prepare";
import { GraphNode } from "../../gitops/flux/graph";
import { crd, tempDir } from "./helpers";

function write(root: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
}

const ks = (name: string, extra = "") => `apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: ${name}
  namespace: flux-system
spec:
  interval: 1h
  path: ./${name}
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
${extra}`;

describe("charts read in place, and values from the repository", () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  function repo(values: string, valuesFrom: string, configMap: string): string {
    const root = tempDir("inplace");
    dirs.push(root);
    write(root, {
      "clusters/dev/ks.yaml": ks("infra", "  wait: true\n") + "---\n" + ks("apps"),
      "charts/widgets/Chart.yaml": "apiVersion: v2\nname: widgets\nversion: 0.3.0\n",
      "charts/widgets/values.yaml": "crds:\n  enabled: false\n",
      "charts/widgets/templates/crd.yaml": `{{- if .Values.crds.enabled }}\n${crd("inplace.example.io", "Widget")}{{- end }}\n`,
      "infra/release.yaml": `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: widgets
  namespace: flux-system
spec:
  chart:
    spec:
      chart: ./charts/widgets
      sourceRef:
        kind: GitRepository
        name: flux-system
${valuesFrom}${values}`,
      "infra/values.yaml": configMap,
      "apps/w.yaml": "apiVersion: inplace.example.io/v1\nkind: Widget\nmetadata:\n  name: w\n  namespace: default\n",
    });
    return root;
  }
  const verdict = (root: string) => {
    const result = verifyRepository(root, "clusters/dev", { charts: knowledgeFromLock(root, true) });
    const release = (result.kustomizations as GraphNode[]).flatMap((n) => n.helmReleases).find((h) => h.object.name === "widgets")!;
    return { findings: result.findings.filter((f) => f.severity !== "note").map((f) => `${f.severity} ${f.rule}`), info: release.chartInfo! };
  };
  const cm = (enabled: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: widget-values\n  namespace: flux-system\ndata:\n  values.yaml: |\n    crds:\n      enabled: ${enabled}\n`;

  it("a chart in this repository is read without a lock; spec.values switch its CRDs on", () => {
    const v = verdict(repo("  values:\n    crds:\n      enabled: true\n", "", cm("false")));
    assert.deepEqual(v.info.groups, ["inplace.example.io"]);
    assert.match(v.info.basis, /^widgets 0\.3\.0 \(charts\/widgets in GitRepository\/flux-system\/flux-system\)$/);
    assert.deepEqual(v.findings, ["error consumer-without-provider"]);
  });

  it("a valuesFrom ConfigMap in the repository is read, and spec.values win over it (helm-controller's order)", () => {
    const from = "  valuesFrom:\n    - kind: ConfigMap\n      name: widget-values\n";
    assert.deepEqual(verdict(repo("", from, cm("true"))).info.groups, ["inplace.example.io"]);
    assert.deepEqual(verdict(repo("  values:\n    crds:\n      enabled: false\n", from, cm("true"))).info.groups, []);
  });

  it("a valuesFrom the repository does not hold makes the group maybe: a warning, never an error", () => {
    const from = "  valuesFrom:\n    - kind: Secret\n      name: not-here\n";
    const v = verdict(repo("", from, cm("true")));
    assert.deepEqual(v.info.maybe, ["inplace.example.io"]);
    assert.deepEqual(v.findings, ["warning consumer-without-provider"]);
  });
});

describe("remote CRDs upstream of a consumer", () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));
  const repo = (dependsOnRemote: boolean, remote: { url: string; digest: string; groups: string[] }[] | undefined) => {
    const root = tempDir("remote");
    dirs.push(root);
    write(root, {
      "clusters/dev/ks.yaml": ks("crds", "  wait: true\n") + "---\n" + ks("apps", dependsOnRemote ? "  dependsOn:\n    - name: crds\n" : ""),
      "crds/kustomization.yaml": "resources:\n  - https://example.com/releases/v1/crds.yaml\n",
      "apps/release.yaml": "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: cert-manager\n  namespace: flux-system\nspec:\n  chart:\n    spec:\n      chart: cert-manager\n      sourceRef:\n        kind: HelmRepository\n        name: jetstack\n  values:\n    crds:\n      enabled: true\n",
      "apps/issuer.yaml": "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata:\n  name: x\n",
    });
    if (remote !== undefined) write(root, { ".gitops-cluster/charts.lock.json": JSON.stringify({ lockFormat: 1, charts: [], remote }) });
    return verifyRepository(root, "clusters/dev", { charts: knowledgeFromLock(root, true) }).findings
      .filter((f) => f.rule === "crs-with-their-helmrelease").map((f) => f.severity);
  };
  it("crs-with-their-helmrelease is a warning when the consumer depends on a Kustomization of unread remote CRDs", () => {
    assert.deepEqual(repo(false, undefined), ["error"]);
    assert.deepEqual(repo(true, undefined), ["warning"]);
  });
  it("with the remote file locked, the verdict is exact again", () => {
    assert.deepEqual(repo(true, [{ url: "https://example.com/releases/v1/crds.yaml", digest: `sha256:${"0".repeat(64)}`, groups: ["other.example.io"] }]), ["error"]);
    assert.deepEqual(repo(true, [{ url: "https://example.com/releases/v1/crds.yaml", digest: `sha256:${"0".repeat(64)}`, groups: ["cert-manager.io"] }]), []);
  });
});
