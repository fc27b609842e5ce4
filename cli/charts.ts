import * as fs from "fs";
import * as path from "path";
import { GitopsInputError } from "../gitops/read/errors";
import { ChartArchiveError } from "../gitops/charts/archive";
import { chartFactsFromArchive, ChartFacts } from "../gitops/charts/extract";
import { LOCK_FILE, readLock } from "../gitops/charts/lock";
import { ChartAccess, fetchMissing, lockCharts, MissingInputs } from "../gitops/charts/prepare";
import { ChartMirror, parseChartMirror } from "../gitops/charts/sources";
import { originUrlOf } from "../gitops/read/sources";
import { Command, CommandIO, EXIT, UsageError, parseFlags } from "./command";

const usage = `usage: gitops-cluster charts lock --repo DIR [--cluster PATH ...] [--chart-mirror FROM=TO ...] [--offline]
       gitops-cluster charts show --repo DIR [--chart NAME]
       gitops-cluster charts show --archive FILE.tgz
       gitops-cluster charts fetch --inputs FILE.json [--chart-mirror FROM=TO ...]

Reads what each HelmRelease's chart installs from the chart itself, and records it in
${LOCK_FILE} so that \`verify\` is exact offline.

  lock    resolve every chart the cluster paths' HelmReleases name (HelmRepository over HTTP(S) or
          OCI, OCIRepository, HelmChart) as Flux resolves its version, fetch it once into the cache
          ($XDG_CACHE_HOME/gitops-cluster/charts), read its CRDs (crds/, templates/ with their
          conditions, subcharts) and webhooks, and write the lock. Without --cluster, every
          directory under clusters/ (or the repository root) is locked and the lock replaced.
          Remote resources (https:// in a kustomization) are locked with the CRD groups they define.
  show    print what the locked charts (or one archive) install, with the conditions
  fetch   fetch the chart requests and remote URLs a file lists ({"requests": [...], "urls": [...]},
          as the stack program writes them when its lock lacks charts) into the cache, and print
          what they install as JSON on stdout; the lock is not written

options:
  --repo DIR              the GitOps repository (default: the current directory)
  --cluster PATH          a cluster directory, e.g. clusters/production; repeatable
  --chart NAME            show only this chart
  --archive FILE          show a chart archive (.tgz) without a repository
  --inputs FILE           for fetch: the JSON file of requests and URLs
  --chart-mirror FROM=TO  fetch repository URLs starting with FROM from TO instead; repeatable
  --offline               use the cache only, never the network

exit status: 0 done, 1 some charts could not be fetched or read (named on stderr), 2 bad usage
`;

function describeFacts(facts: ChartFacts, indent = ""): string[] {
  const lines: string[] = [];
  for (const c of facts.crds) {
    const conds = c.conditions.map((x) => `${x.want ? "" : "not "}\`${x.expr}\`${x.opaque ? " (undecidable)" : ""}`).join(" and ");
    lines.push(`${indent}  ${c.group ?? `(templated group ${c.groupTemplate ?? "?"})`} ${c.kinds.join(",")}: ${c.file}${c.from === "crds" ? " (crds/: skipped by install.crds: Skip)" : ""}${conds === "" ? "" : ` when ${conds}`}`);
  }
  for (const w of facts.webhooks) {
    for (const h of w.webhooks) {
      const rules = h.rules.map((r) => `${r.operations.join("/")} ${r.apiGroups.map((g) => g || "core").join(",")}/${r.resources.join(",")}`).join("; ");
      lines.push(`${indent}  webhook ${w.kind} ${h.name}: failurePolicy ${h.failurePolicy ?? "Fail (default)"}${h.namespaceSelector ? ", namespaceSelector" : ""}${h.objectSelector ? ", objectSelector" : ""}${rules === "" ? "" : `: ${rules}`} (${w.file})`);
    }
    if (w.webhooks.length === 0) lines.push(`${indent}  webhook ${w.kind} (${w.file}, webhooks templated)`);
  }
  for (const d of facts.dependencies) {
    const how = [d.alias === undefined ? "" : `alias ${d.alias}`, d.condition === undefined ? "" : `condition ${d.condition}`, d.tags === undefined ? "" : `tags ${d.tags.join(",")}`].filter((x) => x !== "").join(", ");
    lines.push(`${indent}  subchart ${d.name}${d.version === undefined ? "" : ` ${d.version}`}${how === "" ? "" : ` (${how})`}${d.chart === undefined ? ": not vendored in the archive, not read" : ":"}`);
    if (d.chart !== undefined) lines.push(...describeFacts(d.chart, `${indent}  `));
  }
  for (const p of facts.problems) lines.push(`${indent}  could not read: ${p}`);
  if (lines.length === 0) lines.push(`${indent}  no CRDs, no webhooks`);
  return lines;
}

function clustersOf(repoDir: string): string[] {
  const dir = path.join(repoDir, "clusters");
  if (!fs.existsSync(dir)) return ["."];
  return fs.readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => `clusters/${d.name}`).sort();
}

/** The `charts fetch` input file: chart requests as the graph names them, and remote URLs. */
function readInputs(file: string, shown: string): MissingInputs {
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new UsageError(`--inputs ${shown}: ${(err as Error).message}`);
  }
  const record = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
  if (!record(data) || !Array.isArray(data.requests) || !Array.isArray(data.urls)
    || !data.requests.every((r) => record(r) && typeof r.protocol === "string") || !data.urls.every((u) => typeof u === "string")) {
    throw new UsageError(`--inputs ${shown}: expected {"requests": [chart requests], "urls": [strings]}`);
  }
  return data as unknown as MissingInputs;
}

