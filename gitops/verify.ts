import { LineCounter, isMap, isNode, isSeq, parseDocument } from "yaml";
import { CLUSTER_VARS } from "./flux/cluster-vars";
import { GitopsInputError } from "./read/errors";
import { ClusterVarsOrigin } from "./flux/substitution";
import { BOOTSTRAP_SOURCE, buildClusterGraph, GraphNode } from "./flux/graph";
import { bootstrapFiles } from "./read/helmfile";
import { BootstrapMode, ChartProvider, Finding, VerifyOptions, VerifyResult } from "./model";
import { builtinGroups, eksGroups, providerTable } from "./charts/table";
import { checkoutBranchOf, SourceResolver } from "./read/sources";
import { installedBeforeFlux, sourceRead, sourceRootHint } from "./rules/sources";
import { Repo } from "./read/repo";
import { RuleContext, Rule } from "./rules/context";
import { dependencyCycle, duplicateKustomization, missingDependency } from "./rules/dependencies";
import { crdOrdering } from "./rules/ordering";
import { chartNotLocked } from "./rules/charts";
import { missingPath, unresolvedReference } from "./rules/paths";
import { unsubstitutedVariable } from "./rules/substitution";
import { removedApiVersion, schemaViolation } from "./rules/api-versions";
import { fluxBootstrapLeftover } from "./rules/bootstrap-leftovers";
import { controllerNotInstalled } from "./rules/controllers";
import { resolveFluxTarget } from "./flux/target";
import { chartInstalledByStack, deletionNotWaited } from "./rules/deletion";

const rules: Rule[] = [
  missingPath,
  missingDependency,
  dependencyCycle,
  duplicateKustomization,
  crdOrdering,
  unsubstitutedVariable,
  unresolvedReference,
  sourceRead,
  removedApiVersion,
  schemaViolation,
  fluxBootstrapLeftover,
  controllerNotInstalled,
  deletionNotWaited,
  chartInstalledByStack,
  chartNotLocked,
];

/**
 * The stack's cluster-vars supplies its names only when verifying for the stack. In committed mode a
 * ConfigMap of that name is made outside the repository (Terraform, a script): unknown, as any other.
 */
function clusterVarsOrigin(bootstrap: BootstrapMode, options: VerifyOptions): ClusterVarsOrigin {
  return bootstrap === "stack" ? { names: new Set(options.clusterVars ?? CLUSTER_VARS) } : {};
}

const severityOrder = { error: 0, warning: 1, note: 2 } as const;

/**
 * Proves the Flux install order of one cluster path of a repository checkout. Throws
 * GitopsInputError for input it cannot read (the cluster directory missing, a YAML error).
 */
export function verifyRepository(repoDir: string, clusterPath: string, options: VerifyOptions = {}): VerifyResult {
  const repo = new Repo(repoDir);
  const bootstrap = options.bootstrap ?? "committed";
  const sources = new SourceResolver(repo, {
    repoUrl: options.repoUrl,
    sources: options.sources,
    rootSources: [BOOTSTRAP_SOURCE],
    checkoutBranch: checkoutBranchOf(repo.root),
  });
  try {
    return verifyWith(repo, repoDir, clusterPath, options, bootstrap, sources);
  } finally {
    sources.dispose();
  }
}

