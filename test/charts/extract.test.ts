import { strict as assert } from "assert";
import * as zlib from "zlib";
import { chartFactsFromArchive } from "../../gitops/charts/extract";
import { releaseInstalls, groupsByState } from "../../gitops/charts/installs";
import { conditionHolds, templateDocuments, UNKNOWN } from "../../gitops/charts/template";
import { ChartArchiveError, readChartArchive } from "../../gitops/charts/archive";
import { chartArchive, chartYaml, crd, testCharts } from "./helpers";

const charts = testCharts();
const facts = (file: string) => chartFactsFromArchive(charts[file]);
const states = (file: string, values: Record<string, unknown> = {}, unknown: string[] = [], policy?: string) => {
  const out: Record<string, string> = {};
  for (const [g, s] of groupsByState(releaseInstalls(facts(file), { values, unknown }, policy))) out[g] = s.state;
  return out;
};

describe("what a chart installs, read from its archive", () => {
  it("crds/ is installed unless install.crds is Skip", () => {
    assert.deepEqual(states("plain-crds-1.0.0.tgz"), { "widgets.example.io": "yes" });
    const skipped = releaseInstalls(facts("plain-crds-1.0.0.tgz"), { values: {}, unknown: [] }, "Skip");
    assert.deepEqual(skipped.groups.map((g) => [g.group, g.state, g.skipped]), [["widgets.example.io", "no", true]]);
  });

  it("templates under `if .Values.crds.enabled` follow the values: chart default, then the release's", () => {
    assert.deepEqual(states("enabled-crds-1.0.0.tgz"), { "enabled.example.io": "no" });
    assert.deepEqual(states("enabled-crds-1.0.0.tgz", { crds: { enabled: true } }), { "enabled.example.io": "yes" });
    // install.crds: Skip covers crds/ only, never templates.
    assert.deepEqual(states("enabled-crds-1.0.0.tgz", { crds: { enabled: true } }, [], "Skip"), { "enabled.example.io": "yes" });
  });

  it("`or .Values.installCRDs .Values.crds.enabled`: either value switches them on", () => {
    assert.deepEqual(states("legacy-crds-1.0.0.tgz"), { "legacy.example.io": "no" });
    assert.deepEqual(states("legacy-crds-1.0.0.tgz", { installCRDs: true }), { "legacy.example.io": "yes" });
    assert.deepEqual(states("legacy-crds-1.0.0.tgz", { crds: { enabled: true } }), { "legacy.example.io": "yes" });
    const because = groupsByState(releaseInstalls(facts("legacy-crds-1.0.0.tgz"), { values: { installCRDs: true }, unknown: [] }, undefined)).get("legacy.example.io")!.because;
    assert.equal(because, "templates/crd-certs.yaml installs legacy.example.io when `or installCRDs crds.enabled` (true here)");
  });

  it("a value from a valuesFrom that cannot be read makes the group maybe, never yes or no", () => {
    assert.deepEqual(states("legacy-crds-1.0.0.tgz", {}, [""]), { "legacy.example.io": "maybe" });
    assert.deepEqual(states("install-crds-1.0.0.tgz", {}, ["crds.install"]), { "policies.example.io": "maybe", "reports.example.io": "maybe" });
    // A known true argument decides `or` whatever the unknown one is.
    assert.deepEqual(states("legacy-crds-1.0.0.tgz", { installCRDs: true }, ["crds"]), { "legacy.example.io": "yes" });
  });

  it("a CRD subchart with a condition, and an aliased dependency with its own condition", () => {
    assert.deepEqual(states("stack-1.0.0.tgz"), { "monitoring.example.io": "yes", "extra.example.io": "no" });
    assert.deepEqual(states("stack-1.0.0.tgz", { crds: { enabled: false } }), { "monitoring.example.io": "no", "extra.example.io": "no" });
    // The alias renames the subchart: its condition and its values live under `extra`.
    assert.deepEqual(states("stack-1.0.0.tgz", { extra: { install: true } }), { "monitoring.example.io": "yes", "extra.example.io": "yes" });
    assert.deepEqual(states("stack-1.0.0.tgz", { extra: { install: true, enabled: false } }), { "monitoring.example.io": "yes", "extra.example.io": "no" });
    const f = facts("stack-1.0.0.tgz");
    assert.deepEqual(f.dependencies.map((d) => [d.name, d.alias, d.condition]), [["crds", undefined, "crds.enabled"], ["base-crds", "extra", "extra.install"]]);
  });

  it("tags enable a dependency unless all its set tags are false (Helm processDependencyTags)", () => {
    const sub = chartArchive("tagged", { "Chart.yaml": chartYaml("tagged", "1.0.0"), "crds/t.yaml": crd("tagged.example.io", "T") });
    const parent = chartArchive("parent", {
      "Chart.yaml": chartYaml("parent", "1.0.0", "dependencies:\n  - name: tagged\n    version: 1.0.0\n    tags: [a, b]\n"),
      "charts/tagged-1.0.0.tgz": sub,
    });
    const f = chartFactsFromArchive(parent);
    const st = (values: Record<string, unknown>) => groupsByState(releaseInstalls(f, { values, unknown: [] }, undefined)).get("tagged.example.io")!.state;
    assert.equal(st({}), "yes");
    assert.equal(st({ tags: { a: false } }), "no");
    assert.equal(st({ tags: { a: false, b: true } }), "yes");
  });

  it("a templated group is read from a plain value, and is unknown otherwise", () => {
    const f = facts("templated-1.0.0.tgz");
    const installs = releaseInstalls(f, { values: {}, unknown: [] }, undefined);
    assert.deepEqual(installs.groups.map((g) => [g.group, g.state]), [["valued.example.io", "yes"], [null, "maybe"]]);
    const overridden = releaseInstalls(f, { values: { group: "other.example.io" }, unknown: [] }, undefined);
    assert.equal(overridden.groups[0].group, "other.example.io");
  });

  it("a chart with no CRDs installs none; a webhook keeps its rules and failure policy", () => {
    assert.deepEqual(facts("none-1.0.0.tgz").crds, []);
    const w = facts("webhook-1.0.0.tgz").webhooks;
    assert.equal(w.length, 1);
    assert.equal(w[0].kind, "ValidatingWebhookConfiguration");
    assert.deepEqual(w[0].webhooks.map((h) => [h.name, h.failurePolicy, h.namespaceSelector, h.objectSelector]), [["validate.webhook.example.io", "Fail", true, false]]);
    assert.deepEqual(w[0].webhooks[0].rules, [{ apiGroups: [""], resources: ["pods"], operations: ["CREATE", "UPDATE"] }]);
    assert.equal(releaseInstalls(facts("webhook-1.0.0.tgz"), { values: { webhook: { enabled: false } }, unknown: [] }, undefined).webhooks.length, 0);
  });

  it("the lock keeps only the defaults its conditions read", () => {
    assert.deepEqual(facts("stack-1.0.0.tgz").defaults, { crds: { enabled: true }, extra: { install: false, enabled: true } });
  });
});

