import * as assert from "assert";
import { podIdentityRequests } from "../../gitops/charts/pod-identities";
import { verifyRepository } from "../../gitops/verify";
import { fluxKustomization, writeRepo } from "./helpers";

const release = (name: string, namespace: string, chart: string, extra = "") =>
  [
    "apiVersion: helm.toolkit.fluxcd.io/v2", "kind: HelmRelease", `metadata: {name: ${name}, namespace: ${namespace}}`, "spec:",
    `  chart: {spec: {chart: ${chart}, sourceRef: {kind: HelmRepository, name: charts, namespace: flux-system}}}`, extra, "",
  ].join("\n");
const route53Issuer = "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: {name: le}\nspec:\n  acme:\n    solvers:\n      - dns01:\n          route53: {region: eu-west-1}\n";
const http01Issuer = "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: {name: le}\nspec:\n  acme:\n    solvers:\n      - http01: {ingress: {ingressClassName: alb}}\n";

function requests(files: Record<string, string>) {
  const repo = writeRepo({ "clusters/dev/infra.yaml": fluxKustomization("infra", { path: "./infra", prune: true, wait: true }), ...files });
  const { kustomizations } = verifyRepository(repo, "clusters/dev", { preinstalledGroups: ["cert-manager.io"] });
  return podIdentityRequests(kustomizations).map((r) => ({ ...r, askedBy: r.askedBy.map((a) => `${a.file}:${a.line}`) }));
}

describe("Pod Identity associations detected from the repository", () => {
  it("cert-manager: only when an issuer solves DNS-01 with Route 53, and the issuer is named as a reason", () => {
    assert.deepStrictEqual(requests({ "infra/cm.yaml": release("cert-manager", "cert-manager", "cert-manager"), "infra/issuer.yaml": route53Issuer }), [
      { controller: "cert-manager", namespace: "cert-manager", serviceAccount: "cert-manager", policy: "cert-manager-route53", askedBy: ["infra/cm.yaml:1", "infra/issuer.yaml:1"] },
    ]);
    assert.deepStrictEqual(requests({ "infra/cm.yaml": release("cert-manager", "cert-manager", "cert-manager"), "infra/issuer.yaml": http01Issuer }), []);
  });

  it("external-dns: the chart's fullname when the release name lacks the chart name, in the target namespace", () => {
    const found = requests({ "infra/dns.yaml": release("dns", "flux-system", "external-dns", "  targetNamespace: dns") });
    assert.deepStrictEqual(found.map((r) => [r.namespace, r.serviceAccount, r.policy]), [["dns", "dns-dns-external-dns", "external-dns"]]);
  });

  it("the Load Balancer Controller: serviceAccount.name from the values wins", () => {
    const found = requests({
      "infra/lbc.yaml": release("aws-load-balancer-controller", "kube-system", "aws-load-balancer-controller", "  values: {serviceAccount: {name: lbc}}"),
    });
    assert.deepStrictEqual(found.map((r) => [r.namespace, r.serviceAccount, r.policy]), [["kube-system", "lbc", "aws-load-balancer-controller"]]);
  });

  it("the EBS CSI driver chart: its fixed controller account; a chart that calls no AWS asks for nothing", () => {
    const found = requests({
      "infra/ebs.yaml": release("ebs", "kube-system", "aws-ebs-csi-driver"),
      "infra/kiali.yaml": release("kiali-operator", "kiali-operator", "kiali-operator"),
    });
    assert.deepStrictEqual(found.map((r) => [r.namespace, r.serviceAccount, r.policy]), [["kube-system", "ebs-csi-controller-sa", "ebs-csi-driver"]]);
  });
});
