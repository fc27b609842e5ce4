/**
 * Which controllers the repository installs that call AWS, and the service account each runs as:
 * the stack gives each one an IAM role through an EKS Pod Identity association. Read from the
 * HelmReleases by chart (the chart table's `podIdentity`), and for cert-manager only when an
 * Issuer or ClusterIssuer actually uses a Route 53 DNS-01 solver.
 */
import type { AwsPolicyKind, ChartProvider, K8sObject, KustomizationNode, SourceLocation } from "../model";
import { chartNameOf, providerTable, valueAt } from "./table";
import { isRecord } from "../read/yaml";

/** Something that asked for an association, for the plan: a file:line and what is there. */
export interface PodIdentityReason extends SourceLocation {
  what: string;
}

/** One Pod Identity association the repository needs. */
export interface PodIdentityRequest {
  /** Names the role and association: the chart name, or `podIdentities[i]` for a settings row. */
  controller: string;
  namespace: string;
  serviceAccount: string;
  policy: AwsPolicyKind;
  askedBy: PodIdentityReason[];
}

const where = (o: K8sObject, what: string): PodIdentityReason => ({ file: o.source.file, line: o.source.line, what });

/**
 * Helm's release name for a HelmRelease: `spec.releaseName`, else `[<targetNamespace>-]<name>`
 * (helm-controller docs/spec/v2/helmreleases.md, "Release name").
 */
function releaseNameOf(release: K8sObject): string {
  const spec = isRecord(release.body.spec) ? release.body.spec : {};
  if (typeof spec.releaseName === "string" && spec.releaseName !== "") return spec.releaseName;
  return typeof spec.targetNamespace === "string" && spec.targetNamespace !== "" ? `${spec.targetNamespace}-${release.name}` : release.name;
}

/** The chart's conventional `fullname` helper: fullnameOverride, else the release name when it contains the chart's name. */
function fullnameOf(release: K8sObject, chart: string, values: unknown): string {
  const override = valueAt(values, "fullnameOverride");
  if (typeof override === "string" && override !== "") return override.slice(0, 63);
  const nameOverride = valueAt(values, "nameOverride");
  const name = typeof nameOverride === "string" && nameOverride !== "" ? nameOverride : chart;
  const releaseName = releaseNameOf(release);
  return (releaseName.includes(name) ? releaseName : `${releaseName}-${name}`).slice(0, 63);
}

function isRoute53Issuer(o: K8sObject): boolean {
  if (o.group !== "cert-manager.io" || (o.kind !== "ClusterIssuer" && o.kind !== "Issuer")) return false;
  const acme = isRecord(o.body.spec) && isRecord(o.body.spec.acme) ? o.body.spec.acme : {};
  const solvers = Array.isArray(acme.solvers) ? acme.solvers : [];
  return solvers.some((s) => isRecord(s) && isRecord(s.dns01) && s.dns01.route53 !== undefined);
}

/**
 * The associations the repository's controllers need, one per (namespace, service account),
 * from the Kustomizations of a verification and the objects of the cluster path.
 */
export function podIdentityRequests(
  kustomizations: readonly KustomizationNode[],
  clusterObjects: readonly K8sObject[] = [],
  providers: ChartProvider[] = [],
): PodIdentityRequest[] {
  const table = providerTable(providers);
  const objects = [...clusterObjects, ...kustomizations.flatMap((k) => k.objects)];
  const sources = new Map<string, K8sObject>();
  for (const o of objects) if (o.kind === "OCIRepository" || o.kind === "HelmChart") sources.set(`${o.kind}/${o.namespace ?? "default"}/${o.name}`, o);
  const lookup = (kind: string, namespace: string, name: string) => sources.get(`${kind}/${namespace}/${name}`);
  const route53Issuers = objects.filter(isRoute53Issuer);

  const byAccount = new Map<string, PodIdentityRequest>();
  for (const release of objects) {
    if (release.kind !== "HelmRelease" || release.group !== "helm.toolkit.fluxcd.io") continue;
    const chart = chartNameOf(release, lookup);
    const wanted = chart === undefined ? undefined : table.get(chart)?.podIdentity;
    if (chart === undefined || wanted === undefined) continue;
    if (wanted.onlyWhen === "route53-solver" && route53Issuers.length === 0) continue;
    const spec = isRecord(release.body.spec) ? release.body.spec : {};
    const values = spec.values;
    const named = valueAt(values, wanted.serviceAccountValue);
    const serviceAccount = typeof named === "string" && named !== "" ? named : wanted.defaultServiceAccount ?? fullnameOf(release, chart, values);
    const namespace = typeof spec.targetNamespace === "string" && spec.targetNamespace !== "" ? spec.targetNamespace : release.namespace ?? "default";
    const askedBy = [where(release, `HelmRelease ${release.namespace ?? "default"}/${release.name} installs chart ${chart}`)];
    if (wanted.onlyWhen === "route53-solver") {
      askedBy.push(...route53Issuers.map((o) => where(o, `${o.kind} ${o.namespace ? `${o.namespace}/` : ""}${o.name} solves DNS-01 with Route 53`)));
    }
    const key = `${namespace}/${serviceAccount}`;
    const seen = byAccount.get(key);
    if (seen) seen.askedBy.push(...askedBy);
    else byAccount.set(key, { controller: chart, namespace, serviceAccount, policy: wanted.policy, askedBy });
  }
  return [...byAccount.values()];
}
