import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { GitopsInputError } from "../gitops/read/errors";
import { VerifyOptions, VerifyResult } from "../gitops/model";
import { renderText } from "../gitops/report/text";
import { verifyRepository } from "../gitops/verify";
import { Fetched, knowledgeFromLock, missingInputs, MissingInputs, withFetched } from "../gitops/charts/prepare";

export interface OrderingCheckArgs {
  /** Local checkout of the GitOps repository (absolute, or relative to the project directory). */
  repoDir: string;
  /** The cluster directory Flux reconciles, e.g. "clusters/development". */
  clusterPath: string;
  /** Extra providers, pre-installed groups and the variables `cluster-vars` supplies. */
  options?: VerifyOptions;
  /**
   * Whether charts (and remote inputs) the lock lacks are fetched before the verdict. Default: in a
   * real `pulumi preview`/`up` (an engine is attached) unless GITOPS_CLUSTER_OFFLINE=1; never under
   * the mocks of the offline plan and the tests.
   */
  fetchCharts?: boolean;
}

/**
 * Proves, from the GitOps repository itself, that every Flux Kustomization applying custom
 * resources depends on (and waits for) the one installing their CRDs.
 *
 * It runs while the program is being constructed, before any other resource is registered:
 * an ordering error throws a `RunError`, so `pulumi preview` and `pulumi up` stop before a single
 * cloud resource is touched, with the text report as the message. Warnings go to the Pulumi log.
 *
 * ```ts
 * const ordering = new OrderingCheck("ordering", { repoDir: "examples/gitops", clusterPath: "clusters/development" });
 * export const orderingSummary = ordering.summary;
 * ```
 */
export class OrderingCheck extends pulumi.ComponentResource {
  /** The full result, for the offline plan's report. */
  public readonly result: VerifyResult;
  /** Counts of errors, warnings, Kustomizations and objects. */
  public readonly summary: pulumi.Output<VerifyResult["summary"]>;

  constructor(name: string, args: OrderingCheckArgs, opts?: pulumi.ComponentResourceOptions) {
    const result = checkOrdering(args);
    super("gitops-cluster:index:OrderingCheck", name, { repoDir: args.repoDir, clusterPath: args.clusterPath }, opts);
    this.result = result;
    for (const finding of result.findings.filter((f) => f.severity !== "error")) {
      const log = finding.severity === "warning" ? pulumi.log.warn : pulumi.log.info;
      log(`${finding.file}:${finding.line}: ${finding.rule}: ${finding.message} (fix: ${finding.fix})`, this);
    }
    this.summary = pulumi.output(result.summary);
    this.registerOutputs({ summary: this.summary });
  }
}

/**
 * Fetches charts synchronously: the program must reach its verdict before it registers any
 * resource, and a Pulumi program is constructed synchronously, so the fetch runs as
 * `gitops-cluster charts fetch` in a child process (the same fetcher, cache and mirrors as the
 * CLI). A failed fetch leaves those charts to the lock's rules (chart-not-locked, the table).
 */
function fetchSync(missing: MissingInputs, mirrors: { from: string; to: string }[]): Fetched {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gitops-cluster-fetch-"));
  try {
    const inputs = path.join(dir, "inputs.json");
    fs.writeFileSync(inputs, JSON.stringify(missing));
    const cli = path.join(__dirname, "..", "bin", "gitops-cluster.js");
    const run = spawnSync(process.execPath, [cli, "charts", "fetch", "--inputs", inputs, ...mirrors.flatMap((m) => ["--chart-mirror", `${m.from}=${m.to}`])], {
      encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], timeout: 15 * 60 * 1000, maxBuffer: 256 * 1024 * 1024,
    });
    if (run.status !== 0 && run.status !== 1) {
      pulumi.log.warn(`charts the lock lacks could not be fetched (gitops-cluster charts fetch exited ${run.status ?? run.signal}); the ordering check uses the lock and the table`);
      return { charts: [], remote: [], failures: [] };
    }
    return JSON.parse(run.stdout) as Fetched;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the verification; input errors and ordering errors become RunErrors (no stack trace). */
function checkOrdering(args: OrderingCheckArgs): VerifyResult {
  const repoDir = path.resolve(args.repoDir);
  let result: VerifyResult;
  try {
    // What charts install, from the repository's lock (.gitops-cluster/charts.lock.json), then what
    // the lock lacks, fetched when allowed; the table only for what neither gives.
    const fetch = args.fetchCharts ?? (pulumi.runtime.hasEngine() && process.env.GITOPS_CLUSTER_OFFLINE !== "1");
    const knowledge = args.options?.charts ?? knowledgeFromLock(repoDir, !fetch);
    const options = { ...args.options, charts: knowledge };
    result = verifyRepository(repoDir, args.clusterPath, options);
    const missing = missingInputs(result, knowledge);
    if (fetch && (missing.requests.length > 0 || missing.urls.length > 0)) {
      result = verifyRepository(repoDir, args.clusterPath, { ...options, charts: withFetched(knowledge, fetchSync(missing, args.options?.chartMirrors ?? [])) });
    }
  } catch (err) {
    if (err instanceof GitopsInputError) {
      throw new pulumi.RunError(
        `The Flux install order of ${args.repoDir} (${args.clusterPath}) could not be checked: ${err.message}\n` +
          "Set gitops-cluster:gitops.repoDir to a local checkout of the GitOps repository and " +
          "gitops-cluster:gitops.clusterPath to its cluster directory.",
      );
    }
    throw err;
  }
  if (result.summary.errors > 0) {
    throw new pulumi.RunError(
      `The Flux install order of ${args.repoDir} (${args.clusterPath}) is broken; nothing was created.\n\n${renderText(result)}`,
    );
  }
  return result;
}
