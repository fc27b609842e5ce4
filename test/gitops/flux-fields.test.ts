import * as assert from "assert";
import { GitopsInputError } from "../../gitops/read/errors";
import { K8sObject } from "../../gitops/model";
import { verifyRepository } from "../../gitops/verify";
import { fluxKustomization, writeRepo } from "./helpers";

// A Flux Kustomization's own kustomize fields go into the kustomization file kustomize-controller
// builds (fluxcd/pkg kustomize_generator.go); test/kustomize-diff/flux-fields.test.ts compares
// generated trees with kubectl kustomize, these cases pin the consequences one at a time.

const deployment = [
  "apiVersion: apps/v1",
  "kind: Deployment",
  "metadata: {name: podinfo, namespace: apps}",
  "spec:",
  "  selector: {matchLabels: {app: podinfo}}",
  "  template:",
  "    metadata: {labels: {app: podinfo}}",
  "    spec: {containers: [{name: main, image: 'ghcr.io/stefanprodan/podinfo:6.0.0'}]}",
  "",
].join("\n");

function objectsOf(spec: Record<string, unknown>, kustomization = "resources: [deployment.yaml]\nnamePrefix: dev-\nnamespace: team\n"): K8sObject[] {
  const repo = writeRepo({
    "clusters/dev/apps.yaml": fluxKustomization("apps", { path: "./apps", prune: true, ...spec }),
    "apps/kustomization.yaml": kustomization,
    "apps/deployment.yaml": deployment,
  });
  const node = verifyRepository(repo, "clusters/dev").kustomizations.find((n) => n.id === "flux-system/apps");
  assert.ok(node !== undefined);
  assert.deepStrictEqual(node.unresolved, []);
  return node.objects;
}

const patchAnnotation = (name: string) => ({
  target: { kind: "Deployment", name },
  patch: JSON.stringify([{ op: "add", path: "/metadata/annotations", value: { patched: "yes" } }]),
});

describe("a Flux Kustomization's own kustomize fields, in kustomize's order", () => {
  it("spec.patches target names before the kustomization's namePrefix is added, as the file's own patches do", () => {
    const [before] = objectsOf({ patches: [patchAnnotation("podinfo")] });
    assert.strictEqual(before.name, "dev-podinfo");
    assert.deepStrictEqual((before.body.metadata as Record<string, unknown>).annotations, { patched: "yes" });
    const [after] = objectsOf({ patches: [patchAnnotation("dev-podinfo")] });
    assert.strictEqual((after.body.metadata as Record<string, unknown>).annotations, undefined);
  });

  it("targetNamespace, namePrefix and nameSuffix replace the kustomization's own; images merge by name", () => {
    const [o] = objectsOf(
      { targetNamespace: "prod", namePrefix: "flux-", nameSuffix: "-x", images: [{ name: "ghcr.io/stefanprodan/podinfo", newTag: "6.7.0" }] },
      "resources: [deployment.yaml]\nnamePrefix: dev-\nnamespace: team\nimages:\n  - {name: ghcr.io/stefanprodan/podinfo, newName: mirror.example/podinfo}\n",
    );
    assert.deepStrictEqual([o.namespace, o.name], ["prod", "flux-podinfo-x"]);
    const containers = (((o.body.spec as Record<string, unknown>).template as Record<string, unknown>).spec as Record<string, unknown>).containers as Record<string, unknown>[];
    assert.strictEqual(containers[0].image, "mirror.example/podinfo:6.7.0");
  });

  it("spec.components join the kustomization's; a missing one is skipped only with ignoreMissingComponents", () => {
    const files = {
      "clusters/dev/apps.yaml": fluxKustomization("apps", { path: "./apps", prune: true, components: ["../extra", "../missing"], ignoreMissingComponents: true }),
      "apps/kustomization.yaml": "resources: [deployment.yaml]\n",
      "apps/deployment.yaml": deployment,
      "extra/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ncommonLabels: {component: extra}\n",
    };
    const node = (repo: string) => verifyRepository(repo, "clusters/dev").kustomizations.find((n) => n.id === "flux-system/apps")!;
    const skipped = node(writeRepo(files));
    assert.deepStrictEqual(skipped.unresolved, []);
    assert.strictEqual(((skipped.objects[0].body.metadata as Record<string, unknown>).labels as Record<string, unknown>).component, "extra");
    const missing = node(writeRepo({ ...files, "clusters/dev/apps.yaml": fluxKustomization("apps", { path: "./apps", prune: true, components: ["../missing"] }) }));
    assert.deepStrictEqual(missing.unresolved.map((u) => [u.reason, u.ref, u.source.file]), [["missing-path", "../missing", "clusters/dev/apps.yaml"]]);
    const remote = node(writeRepo({ ...files, "clusters/dev/apps.yaml": fluxKustomization("apps", { path: "./apps", prune: true, components: ["https://example.com/c"] }) }));
    assert.deepStrictEqual(remote.unresolved.map((u) => [u.reason, u.source.file]), [["kustomize-error", "clusters/dev/apps.yaml"]]);
  });

  it("spec.commonMetadata labels and annotates every object after the build", () => {
    const [o] = objectsOf({ commonMetadata: { labels: { team: "a" }, annotations: { owner: "platform" } } });
    const metadata = o.body.metadata as Record<string, unknown>;
    assert.deepStrictEqual([metadata.labels, metadata.annotations], [{ team: "a" }, { owner: "platform" }]);
    const spec = o.body.spec as Record<string, unknown>;
    assert.deepStrictEqual((spec.selector as Record<string, unknown>).matchLabels, { app: "podinfo" }, "selectors are not touched");
  });

  it("a spec.patches entry that is not YAML is bad input named at the Kustomization, not at a line inside the patch", () => {
    const repo = writeRepo({
      "clusters/dev/apps.yaml": fluxKustomization("apps", { path: "./apps", prune: true, patches: [{ target: { kind: "Deployment" }, patch: "a: [b\n" }] }),
      "apps/kustomization.yaml": "resources: [deployment.yaml]\n",
      "apps/deployment.yaml": deployment,
    });
    assert.throws(() => verifyRepository(repo, "clusters/dev"), (e: unknown) =>
      e instanceof GitopsInputError && e.file === "clusters/dev/apps.yaml" && e.line === 1 && /spec\.patches\[0\]\.patch: YAML parse error/.test(e.message));
  });
});
