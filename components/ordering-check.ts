import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { GitopsInputError } from "../gitops/read/errors";
import { VerifyOptions, VerifyResult } from "../gitops/model";
import { renderText } from "../gitops/report/text";
import { verifyRepository } from "../gitops/verify";
import { knowledgeFromLock } from "../gitops/charts/prepare";

export interface OrderingCheckArgs {
  /** Local checkout of the GitOps repository (absolute, or relative to the project directory). */
  repoDir: string;
  /** The cluster directory Flux reconciles, e.g. "clusters/development". */
  clusterPath: string;
  /** Extra providers, pre-installed groups and the variables `cluster-vars` supplies. */
  options?: VerifyOptions;
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

/** Runs the verification; input errors and ordering errors become RunErrors (no stack trace). */
function checkOrdering(args: OrderingCheckArgs): VerifyResult {
  const repoDir = path.resolve(args.repoDir);
  let result: VerifyResult;
  try {
    // What charts install, from the repository's lock (.gitops-cluster/charts.lock.json), else the table.
    result = verifyRepository(repoDir, args.clusterPath, { ...args.options, charts: args.options?.charts ?? knowledgeFromLock(repoDir, true) });
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