describe("template conditions", () => {
  const view = { values: { a: { b: true, s: "x", n: 0 }, list: [], m: { k: 1 } }, unknown: ["u"] };
  const holds = (expr: string) => conditionHolds({ expr, want: true }, view);
  it("evaluates .Values paths with and, or, not, eq, ne, default, hasKey, empty, parentheses and pipelines", () => {
    assert.equal(holds(".Values.a.b"), true);
    assert.equal(holds("not .Values.a.b"), false);
    assert.equal(holds("and .Values.a.b (eq .Values.a.s \"x\")"), true);
    assert.equal(holds("or .Values.a.n .Values.list"), false);
    assert.equal(holds("ne .Values.a.s \"y\""), true);
    assert.equal(holds("hasKey .Values.m \"k\""), true);
    assert.equal(holds("hasKey .Values.m \"z\""), false);
    assert.equal(holds("default true .Values.missing"), true);
    assert.equal(holds(".Values.missing | default false"), false);
    assert.equal(holds("empty .Values.list"), true);
    assert.equal(holds("$.Values.a.b"), true);
    assert.equal(holds("(.Values.m).k"), true);
  });
  it("anything else is unknown: maybe, never yes or no", () => {
    assert.equal(holds(".Values.u.x"), UNKNOWN);
    assert.equal(holds(".Capabilities.APIVersions.Has \"x/v1\""), UNKNOWN);
    assert.equal(holds("semverCompare \">=1.20\" .Capabilities.KubeVersion.Version"), UNKNOWN);
    assert.equal(holds("$x"), UNKNOWN);
    assert.equal(holds("and .Values.u (eq 1 2)"), false);
  });
  it("finds the conditions around each document: else branches, with, range and define", () => {
    const { documents } = templateDocuments(`{{- if .Values.a }}
kind: A
{{- else if .Values.b }}
kind: B
{{- else }}
kind: C
{{- end }}
---
{{- with .Values.w }}
kind: D
{{- if .x }}
---
kind: E
{{- end }}
{{- end }}
{{- define "x" }}
kind: Hidden
{{- end }}
`);
    const kinds = documents.map((d) => [/kind: (\w+)/.exec(d.text)?.[1], d.conditions.map((c) => `${c.want ? "" : "!"}${c.expr}${c.opaque ? "?" : ""}`)]);
    assert.deepEqual(kinds.filter((k) => k[0] !== undefined), [
      ["A", [".Values.a"]],
      ["D", [".Values.w"]],
      ["E", [".Values.w", ".x?"]],
    ]);
  });
});

describe("hostile chart archives", () => {
  it("path traversal and symlinks are skipped, never followed (nothing is written to disk)", () => {
    const archive = chartArchive("evil", { "Chart.yaml": chartYaml("evil", "1.0.0"), "crds/c.yaml": crd("evil.example.io", "E") });
    const files = readChartArchive(archive);
    assert.deepEqual([...files.keys()].sort(), ["Chart.yaml", "crds/c.yaml"]);
  });
  it("a gzip bomb stops at Helm's 100 MiB limit with a clear error", () => {
    const bomb = zlib.gzipSync(Buffer.alloc(120 * 1024 * 1024));
    assert.throws(() => readChartArchive(bomb), (e: Error) => e instanceof ChartArchiveError && /expands past 100 MiB/.test(e.message));
  });
  it("a truncated archive, and bytes that are not gzip, are clear errors", () => {
    const archive = chartArchive("t", { "Chart.yaml": chartYaml("t", "1.0.0"), "crds/c.yaml": crd("t.example.io", "T") });
    assert.throws(() => readChartArchive(archive.subarray(0, archive.length - 20)), ChartArchiveError);
    assert.throws(() => readChartArchive(Buffer.from("<html>")), /not a gzip archive/);
  });
  it("a chart of 10,000 files is refused by count, quickly", () => {
    const files: Record<string, string> = { "Chart.yaml": chartYaml("many", "1.0.0") };
    for (let i = 0; i < 10000; i++) files[`templates/f${i}.yaml`] = "a: 1\n";
    const archive = chartArchive("many", files);
    assert.throws(() => readChartArchive(archive), /more than 5000 entries/);
  });
});
