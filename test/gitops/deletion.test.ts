import * as assert from "assert";
import { execFileSync } from "child_process";
import * as path from "path";
import { parse, parseAllDocuments } from "yaml";
import { resolvePath } from "../../gitops/kustomize";
import { Repo } from "../../gitops/read/repo";
import { hasKubectl } from "../kubectl";
import { teardownOf, waitForTerminationPatch } from "../../gitops/flux/deletion";
import { verifyRepository } from "../../gitops/verify";
import { FIXTURES, fluxKustomization, writeRepo } from "./helpers";

const ingress = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web, namespace: web}\nspec: {ingressClassName: alb}\n";
const rulesOf = (repo: string, options = {}) => verifyRepository(repo, "clusters/dev", options).findings.map((f) => `${f.rule} ${f.kustomization}`);

describe("deletion-not-waited", () => {
  it("follows kustomize-controller's finalize(): only WaitForTermination waits; suspend and Orphan orphan", () => {
    assert.strictEqual(teardownOf({ prune: true }), "deletes");
    assert.strictEqual(teardownOf({ prune: false }), "orphans");
    assert.strictEqual(teardownOf({ deletionPolicy: "Delete" }), "deletes");
    assert.strictEqual(teardownOf({ deletionPolicy: "Orphan", prune: true }), "orphans");
    assert.strictEqual(teardownOf({ deletionPolicy: "WaitForTermination" }), "waits");
    assert.strictEqual(teardownOf({ deletionPolicy: "WaitForTermination", suspend: true }), "orphans");
  });

  it("in stack mode, the bootstrap root's patches make the cluster path's Kustomizations wait", () => {
    const repo = writeRepo({
      "clusters/dev/apps.yaml": fluxKustomization("apps", { path: "./apps", prune: true }),
      "apps/ingress.yaml": ingress,
    });
    assert.deepStrictEqual(rulesOf(repo), ["deletion-not-waited flux-system/apps"]);
    assert.deepStrictEqual(rulesOf(repo, { rootPatches: [waitForTerminationPatch()] }), []);
  });

  it("the root's patches reach the direct children only: a grandchild needs its parent's", () => {
    const repo = writeRepo({
      "clusters/dev/apps.yaml": fluxKustomization("apps", { path: "./apps", prune: true }),
      "apps/web.yaml": fluxKustomization("web", { path: "./web", prune: true }),
      "web/ingress.yaml": ingress,
    });
    assert.deepStrictEqual(rulesOf(repo, { rootPatches: [waitForTerminationPatch()] }), ["deletion-not-waited flux-system/web"]);
  });

  it("a waiting Kustomization under a parent that does not wait is still cut short", () => {
    const repo = writeRepo({
      "clusters/dev/apps.yaml": fluxKustomization("apps", { path: "./apps", prune: true }),
      "apps/web.yaml": fluxKustomization("web", { path: "./web", prune: true, deletionPolicy: "WaitForTermination" }),
      "web/ingress.yaml": ingress,
    });
    const [finding] = verifyRepository(repo, "clusters/dev").findings;
    assert.strictEqual(finding.kustomization, "flux-system/web");
    assert.match(finding.message, /its ancestor flux-system\/apps \(clusters\/dev\/apps.yaml:1\)/);
  });

  it("a PVC counts when its class (or the default class) provisions EBS or EFS, not otherwise", () => {
    const pvc = (cls: string) => `apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data, namespace: web}\nspec: {${cls}accessModes: [ReadWriteOnce]}\n`;
    const sc = (name: string, provisioner: string, isDefault = false) =>
      `apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: ${name}\n` +
      (isDefault ? "  annotations: {storageclass.kubernetes.io/is-default-class: \"true\"}\n" : "") + `provisioner: ${provisioner}\n`;
    const repo = (files: Record<string, string>) => writeRepo({
      "clusters/dev/apps.yaml": fluxKustomization("apps", { path: "./apps", prune: true }),
      ...files,
    });
    assert.deepStrictEqual(rulesOf(repo({ "clusters/dev/sc.yaml": sc("gp3", "ebs.csi.aws.com"), "apps/pvc.yaml": pvc("storageClassName: gp3, ") })),
      ["deletion-not-waited flux-system/apps"]);
    assert.deepStrictEqual(rulesOf(repo({ "clusters/dev/sc.yaml": sc("efs", "efs.csi.aws.com", true), "apps/pvc.yaml": pvc("") })),
      ["deletion-not-waited flux-system/apps"]);
    assert.deepStrictEqual(rulesOf(repo({ "clusters/dev/sc.yaml": sc("local", "rancher.io/local-path"), "apps/pvc.yaml": pvc("storageClassName: local, ") })), []);
  });

  it("counts Services of type LoadBalancer, Gateways and TargetGroupBindings, and not a ClusterIP Service", () => {
    const objects: Record<string, string> = {
      lb: "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: web}\nspec: {type: LoadBalancer}\n",
      gateway: "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: g, namespace: web}\nspec: {gatewayClassName: aws-alb}\n",
      tgb: "apiVersion: elbv2.k8s.aws/v1beta1\nkind: TargetGroupBinding\nmetadata: {name: t, namespace: web}\nspec: {targetGroupARN: x}\n",
      clusterIp: "apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: web}\nspec: {type: ClusterIP}\n",
    };
    for (const [what, text] of Object.entries(objects)) {
      const repo = writeRepo({ "clusters/dev/apps.yaml": fluxKustomization("apps", { path: "./apps", prune: true }), "apps/o.yaml": text });
      const found = rulesOf(repo, { preinstalledGroups: ["gateway.networking.k8s.io", "elbv2.k8s.aws"] });
      assert.deepStrictEqual(found, what === "clusterIp" ? [] : ["deletion-not-waited flux-system/apps"], what);
    }
  });

  it("the fixed fixture's parent patch is the target-patch idiom the bootstrap uses", () => {
    const fixed = verifyRepository(path.join(FIXTURES, "deletion-not-waited/fixed"), "clusters/dev");
    const web = fixed.kustomizations.find((k) => k.id === "flux-system/web");
    assert.ok(web);
    const patch = waitForTerminationPatch();
    assert.deepStrictEqual(parse(patch.patch).spec, { deletionPolicy: "WaitForTermination" });
    assert.strictEqual(parse(patch.patch).metadata.name, "_");
  });
});

