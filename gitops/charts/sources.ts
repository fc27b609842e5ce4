import { K8sObject } from "../model";
import { isRecord } from "../read/yaml";

/**
 * Where a HelmRelease's chart comes from, as source-controller and helm-controller find it
 * (helm-controller api/v2 helmrelease_types.go `chart` / `chartRef`; source-controller
 * internal/controller/helmchart_controller.go buildFromHelmRepository / buildFromTarballArtifact):
 * - `spec.chart.spec` (a HelmChart template) with a HelmRepository: HTTP(S) (index.yaml, then the
 *   archive) or `type: oci` (the chart is `<url>/<chart>`, the version a tag or a constraint);
 * - `spec.chart.spec` with a GitRepository or Bucket: the chart is a directory of that source;
 * - `spec.chartRef` to an OCIRepository (its URL is the chart; `ref.digest`, `ref.semver`,
 *   `ref.tag`, else `latest`) or to a HelmChart (its own spec, as above).
 */
export type ChartRequest =
  | {
    protocol: "http" | "oci";
    /** The repository URL as written (no trailing slash): https://charts.jetstack.io, oci://ghcr.io/org/charts. */
    repository: string;
    chart: string;
    /** The version or constraint as written; "" is the latest stable release. */
    version: string;
    /** An OCIRepository `ref.digest`: the manifest digest pinned. */
    digest?: string;
    /** OCIRepository `ref.tag`: an exact tag, never read as a constraint. */
    exactTag?: boolean;
  }
  | {
    protocol: "source";
    /** "GitRepository/namespace/name" or "Bucket/namespace/name". */
    source: string;
    /** The chart directory in that source, e.g. ./charts/app. */
    path: string;
  };

/** Why the chart of a HelmRelease cannot be named. */
export interface ChartUnnamed {
  unnamed: string;
}

/** Flux objects that define chart sources, by "Kind/namespace/name". */
export type ChartSourceLookup = (kind: string, namespace: string, name: string) => K8sObject | undefined;

const spec = (o: K8sObject | undefined): Record<string, unknown> => (o !== undefined && isRecord(o.body.spec) ? o.body.spec : {});

function trimSlash(url: string): string {
  return url.replace(/\/+$/, "");
}

/** The request a HelmChart template (`spec.chart.spec` or a HelmChart's spec) makes. */
function fromChartTemplate(template: Record<string, unknown>, namespace: string, lookup: ChartSourceLookup): ChartRequest | ChartUnnamed {
  const chart = typeof template.chart === "string" ? template.chart : "";
  if (chart === "") return { unnamed: "spec.chart.spec.chart is not set" };
  const version = typeof template.version === "string" ? template.version.trim() : "";
  const ref = isRecord(template.sourceRef) ? template.sourceRef : {};
  const kind = typeof ref.kind === "string" ? ref.kind : "HelmRepository";
  const name = typeof ref.name === "string" ? ref.name : "";
  const ns = typeof ref.namespace === "string" && ref.namespace !== "" ? ref.namespace : namespace;
  if (name === "") return { unnamed: "its chart's sourceRef has no name" };
  if (kind === "GitRepository" || kind === "Bucket") return { protocol: "source", source: `${kind}/${ns}/${name}`, path: chart };
  if (kind !== "HelmRepository") return { unnamed: `sourceRef kind ${kind} is not a chart source` };
  const repo = lookup("HelmRepository", ns, name);
  if (repo === undefined) return { unnamed: `HelmRepository ${ns}/${name} is not defined in what this check reads` };
  const url = spec(repo).url;
  if (typeof url !== "string" || url === "") return { unnamed: `HelmRepository ${ns}/${name} has no spec.url` };
  if (url.includes("${")) return { unnamed: `HelmRepository ${ns}/${name} spec.url ${url} is not substituted` };
  const oci = spec(repo).type === "oci" || url.startsWith("oci://");
  return { protocol: oci ? "oci" : "http", repository: trimSlash(url), chart, version: version === "" ? "" : version };
}

