import { CloudCheck, cliMissing, cloudCheckFromPreview } from "../drift/cloud";
import { findOnPath, previewArgs, runPreview } from "../drift/pulumi-cli";
import { RepositoryRequest, checkRepository as checkStackRepository } from "../drift/repository";
import { DriftReport, EXIT_CODE, RepositoryCheck, decideVerdict, renderDriftJson, renderDriftText } from "../drift/report";
import { Command, CommandIO, UsageError, parseFlags } from "./command";

const usage = `usage: gitops-cluster drift --stack NAME [--format text|json] [--repo DIR]

Does everything still match? Two sides, one verdict:
  cloud and cluster  where the Pulumi CLI is on PATH, runs
                     pulumi preview --refresh --expect-no-changes --json --stack NAME
                     in the current directory (the Pulumi project) and lists every resource
                     that would change, with old -> new values (secrets masked)
  repository         the Flux install-order check of the stack's GitOps repository and
                     cluster path, and the node role in the namespace overlays

options:
  --stack NAME     the stack (its settings come from Pulumi.NAME.yaml)
  --format FORMAT  text (default) or json
  --repo DIR       check this checkout of the GitOps repository instead of the stack's repoDir

exit codes:
  0  no drift: the preview proposes no change and the repository checks are clean
  1  drift: the preview proposes changes, or the repository has ordering errors or overlay
     values that differ from the node role (also when the other side could not be checked)
  2  could not tell: no Pulumi CLI, no credentials, no such stack, an unreadable repository,
     or bad usage; the message says which
`;

interface DriftOptions {
  stack: string;
  format: "text" | "json";
  repo?: string;
}

function parse(argv: string[]): DriftOptions {
  const values = parseFlags(argv, {
    stack: { type: "string", short: "s" },
    format: { type: "string", default: "text" },
    repo: { type: "string" },
  }, usage);
  if (!values.stack) throw new UsageError(`--stack is required\n\n${usage}`);
  if (values.format !== "text" && values.format !== "json") {
    throw new UsageError(`--format must be text or json (got "${values.format}")`);
  }
  return { stack: values.stack, format: values.format, repo: values.repo };
}

/** The preview, read; a CLI that cannot be run at all (killed, output too large) is a problem, not a crash. */
async function checkCloud(pulumi: string | undefined, stack: string, io: CommandIO): Promise<CloudCheck> {
  if (!pulumi) return cliMissing();
  try {
    return cloudCheckFromPreview(await runPreview(pulumi, stack, { cwd: io.cwd, env: io.env }));
  } catch (err) {
    return { checked: false, drift: false, resources: [], summary: {}, problem: { kind: "preview-failed", message: (err as Error).message } };
  }
}

/** The repository side; replaceable so the cloud side can be tested on its own. */
export type RepositoryChecker = (request: RepositoryRequest) => Promise<RepositoryCheck>;

export function createDriftCommand(checkRepository: RepositoryChecker = checkStackRepository): Command {
  return {
    name: "drift",
    summary: "tell whether the cloud, the cluster and the repository still match",
    usage,
    async run(argv: string[], io: CommandIO): Promise<number> {
      const options = parse(argv);
      const pulumi = findOnPath("pulumi", io.env);
      const command = `pulumi ${previewArgs(options.stack).join(" ")}`;
      const cloud = await checkCloud(pulumi, options.stack, io);
      const repository = await checkRepository({ projectDir: io.cwd, stack: options.stack, repoDir: options.repo, pulumi, env: io.env });
      const report: DriftReport = {
        stack: options.stack,
        cli: { available: pulumi !== undefined, command },
        cloud,
        repository,
        ...decideVerdict(cloud, repository),
      };
      io.stdout(options.format === "json" ? renderDriftJson(report) : renderDriftText(report));
      if (options.format === "json" && report.verdict === "unknown") {
        io.stderr(`gitops-cluster drift: could not tell: ${report.reasons.join("; ")}\n`);
      }
      return EXIT_CODE[report.verdict];
    },
  };
}

export const command: Command = createDriftCommand();