describe("the target-patch idiom", () => {
  it("sets the policy on every Kustomization and renames none, as kubectl kustomize does (whole bodies)", function () {
    if (!hasKubectl()) this.skip();
    const patch = waitForTerminationPatch();
    const repo = writeRepo({
      "k/a.yaml": fluxKustomization("a", { path: "./a", prune: true }),
      "k/b.yaml": fluxKustomization("b", { path: "./b", prune: false }, "team"),
      "k/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: team}\ndata: {x: y}\n",
      "k/kustomization.yaml": [
        "resources: [a.yaml, b.yaml, cm.yaml]",
        "patches:",
        `  - target: {group: ${patch.target.group}, kind: ${patch.target.kind}}`,
        "    patch: |",
        ...patch.patch.trimEnd().split("\n").map((l) => `      ${l}`),
        "",
      ].join("\n"),
    });
    const ours = resolvePath(new Repo(repo), "k").objects.map((o) => o.body);
    const theirs = parseAllDocuments(execFileSync("kubectl", ["kustomize", path.join(repo, "k")], { encoding: "utf8" })).map((d) => d.toJS());
    const key = (o: { kind: string; metadata: { name: string } }) => `${o.kind}/${o.metadata.name}`;
    const sort = (list: Record<string, unknown>[]) => [...list].sort((x, y) => key(x as never).localeCompare(key(y as never)));
    assert.deepStrictEqual(sort(ours), sort(theirs));
    assert.deepStrictEqual(theirs.filter((o) => o.kind === "Kustomization").map((o) => [o.metadata.name, o.spec.deletionPolicy]),
      [["a", "WaitForTermination"], ["b", "WaitForTermination"]]);
  });
});

describe("chart-installed-by-stack", () => {
  const repo = () => writeRepo({
    "clusters/dev/lbc.yaml": fluxKustomization("lbc", { path: "./lbc", prune: true, wait: true }),
    "lbc/release.yaml": [
      "apiVersion: helm.toolkit.fluxcd.io/v2", "kind: HelmRelease", "metadata: {name: aws-load-balancer-controller, namespace: kube-system}",
      "spec:", "  chart:", "    spec: {chart: aws-load-balancer-controller, version: 1.11.0, sourceRef: {kind: HelmRepository, name: eks, namespace: flux-system}}", "",
    ].join("\n"),
  });

  it("is an error, at the HelmRelease, naming the setting that hands the chart back to Flux", () => {
    const { findings } = verifyRepository(repo(), "clusters/dev", {
      stackInstalledCharts: [{ chart: "aws-load-balancer-controller", setting: "gitops-cluster:addons.loadBalancerController" }],
    });
    assert.deepStrictEqual(findings.map((f) => [f.rule, f.severity, f.file, f.line]), [["chart-installed-by-stack", "error", "lbc/release.yaml", 1]]);
    assert.match(findings[0].fix, /gitops-cluster:addons.loadBalancerController: false/);
  });

  it("says nothing outside stack mode", () => {
    assert.deepStrictEqual(verifyRepository(repo(), "clusters/dev").findings, []);
  });
});