export function parseMirrors(values: string[] | undefined): ChartMirror[] {
  return (values ?? []).map((m) => {
    const parsed = parseChartMirror(m);
    if (typeof parsed === "string") throw new UsageError(`--chart-mirror: ${parsed}`);
    return parsed;
  });
}

/** Progress on stderr when it is a terminal: one line rewritten in place. */
export function terminalProgress(io: CommandIO): ChartAccess["progress"] {
  if (!process.stderr.isTTY || io.env.CI === "true") return undefined;
  return ({ done, started, what }) => io.stderr(`\rfetching ${done}/${started}: ${what.slice(0, 60).padEnd(60)}${done === started ? "\n" : ""}`);
}

export const command: Command = {
  name: "charts",
  summary: "lock what each HelmRelease's chart installs (read from the chart), or show it",
  usage,
  async run(argv: string[], io: CommandIO): Promise<number> {
    const [verb, ...rest] = argv;
    if (verb !== "lock" && verb !== "show" && verb !== "fetch") throw new UsageError(`expected \`charts lock\`, \`charts show\` or \`charts fetch\`\n\n${usage}`);
    const values = parseFlags(rest, {
      repo: { type: "string" },
      cluster: { type: "string", multiple: true },
      chart: { type: "string" },
      archive: { type: "string" },
      "chart-mirror": { type: "string", multiple: true },
      offline: { type: "boolean" },
      inputs: { type: "string" },
    }, usage);
    if (verb === "fetch") {
      if (values.inputs === undefined) throw new UsageError(`charts fetch needs --inputs FILE\n\n${usage}`);
      const missing = readInputs(path.resolve(io.cwd, values.inputs), values.inputs);
      const fetched = await fetchMissing(missing, { offline: values.offline === true, mirrors: parseMirrors(values["chart-mirror"]), env: io.env, progress: terminalProgress(io) });
      io.stdout(`${JSON.stringify(fetched)}\n`);
      return fetched.failures.length > 0 ? EXIT.findings : EXIT.ok;
    }
    if (verb === "show" && values.archive !== undefined) {
      const file = path.resolve(io.cwd, values.archive);
      let facts: ChartFacts;
      try {
        facts = chartFactsFromArchive(fs.readFileSync(file));
      } catch (err) {
        if (err instanceof ChartArchiveError || err instanceof GitopsInputError || (err as NodeJS.ErrnoException).code !== undefined) {
          throw new UsageError(`--archive ${values.archive}: ${(err as Error).message}`);
        }
        throw err;
      }
      io.stdout([`${facts.name} ${facts.version} (${values.archive})`, ...describeFacts(facts), ""].join("\n"));
      return EXIT.ok;
    }
    const repoDir = path.resolve(io.cwd, values.repo ?? ".");
    if (!fs.existsSync(repoDir) || !fs.statSync(repoDir).isDirectory()) throw new UsageError(`--repo ${values.repo ?? "."}: no such directory`);
    try {
      if (verb === "show") {
        const lock = readLock(repoDir);
        if (lock === undefined) throw new UsageError(`${values.repo ?? "."} has no ${LOCK_FILE}: write it with \`gitops-cluster charts lock\``);
        const lines: string[] = [];
        for (const c of lock.charts) {
          if (values.chart !== undefined && c.chart !== values.chart) continue;
          lines.push(`${c.chart} ${c.version} (${c.repository}, ${c.digest})`, ...describeFacts(c.facts));
        }
        for (const r of lock.remote) if (values.chart === undefined) lines.push(`${r.url} (${r.digest}): ${r.groups.length === 0 ? "no CRDs" : r.groups.join(", ")}`);
        io.stdout(`${lines.join("\n")}\n`);
        return EXIT.ok;
      }
      const clusters = values.cluster ?? clustersOf(repoDir);
      for (const c of clusters) if (!fs.existsSync(path.join(repoDir, c))) throw new UsageError(`--cluster ${c}: no such directory in ${values.repo ?? "."}`);
      // The graph verify reads by default: sources with the checkout's URL are this repository.
      const outcome = await lockCharts(repoDir, clusters, { repoUrl: originUrlOf(repoDir) }, {
        offline: values.offline === true,
        mirrors: parseMirrors(values["chart-mirror"]),
        env: io.env,
        progress: terminalProgress(io),
      }, values.cluster === undefined);
      for (const c of outcome.charts.sort((a, b) => a.chart.localeCompare(b.chart))) {
        const all = (f: ChartFacts): string[] => [...f.crds.map((x) => x.group ?? "(templated)"), ...f.dependencies.flatMap((d) => (d.chart === undefined ? [] : all(d.chart)))];
        const groups = [...new Set(all(c.facts))].sort();
        io.stdout(`locked ${c.chart} ${c.version} (${c.repository}, ${c.digest}): ${groups.length === 0 ? "no CRDs" : groups.join(", ")}\n`);
      }
      for (const r of outcome.remote) io.stdout(`locked ${r.url} (${r.digest}): ${r.groups.length === 0 ? "no CRDs" : r.groups.join(", ")}\n`);
      for (const f of outcome.failures) io.stderr(`not locked: ${f}\n`);
      io.stdout(`wrote ${path.relative(io.cwd, outcome.file) || outcome.file}\n`);
      return outcome.failures.length > 0 ? EXIT.findings : EXIT.ok;
    } catch (err) {
      if (err instanceof GitopsInputError) {
        io.stderr(`${err.message}\n`);
        return EXIT.usage;
      }
      throw err;
    }
  },
};