function verifyWith(repo: Repo, repoDir: string, clusterPath: string, options: VerifyOptions, bootstrap: BootstrapMode, sources: SourceResolver): VerifyResult {
  const nodes: GraphNode[] = buildClusterGraph(repo, clusterPath, options.providers, {
    bootstrap, sources, charts: options.charts, clusterVars: clusterVarsOrigin(bootstrap, options),
  });
  const root = nodes[nodes.length - 1];
  const byId = new Map<string, GraphNode>();
  for (const n of nodes) if (!byId.has(n.id)) byId.set(n.id, n);
  // CRDs a bootstrap step installs before Flux (helmfiles in the repository, --bootstrap-file).
  const boot = bootstrapFiles(repo, options.bootstrapFiles ?? [], providerTable(options.providers ?? []), options.charts?.remote);
  const bootGroups = boot.flatMap((f) => [...f.crdGroups, ...f.releases.flatMap((r) => r.groups)]);
  const context: RuleContext = {
    nodes,
    byId,
    presentGroups: new Set([...builtinGroups, ...eksGroups, ...(options.preinstalledGroups ?? []), ...bootGroups]),
    clusterVars: new Set<string>(options.clusterVars ?? CLUSTER_VARS),
    clusterObjects: root.objects,
    // An unknown release, or a manifest URL not in the lock, may install any group.
    bootstrapUnsure: boot.some((f) => f.releases.some((r) => !r.known) || (f.remote ?? []).some((r) => !r.locked)),
    root,
    bootstrap,
    flux: resolveFluxTarget(repo, root.objects, nodes, options),
    options,
  };
  // Every path missing but present under an ancestor: the repository was given one level too high.
  // Those paths are then unseen, not wrong, and what depends on them cannot be judged either.
  const hint = sourceRootHint(context, (p) => repo.exists(p), repo.normalize(clusterPath));
  if (hint !== undefined) {
    for (const n of nodes) {
      n.unresolved = n.unresolved.map((u) => (u.reason === "missing-path" && u.source === n.source ? { ...u, reason: "outside-source-root" as const } : u));
    }
  }
  const findings: Finding[] = [...rules.flatMap((rule) => rule(context)), ...installedBeforeFlux(boot), ...(hint === undefined ? [] : [hint.finding])];
  findings.sort((a, b) =>
    severityOrder[a.severity] - severityOrder[b.severity] || a.file.localeCompare(b.file) || a.line - b.line || a.rule.localeCompare(b.rule));
  return {
    repo: repoDir,
    cluster: clusterPath,
    kustomizations: nodes,
    fluxComponents: context.flux.components,
    findings,
    bootstrapRemotes: [...new Set(boot.flatMap((f) => (f.remote ?? []).filter((r) => !r.locked).map((r) => r.url)))],
    summary: {
      errors: findings.filter((f) => f.severity === "error").length,
      warnings: findings.filter((f) => f.severity === "warning").length,
      kustomizations: nodes.length,
      objects: nodes.reduce((sum, n) => sum + n.objects.length, 0),
      unread: nodes.filter((n) => n.unresolved.some((u) => u.reason === "external-source")).length,
    },
  };
}

const HOWS: ChartProvider["how"][] = ["crds", "templates", "runtime"];

/**
 * Chart rows from a `--providers FILE` (YAML or JSON): a list, or `{providers: [...]}`, of
 * `{chart, groups, crdsValue?, how?}`; `crdsValue` is a dotted value path, a list of them, or
 * `{paths, default}`. Errors name the file, the line of the entry and what was expected.
 */
export function parseProvidersFile(text: string, file: string): ChartProvider[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const lineAt = (offset: number | undefined) => (offset === undefined ? 1 : lineCounter.linePos(offset).line);
  if (doc.errors.length > 0) {
    throw new GitopsInputError(`YAML parse error: ${doc.errors[0].message.split("\n")[0]}`, file, lineAt(doc.errors[0].pos[0]));
  }
  const top: unknown = doc.contents;
  const list: unknown = isMap(top) ? top.get("providers", true) : top;
  if (!isSeq(list)) {
    throw new GitopsInputError("expected a list of {chart, groups, crdsValue?} (or {providers: [...]})", file, lineAt(doc.contents?.range?.[0]));
  }
  return list.items.map((item, i) => {
    const line = lineAt(isNode(item) ? item.range?.[0] : undefined);
    const fail = (what: string): never => {
      throw new GitopsInputError(`providers[${i}]: ${what}`, file, line);
    };
    const data: unknown = isMap(item) ? item.toJSON() : undefined;
    if (typeof data !== "object" || data === null) return fail("expected a mapping {chart, groups, crdsValue?}");
    const entry = data as Record<string, unknown>;
    if (typeof entry.chart !== "string" || entry.chart === "") fail("`chart` must be a non-empty string (the chart name)");
    if (!Array.isArray(entry.groups) || !entry.groups.every((g) => typeof g === "string")) {
      fail("`groups` must be a list of API group names, e.g. [cert-manager.io]");
    }
    let crdsValue: ChartProvider["crdsValue"];
    const cv = entry.crdsValue;
    if (typeof cv === "string") crdsValue = { paths: [cv], default: false };
    else if (Array.isArray(cv) && cv.every((p) => typeof p === "string")) crdsValue = { paths: cv as string[], default: false };
    else if (typeof cv === "object" && cv !== null && Array.isArray((cv as { paths?: unknown }).paths)) {
      const { paths, default: def } = cv as { paths: unknown[]; default?: unknown };
      if (!paths.every((p) => typeof p === "string") || (def !== undefined && typeof def !== "boolean")) {
        fail("`crdsValue` must be {paths: [dotted.value.path], default: true|false}");
      }
      crdsValue = { paths: paths as string[], default: def === true };
    } else if (cv !== undefined) {
      fail("`crdsValue` must be a dotted value path (e.g. crds.enabled), a list of them, or {paths, default}");
    }
    const how = entry.how ?? (crdsValue === undefined ? "crds" : "templates");
    if (!HOWS.includes(how as ChartProvider["how"])) fail(`\`how\` must be one of ${HOWS.join(", ")}`);
    return {
      chart: entry.chart as string,
      groups: entry.groups as string[],
      how: how as ChartProvider["how"],
      ...(crdsValue === undefined ? {} : { crdsValue }),
    };
  });
}
