import { ChartProvider, K8sObject } from "../model";
import { GitopsInputError } from "../read/errors";
import { Repo } from "../read/repo";
import { SourceResolver } from "../read/sources";
import { isRecord } from "../read/yaml";
import { ChartArchiveError, ChartFiles, MAX_CHART_FILES } from "./archive";
import { chartFacts, ChartFacts, WebhookFact } from "./extract";
import { groupsByState, hasUnknownGroup, releaseInstalls, releaseValues } from "./installs";
import { findLocked, LockedChart, LockedRemote } from "./lock";
import { ChartRequest, chartRequestOf, describeRequest } from "./sources";
import { helmReleaseCrds } from "./table";

/**
 * What `verify` knows of charts: the lock's entries, charts fetched in this run, and whether it
 * may fetch. Without it (library callers, old tests), charts are looked up in the table only.
 */
export interface ChartKnowledge {
  locked: LockedChart[];
  remote: LockedRemote[];
  /** Whether the repository has a lock file at all. */
  lockPresent: boolean;
  /** `--offline`: chart-not-locked findings say the chart was not fetched. */
  offline: boolean;
  /** Charts that failed to fetch this run, by request key, and why (a finding names them). */
  failures?: Map<string, string>;
}

export function requestKey(r: ChartRequest): string {
  return r.protocol === "source" ? `${r.source}\u0000${r.path}` : `${r.repository}\u0000${r.chart}\u0000${r.version}\u0000${r.digest ?? ""}`;
}

/** What the analysis learns about one HelmRelease's chart. */
export interface ReleaseChart {
  chart?: string;
  /** False when nothing tells what it installs (neither read nor in the table). */
  known: boolean;
  groups: string[];
  skipped: string[];
  /** Groups it installs under a condition this check cannot decide. */
  maybe: string[];
  /** The chart has a CRD whose group cannot be known here: any group might come from it. */
  anyGroup: boolean;
  /** What the verdict rests on: the read chart ("cert-manager v1.16.2 (https://..., sha256:...)") or the table. */
  basis: string;
  /** Per group: the file and condition, for findings. */
  because: Record<string, string>;
  webhooks: WebhookFact[];
  /** The chart could be named but not read from the lock: why (a chart-not-locked finding). */
  notLocked?: { request: ChartRequest; why: string };
  /** Notes about its values (a valuesFrom not read). */
  notes: string[];
}

/** Reads a chart directory of a readable source (GitRepository, Bucket) into files, bounded. */
function sourceChartFiles(repo: Repo, dir: string): ChartFiles {
  const files: ChartFiles = new Map();
  const walk = (rel: string, prefix: string) => {
    for (const e of repo.list(rel)) {
      if (files.size > MAX_CHART_FILES) throw new ChartArchiveError(`more than ${MAX_CHART_FILES} files`);
      const name = prefix === "" ? e.name : `${prefix}/${e.name}`;
      if (e.isDirectory) walk(e.path, name);
      else files.set(name, repo.readBytes(e.path));
    }
  };
  walk(dir, "");
  return files;
}

/**
 * The chart knowledge of one HelmRelease: from the chart itself when it can be read (a chart in a
 * readable source, or the lock), else from the hand-kept table, saying which.
 */