/** The chart request of a HelmRelease, or why it cannot be named offline. */
export function chartRequestOf(helmRelease: K8sObject, lookup: ChartSourceLookup): ChartRequest | ChartUnnamed {
  const hr = spec(helmRelease);
  const namespace = helmRelease.namespace ?? "default";
  if (isRecord(hr.chart) && isRecord(hr.chart.spec)) return fromChartTemplate(hr.chart.spec, namespace, lookup);
  const ref = isRecord(hr.chartRef) ? hr.chartRef : undefined;
  if (ref === undefined || typeof ref.kind !== "string" || typeof ref.name !== "string") return { unnamed: "neither spec.chart nor spec.chartRef names a chart" };
  const ns = typeof ref.namespace === "string" && ref.namespace !== "" ? ref.namespace : namespace;
  const source = lookup(ref.kind, ns, ref.name);
  if (source === undefined) return { unnamed: `${ref.kind} ${ns}/${ref.name} is not defined in what this check reads` };
  if (ref.kind === "HelmChart") return fromChartTemplate(spec(source), ns, lookup);
  if (ref.kind !== "OCIRepository") return { unnamed: `chartRef kind ${ref.kind} is not OCIRepository or HelmChart` };
  const url = spec(source).url;
  if (typeof url !== "string" || !url.startsWith("oci://")) return { unnamed: `OCIRepository ${ns}/${ref.name} has no oci:// spec.url` };
  if (url.includes("${")) return { unnamed: `OCIRepository ${ns}/${ref.name} spec.url ${url} is not substituted` };
  const slash = trimSlash(url).lastIndexOf("/");
  const oref = isRecord(spec(source).ref) ? spec(source).ref as Record<string, unknown> : {};
  const base = { protocol: "oci" as const, repository: trimSlash(url).slice(0, slash), chart: trimSlash(url).slice(slash + 1) };
  // source-controller ocirepository_controller.go getArtifactRef: digest, then semver, then tag, else "latest".
  if (typeof oref.digest === "string" && oref.digest !== "") return { ...base, version: typeof oref.tag === "string" ? oref.tag : "", digest: oref.digest };
  if (typeof oref.semver === "string" && oref.semver !== "") return { ...base, version: oref.semver };
  return { ...base, version: typeof oref.tag === "string" && oref.tag !== "" ? oref.tag : "latest", exactTag: true };
}

/** A short name for a request in messages: "cert-manager from https://charts.jetstack.io". */
export function describeRequest(r: ChartRequest): string {
  if (r.protocol === "source") return `${r.path} in ${r.source}`;
  return `${r.chart}${r.version === "" ? "" : ` ${r.version}`} from ${r.repository}`;
}

/** A repository URL with `--chart-mirror FROM=TO` applied (longest FROM prefix wins). */
export function mirrored(url: string, mirrors: readonly ChartMirror[]): string {
  let best: ChartMirror | undefined;
  for (const m of mirrors) {
    const from = trimSlash(m.from);
    if ((url === from || url.startsWith(`${from}/`)) && (best === undefined || from.length > trimSlash(best.from).length)) best = m;
  }
  return best === undefined ? url : trimSlash(best.to) + url.slice(trimSlash(best.from).length);
}

/** `--chart-mirror FROM=TO`, stack `gitops.chartMirrors`: a repository URL prefix and where to fetch it instead. */
export interface ChartMirror {
  from: string;
  to: string;
}

/** Parses `FROM=TO`; a string is the error. */
export function parseChartMirror(text: string): ChartMirror | string {
  const eq = text.indexOf("=");
  if (eq <= 0 || eq === text.length - 1) return `expected FROM=TO (e.g. https://charts.jetstack.io=https://mirror.example/jetstack), got "${text}"`;
  const from = text.slice(0, eq);
  const to = text.slice(eq + 1);
  for (const u of [from, to]) if (!/^(https?|oci):\/\/[^\s/]+/.test(u)) return `"${u}" is not an http(s):// or oci:// URL`;
  return { from, to };
}
