import * as assert from "assert";
import * as path from "path";
import { Finding, K8sObject, VerifyOptions } from "../../gitops/model";
import { substitutedObject } from "../../gitops/flux/substitution";
import { Substitution, substituteText } from "../../gitops/kustomize/varsub";
import { verifyRepository } from "../../gitops/verify";
import { renderResourceSetTemplate } from "../../gitops/flux/resourceset-template";
import { FIXTURES, fluxKustomization, writeRepo } from "./helpers";

const brief = (f: Finding) => `${f.severity} ${f.rule} ${f.kustomization ?? "-"} ${f.file}:${f.line}`;
const actionable = (findings: Finding[]) => findings.filter((f) => f.severity !== "note").map(brief);

/**
 * Flux as its controllers do it (issue 20): fixtures in the shape of real repositories, the broken
 * variant giving exactly its findings, the fixed one nothing to act on.
 */
const constructs: Record<string, { cluster?: string; options?: VerifyOptions; broken: string[] }> = {
  "parent-substitution": {
    broken: ["error unsubstituted-variable flux-system/flux-system clusters/dev/apps.yaml:3"],
  },
  "source-filter-per-path": {
    cluster: "clusters/dev/flux",
    broken: ["error consumer-without-provider flux-system/config clusters/dev/flux/config.yaml:1"],
  },
  "sops-any-kind": {
    // The vendored schemas are Flux 2.9's: schema-violation runs against a known 2.9.
    options: { fluxVersion: "2.9.0" },
    broken: ["error schema-violation flux-system/apps apps/podinfo/release.sops.yaml:3"],
  },
  "cluster-vars-committed": {
    // Terraform writes cluster-vars: committed, its variables are unknown (warnings), unless the repository holds it.
    broken: [
      "warning unsubstituted-variable flux-system/ingress apps/ingress/values.yaml:1",
      "warning unsubstituted-variable flux-system/ingress apps/ingress/values.yaml:1",
    ],
  },
  "flux-instance-sync-name": {
    broken: ["error consumer-without-provider flux-system/infra-configs clusters/dev/infrastructure.yaml:13"],
  },
  "resourceset-tenants": {
    broken: [
      "error consumer-without-provider flux-system/team-a-apps clusters/dev/tenants.yaml:16",
      "error consumer-without-provider flux-system/team-b-apps clusters/dev/tenants.yaml:16",
    ],
  },
  "crd-description-variable": {
    // ${BUCKET} in the default of a field changes what runs; ${BACKUP_DIR} only in descriptions does not.
    broken: ["error unsubstituted-variable flux-system/crds infrastructure/crds/backups.yaml:3"],
  },
  "secure-path": {
    broken: ["error consumer-without-provider flux-system/infra-configs clusters/dev/infrastructure.yaml:15"],
  },
};

const run = (construct: string, variant: string, options: VerifyOptions = {}, cluster = "clusters/dev") =>
  verifyRepository(path.join(FIXTURES, construct, variant), cluster, options);

describe("Flux as the controllers do it (test/fixtures/ordering)", () => {
  for (const [construct, want] of Object.entries(constructs)) {
    describe(construct, () => {
      it("broken: exactly its findings", () => {
        assert.deepStrictEqual(actionable(run(construct, "broken", want.options, want.cluster).findings), want.broken);
      });
      it("fixed: nothing to act on", () => {
        assert.deepStrictEqual(actionable(run(construct, "fixed", want.options, want.cluster).findings), []);
      });
    });
  }
});