export function releaseChart(
  helmRelease: K8sObject,
  lookup: (kind: string, namespace: string, name: string) => K8sObject | undefined,
  table: Map<string, ChartProvider>,
  knowledge: ChartKnowledge | undefined,
  sources: SourceResolver | undefined,
  chartNameFallback: string | undefined,
): ReleaseChart {
  const request = chartRequestOf(helmRelease, lookup);
  // The table is keyed by the name chartNameOf gives (the last segment of a chart path or OCI URL).
  const named = chartNameFallback;
  let facts: ChartFacts | undefined;
  let basis = "";
  let notLocked: ReleaseChart["notLocked"];
  if (!("unnamed" in request) && knowledge !== undefined) {
    if (request.protocol === "source") {
      const verdict = sources?.resolve(request.source);
      if (verdict?.kind === "read") {
        const dir = request.path.replace(/^\.\//, "").replace(/\/+$/, "");
        try {
          if (verdict.view.repo.isDirectory(dir)) {
            facts = chartFacts(sourceChartFiles(verdict.view.repo, dir));
            basis = `${facts.name} ${facts.version} (${dir} in ${request.source})`;
          }
        } catch (err) {
          if (!(err instanceof ChartArchiveError || err instanceof GitopsInputError)) throw err;
          notLocked = { request, why: `${dir} in ${request.source} is not a readable chart: ${err.message}` };
        }
      }
    } else {
      const found = findLocked(knowledge.locked, request);
      if ("entry" in found) {
        facts = found.entry.facts;
        basis = `${found.entry.chart} ${found.entry.version} (${found.entry.repository}, ${found.entry.digest})`;
      } else {
        const failure = knowledge.failures?.get(requestKey(request));
        notLocked = {
          request,
          why: failure ?? (found.versions.length > 0
            ? `the lock has ${found.versions.join(", ")}, not a version matching "${request.version || "*"}"`
            : knowledge.lockPresent ? "the lock has no entry for it" : "the repository has no lock file"),
        };
      }
    }
  }
  if (facts !== undefined) {
    const values = releaseValues(helmRelease, lookup);
    const spec = isRecord(helmRelease.body.spec) ? helmRelease.body.spec : {};
    // HelmChart `valuesFiles` replace the chart's values.yaml by other files of the chart, which the
    // lock does not keep: the chart's defaults are then unknown (source-controller helmchart_controller.go).
    const template = isRecord(spec.chart) && isRecord(spec.chart.spec) ? spec.chart.spec : {};
    const valuesFiles = Array.isArray(template.valuesFiles) ? template.valuesFiles.filter((f) => f !== "values.yaml" && f !== "./values.yaml") : [];
    if (valuesFiles.length > 0) {
      values.unknown.push("");
      values.notes.push(`spec.chart.spec.valuesFiles ${valuesFiles.join(", ")}: the chart's defaults from those files are not read`);
    }
    const install = isRecord(spec.install) ? spec.install : {};
    const upgrade = isRecord(spec.upgrade) ? spec.upgrade : {};
    const installs = releaseInstalls(facts, values, typeof install.crds === "string" ? install.crds : undefined, typeof upgrade.crds === "string" ? upgrade.crds : undefined);
    const byGroup = groupsByState(installs);
    const because: Record<string, string> = {};
    const groups: string[] = [];
    const maybe: string[] = [];
    const skipped: string[] = [];
    for (const [g, s] of byGroup) {
      because[g] = s.because;
      if (s.state === "yes") groups.push(g);
      else if (s.state === "maybe") maybe.push(g);
    }
    for (const g of installs.groups) if (g.skipped && g.group !== null && !groups.includes(g.group)) skipped.push(g.group);
    return {
      chart: facts.name, known: true, groups: groups.sort(), skipped: [...new Set(skipped)].sort(), maybe: maybe.sort(),
      anyGroup: hasUnknownGroup(installs), basis, because, webhooks: installs.webhooks, notes: [...values.notes, ...facts.problems],
    };
  }
  const provider = named === undefined ? undefined : table.get(named);
  const crds = provider === undefined ? { groups: [], skipped: [] } : helmReleaseCrds(helmRelease, provider);
  const because: Record<string, string> = {};
  for (const g of crds.groups) because[g] = `installs ${g} per that row`;
  return {
    chart: named,
    known: provider !== undefined,
    ...crds,
    maybe: [],
    anyGroup: false,
    basis: provider === undefined ? "" : `the hand-kept chart table, row ${provider.chart}${provider.unverified ? " (unverified)" : ""}, not the chart itself`,
    because,
    webhooks: [],
    ...(notLocked === undefined ? {} : { notLocked }),
    notes: [],
  };
}

export { describeRequest };
