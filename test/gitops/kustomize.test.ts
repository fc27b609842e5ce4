import * as assert from "assert";
import { resolvePath, substituteKnown, variableUses } from "../../gitops/kustomize";
import { K8sObject } from "../../gitops/model";
import { Repo } from "../../gitops/repo";
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
    assert.deepStrictEqual(variableUses("${A} ${B:=x} $${C} ${D:-y} ${E:0:2}"),
      [{ name: "A", hasDefault: false }, { name: "B", hasDefault: true }, { name: "D", hasDefault: true }, { name: "E", hasDefault: false }]);
    assert.strictEqual(substituteKnown("./apps/${ENV}/${R:=eu}/${X}/$${ENV}", new Map([["ENV", "dev"]])), "./apps/dev/eu/${X}/$${ENV}");
  });
});