describe("substitution runs in the parent first", () => {
  const sub = (values: Record<string, string | undefined>, complete = true): Substitution =>
    ({ values: new Map(Object.entries(values)), complete, active: true });

  it("one pass: $${X} loses one $, :- and := defaults apply to an unset or empty value, - and = never (all are set)", () => {
    assert.strictEqual(substituteText("${A}/$${A}/${B:=b}/${C-c}/${E:-e}", sub({ A: "a", E: "" })), "a/${A}/b//e");
  });

  it("a whole value is read again as YAML: `true` becomes a boolean, an emptied one null; the disable annotation skips the object", () => {
    const o: K8sObject = {
      apiVersion: "v1", kind: "ConfigMap", group: "", name: "x", namespace: "a", source: { file: "x.yaml", line: 1 },
      body: { metadata: { name: "x" }, spec: { wait: "${FLAG}", gone: "${NOPE}", text: "on ${FLAG}" } },
    };
    assert.deepStrictEqual(substitutedObject(o, sub({ FLAG: "true" })).body.spec, { wait: true, gone: null, text: "on true" });
    const disabled = { ...o, body: { ...o.body, metadata: { name: "x", labels: { "kustomize.toolkit.fluxcd.io/substitute": "disabled" } } } };
    assert.strictEqual(substitutedObject(disabled, sub({ FLAG: "true" })), disabled);
  });

  it("the child Kustomization is created with the root's values: path, patches, substitute; $${} reaches it one level down", () => {
    const result = run("parent-substitution", "fixed");
    const apps = result.kustomizations.find((k) => k.name === "apps")!;
    assert.strictEqual(apps.path, "./apps/dev");
    const settings = apps.objects.find((o) => o.name === "settings")!;
    assert.deepStrictEqual(settings.body.data, { cluster: "${CLUSTER}", monitoring: "true", version: "${APP_VERSION}" });
    const legacy = result.kustomizations.find((k) => k.name === "legacy")!;
    assert.deepStrictEqual(legacy.objects[0].body.data, { owner: "platform", tier: "${TIER}" });
  });

  it("a path the parent substitutes from values this check cannot read (the stack's cluster-vars) is unread, and says why", () => {
    const root = writeRepo({ "clusters/dev/app.yaml": fluxKustomization("app", { path: "./apps/${ENVIRONMENT}" }) });
    const [note] = verifyRepository(root, "clusters/dev", { bootstrap: "stack" }).findings.filter((f) => f.rule === "unresolved-reference");
    assert.match(note.message, /unsubstituted-path \.\/apps\/\$\{ENVIRONMENT\} \(its parent substitutes it from values this check cannot read\)/);
  });

  it("a variable the root does not define is the root's to fix, not the child's", () => {
    const [finding] = run("parent-substitution", "broken").findings.filter((f) => f.severity === "error");
    assert.match(finding.message, /Kustomization flux-system\/apps uses \$\{MONITORING_ENABLED\}, which the root flux-system\/flux-system/);
    assert.match(finding.fix, /spec\.postBuild\.substitute of the root flux-system\/flux-system \(clusters\/dev\/flux-system\/gotk-sync\.yaml:12\)/);
  });
});

describe("spec.path is joined securely", () => {
  it("`..` stops at the source root, as securejoin does: read, with a note, not refused", () => {
    const result = run("secure-path", "fixed");
    const controllers = result.kustomizations.find((k) => k.name === "infra-controllers")!;
    assert.deepStrictEqual(controllers.objects.map((o) => `${o.kind}/${o.name} ${o.source.file}`),
      ["HelmRepository/jetstack infrastructure/controllers/cert-manager.yaml", "HelmRelease/cert-manager infrastructure/controllers/cert-manager.yaml"]);
    const note = result.findings.find((f) => f.rule === "source-read")!;
    assert.match(note.message, /climbs above the source root; Flux joins it securely, so it reads infrastructure\/controllers/);
  });
});

describe("cluster-vars in committed mode", () => {
  it("is the stack's only when verifying for the stack: then its names are defined", () => {
    assert.deepStrictEqual(actionable(run("cluster-vars-committed", "broken", { bootstrap: "stack" }).findings), []);
    const [warning] = run("cluster-vars-committed", "broken").findings;
    assert.match(warning.message, /ConfigMap\/cluster-vars is made outside the repository/);
    assert.match(warning.fix, /^nothing to fix if ConfigMap\/cluster-vars defines CLUSTER_NAME; otherwise/);
  });
});

describe("the Flux Operator's own sync", () => {
  it("a flux-instance chart's values.instance.sync.name names the GitRepository of this repository: read, not external", () => {
    const result = run("flux-instance-sync-name", "fixed");
    assert.strictEqual(result.summary.unread, 0);
    assert.deepStrictEqual(result.kustomizations.map((k) => k.id).sort(), ["flux-system/fleet", "flux-system/infra-configs", "flux-system/infra-controllers"]);
  });
});

