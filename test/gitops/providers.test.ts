import * as assert from "assert";
import { K8sObject } from "../../gitops/model";
import { builtinGroups, chartFor, chartProviders, helmReleaseCrds, providerTable } from "../../gitops/charts/table";
import { parseProvidersFile } from "../../gitops/verify";
import { parseManifests } from "../../gitops/read/yaml";

const helmRelease = (spec: string): K8sObject =>
  parseManifests(`apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: r, namespace: infra}\nspec:\n${spec}`, "hr.yaml")[0];
const noSources = () => undefined;
const groupsOf = (spec: string) => {
  const hr = helmRelease(spec);
  const row = chartFor(hr, noSources);
  return row === undefined ? undefined : helmReleaseCrds(hr, row);
};

describe("the chart table", () => {
  it("covers at least 30 charts, each once, with the seed's charts among them", () => {
    const charts = chartProviders.map((p) => p.chart);
    assert.ok(charts.length >= 30, `${charts.length} rows`);
    assert.strictEqual(new Set(charts).size, charts.length, "duplicate rows");
    for (const c of ["cert-manager", "kube-prometheus-stack", "aws-load-balancer-controller", "kiali-operator", "flagger", "external-secrets", "karpenter", "velero", "traefik", "cilium"]) {
      assert.ok(charts.includes(c), c);
    }
  });

  it("reads crdsValue from spec.values: cert-manager installs CRDs only when asked (crds.enabled or legacy installCRDs)", () => {
    const chart = "  chart: {spec: {chart: cert-manager, sourceRef: {kind: HelmRepository, name: jetstack}}}\n";
    assert.deepStrictEqual(groupsOf(chart)?.groups, []);
    assert.deepStrictEqual(groupsOf(`${chart}  values: {crds: {enabled: true}}\n`)?.groups, ["cert-manager.io", "acme.cert-manager.io"]);
    assert.deepStrictEqual(groupsOf(`${chart}  values: {installCRDs: true}\n`)?.groups, ["cert-manager.io", "acme.cert-manager.io"]);
    assert.deepStrictEqual(groupsOf(`${chart}  values: {crds: {enabled: false}}\n`)?.groups, []);
  });

  it("a chart whose CRDs are on by default loses them only when the value turns them off", () => {
    const chart = "  chart: {spec: {chart: external-secrets, sourceRef: {kind: HelmRepository, name: es}}}\n";
    assert.deepStrictEqual(groupsOf(chart)?.groups, ["external-secrets.io", "generators.external-secrets.io"]);
    assert.deepStrictEqual(groupsOf(`${chart}  values: {installCRDs: false}\n`)?.groups, []);
  });

  it("install.crds: Skip drops a chart's crds/ directory but not CRDs shipped as templates", () => {
    const flagger = groupsOf("  chart: {spec: {chart: flagger, sourceRef: {kind: HelmRepository, name: f}}}\n  install: {crds: Skip}\n");
    assert.deepStrictEqual(flagger, { groups: [], skipped: ["flagger.app"] });
    const prometheusCrds = groupsOf("  chart: {spec: {chart: prometheus-operator-crds, sourceRef: {kind: HelmRepository, name: p}}}\n  install: {crds: Skip}\n");
    assert.deepStrictEqual(prometheusCrds, { groups: ["monitoring.coreos.com"], skipped: [] });
  });

  it("finds the chart through chartRef to an OCIRepository defined in the repository", () => {
    const hr = helmRelease("  chartRef: {kind: OCIRepository, name: karpenter}\n");
    const oci = parseManifests("apiVersion: source.toolkit.fluxcd.io/v1\nkind: OCIRepository\nmetadata: {name: karpenter, namespace: infra}\nspec:\n  url: oci://public.ecr.aws/karpenter/karpenter\n  ref: {tag: 1.1.0}\n", "oci.yaml")[0];
    const lookup = (kind: string, ns: string, name: string) => (kind === "OCIRepository" && ns === "infra" && name === "karpenter" ? oci : undefined);
    assert.strictEqual(chartFor(hr, lookup)?.chart, "karpenter");
    assert.strictEqual(chartFor(hr, noSources), undefined);
  });

  it("user rows win over shipped rows", () => {
    const table = providerTable([{ chart: "cilium", groups: ["cilium.io", "isovalent.com"], how: "runtime" }]);
    assert.deepStrictEqual(table.get("cilium")?.groups, ["cilium.io", "isovalent.com"]);
  });

  it("knows Kubernetes' own groups from CRD groups that merely look built in", () => {
    for (const g of ["", "apps", "autoscaling", "networking.k8s.io", "kustomize.toolkit.fluxcd.io", "fluxcd.controlplane.io"]) assert.ok(builtinGroups.has(g), g);
    for (const g of ["autoscaling.k8s.io", "gateway.networking.k8s.io", "snapshot.storage.k8s.io"]) assert.ok(!builtinGroups.has(g), g);
  });
});

describe("parseProvidersFile", () => {
  it("reads YAML and JSON lists, with crdsValue in its short and long forms", () => {
    const yaml = "- chart: my-operator\n  groups: [example.com]\n  crdsValue: crds.install\n- chart: other\n  groups: [other.io]\n  crdsValue: {paths: [a.b], default: true}\n";
    assert.deepStrictEqual(parseProvidersFile(yaml, "p.yaml"), [
      { chart: "my-operator", groups: ["example.com"], how: "templates", crdsValue: { paths: ["crds.install"], default: false } },
      { chart: "other", groups: ["other.io"], how: "templates", crdsValue: { paths: ["a.b"], default: true } },
    ]);
    assert.deepStrictEqual(parseProvidersFile('{"providers": [{"chart": "x", "groups": ["x.io"]}]}', "p.json"),
      [{ chart: "x", groups: ["x.io"], how: "crds" }]);
  });

  it("names file, line and what was expected", () => {
    const text = "- chart: ok\n  groups: [a.io]\n- chart: broken\n  groups: a.io\n";
    assert.throws(() => parseProvidersFile(text, "providers.yaml"), (e: Error) =>
      e.message === "providers.yaml:3: providers[1]: `groups` must be a list of API group names, e.g. [cert-manager.io]");
    assert.throws(() => parseProvidersFile("chart: x\n", "p.yaml"), (e: Error) => /^p\.yaml:1: expected a list/.test(e.message));
    assert.throws(() => parseProvidersFile("- {chart: x, groups: [\n", "p.yaml"), (e: Error) => /^p\.yaml:\d+: YAML parse error/.test(e.message));
  });
});