describe("ResourceSets", () => {
  it("one copy per input set (inline, then a Static provider's defaults); reconcile: disabled left out; a provider of live inputs is a note naming the ResourceSet", () => {
    const result = run("resourceset-tenants", "fixed");
    const generated = result.kustomizations.filter((k) => k.name.endsWith("-apps")).map((k) => [k.id, k.path, k.dependsOn]);
    assert.deepStrictEqual(generated, [
      ["flux-system/team-a-apps", "./tenants/team-a", ["flux-system/infra-controllers"]],
      ["flux-system/team-b-apps", "./tenants/team-b", ["flux-system/infra-controllers"]],
    ]);
    const notes = result.findings.filter((f) => f.rule === "source-read").map((f) => f.message);
    // Each note is at its ResourceSet.
    assert.deepStrictEqual(result.findings.filter((f) => f.rule === "source-read").map((f) => `${f.file}:${f.line}`),
      ["clusters/dev/tenants.yaml:16", "clusters/dev/tenants.yaml:58", "clusters/dev/tenants.yaml:74"]);
    assert.ok(notes.some((m) => /ResourceSet flux-system\/tenants generates 2 objects from 3 input sets/.test(m)), notes.join("\n"));
    assert.ok(notes.some((m) => /ResourceSet flux-system\/previews is not expanded: .*GitHubPullRequest/.test(m)), notes.join("\n"));
    // Conditional on a CRD (d2-fleet's shape): nothing of it is applied until that API exists.
    assert.ok(notes.some((m) => /ResourceSet flux-system\/flux-monitoring is not expanded: it waits for CustomResourceDefinition podmonitors/.test(m)), notes.join("\n"));
  });

  it("renders the operator's template language: << >>, trim markers, range with index, if/else, pipelines, sprig functions, missingkey=error", () => {
    const template = "<<- range $i, $app := inputs.apps >>\n- << $app.name | lower | quote >>: << $i >><< if $app.big >> big<< else >> << default \"small\" $app.size >><< end >>\n<<- end >>\n<< toYaml inputs.extra | nindent 2 >>";
    const input = { apps: [{ name: "Web", big: false, size: null }, { name: "DB", big: true, size: 3 }], extra: { a: 1 } };
    assert.strictEqual(renderResourceSetTemplate(template, input), '\n- "web": 0 small\n- "db": 1 big\n\n  a: 1');
    assert.throws(() => renderResourceSetTemplate("<< inputs.missing >>", {}), /map has no entry for key "missing"/);
    assert.throws(() => renderResourceSetTemplate("<< include \"x\" . >>", {}), /function include/);
    // Hostile input is refused as unexpandable, never a stack overflow or an endless render.
    assert.throws(() => renderResourceSetTemplate("<< if true >>".repeat(10000), {}), /nested deeper than 64/);
    const wide = `<< range inputs.l >>${"x".repeat(2 ** 20)}<< end >>`;
    assert.throws(() => renderResourceSetTemplate(wide, { l: Array.from({ length: 20 }, (_, i) => i) }), /renders more than/);
  });
});

describe("effects, not text", () => {
  it("a variable emptied only inside a CRD's descriptions, or on a comment line of a configuration file, is a note; the same name in a default is an error", () => {
    const findings = run("crd-description-variable", "broken").findings.map((f) => `${f.severity} ${/uses \$\{(\w+)\}/.exec(f.message)![1]}`);
    assert.deepStrictEqual(findings, ["error BUCKET", "note BACKUP_DIR", "note CREDENTIALS_DIRECTORY"]);
  });
});

describe("a build failure this check cannot be sure of", () => {
  it("duplicate ids in a build holding an inline NamespaceTransformer (not modelled, it keeps the ids apart) are a warning, not an error", () => {
    const component = "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources: [alert.yaml]\n";
    const alert = "apiVersion: notification.toolkit.fluxcd.io/v1beta3\nkind: Alert\nmetadata: {name: alertmanager}\nspec: {providerRef: {name: am}, eventSources: [{kind: Kustomization, name: '*'}]}\n";
    const tenant = (ns: string) => `resources: [ns.yaml]\ncomponents: [../../components/alerts]\ntransformers:\n  - |-\n    apiVersion: builtin\n    kind: NamespaceTransformer\n    metadata: {name: not-used, namespace: ${ns}}\n    unsetOnly: true\n`;
    const root = writeRepo({
      "clusters/dev/apps.yaml": fluxKustomization("apps", { path: "./apps", patches: [{ patch: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: _}\ndata: {x: y}\n", target: { kind: "ConfigMap" } }] }),
      "components/alerts/kustomization.yaml": component,
      "components/alerts/alert.yaml": alert,
      "apps/a/kustomization.yaml": tenant("a"),
      "apps/a/ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n",
      "apps/b/kustomization.yaml": tenant("b"),
      "apps/b/ns.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: b}\n",
    });
    const failed = verifyRepository(root, "clusters/dev").findings.filter((f) => f.rule === "build-failed");
    assert.deepStrictEqual(failed.map((f) => f.severity), ["warning"]);
    assert.match(failed[0].message, /may fail to build flux-system\/apps: .* without transformers/);
  });
});
