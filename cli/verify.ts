import * as fs from "fs";
import * as path from "path";
import { GitopsInputError } from "../gitops/errors";
import { ChartProvider, VerifyOptions } from "../gitops/model";
import { isReportFormat, renderReport, REPORT_FORMATS } from "../gitops/report";
import { parseProvidersFile, verifyRepository } from "../gitops/verify";
import { Command, CommandIO, EXIT, UsageError, parseFlags } from "./command";
import { stackVerifyOptions } from "./verify-stack";

const usage = `usage: gitops-cluster verify --cluster clusters/NAME [--repo DIR] [--format FORMAT]
                             [--providers FILE] [--preinstalled GROUP,...] [--stack NAME]

Proves the Flux install order of a GitOps repository, offline: every Kustomization that applies
custom resources waits for the one that installs their CRDs (a HelmRelease or a CRD object).

options:
  --repo DIR              the GitOps repository, a local checkout (default: the current directory)
  --cluster PATH          the cluster directory in it that Flux reconciles, e.g. clusters/production
  --format FORMAT         ${REPORT_FORMATS.join(", ")} (default: text); sarif is for GitHub code
                          scanning, mermaid draws the Kustomization graph
  --providers FILE        more charts and the CRD groups they install, a YAML list of
                          {chart, groups: [group, ...], crdsValue?}; they win over the built-in table
  --preinstalled GROUPS   comma-separated API groups installed outside Flux, always present
  --stack NAME            stack mode: also what the stack's settings (Pulumi.<NAME>.yaml, in the current
                          directory when it holds a Pulumi.yaml, else in this package) tell: the charts
                          the stack installs (their CRDs exist; installing them again is an error) and
                          the root Kustomization's patches (every Kustomization it applies waits on delete)
  -h, --help              show this text

exit status: 0 no errors (warnings allowed), 1 errors found, 2 bad usage or unreadable input

example:
  gitops-cluster verify --repo examples/gitops --cluster clusters/development --format sarif > ordering.sarif
`;

/** An API group as Kubernetes spells it: a lowercase DNS subdomain. */
const API_GROUP = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

interface VerifyArgs {
  repo: string;
  cluster: string;
  format: (typeof REPORT_FORMATS)[number];
  providersFile?: string;
  preinstalled: string[];
  stack?: string;
}

function parse(argv: string[]): VerifyArgs {
  const values = parseFlags(argv, {
    repo: { type: "string", default: "." },
    cluster: { type: "string" },
    format: { type: "string", default: "text" },
    providers: { type: "string" },
    preinstalled: { type: "string" },
    stack: { type: "string" },
  }, usage);
  if (values.cluster === undefined || values.cluster === "") {
    throw new UsageError("--cluster is required: the cluster directory, e.g. clusters/development (see gitops-cluster verify --help)");
  }
  if (!isReportFormat(values.format)) {
    throw new UsageError(`--format ${values.format}: expected one of ${REPORT_FORMATS.join(", ")}`);
  }
  const preinstalled = (values.preinstalled ?? "")
    .split(",")
    .map((g) => g.trim())
    .filter((g) => g !== "");
  const bad = preinstalled.find((g) => !API_GROUP.test(g));
  if (bad !== undefined) {
    throw new UsageError(`--preinstalled: "${bad}" is not an API group (expected e.g. monitoring.coreos.com)`);
  }
  return { repo: values.repo, cluster: values.cluster, format: values.format, providersFile: values.providers, preinstalled, stack: values.stack };
}

function readProviders(file: string, io: CommandIO): ChartProvider[] {
  let text: string;
  try {
    text = fs.readFileSync(path.resolve(io.cwd, file), "utf8");
  } catch (err) {
    throw new UsageError(`--providers ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return parseProvidersFile(text, file);
}

/**
 * Where the repository sits inside its Git checkout ("" when it is the checkout), because
 * code scanning resolves SARIF locations against the checkout root, not the GitOps repo.
 */
function placeInCheckout(repoDir: string): string {
  const repo = fs.realpathSync(repoDir);
  for (let dir = repo; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, ".git"))) return path.relative(dir, repo).split(path.sep).join("/");
    if (path.dirname(dir) === dir) return "";
  }
}

export const command: Command = {
  name: "verify",
  summary: "prove the Flux install order of a GitOps repository (Helm CRDs before their users)",
  usage,
  async run(argv: string[], io: CommandIO): Promise<number> {
    const args = parse(argv);
    const repoDir = path.resolve(io.cwd, args.repo);
    if (!fs.existsSync(repoDir) || !fs.statSync(repoDir).isDirectory()) {
      throw new UsageError(`--repo ${args.repo}: no such directory`);
    }
    try {
      const fromStack: VerifyOptions = args.stack === undefined ? {} : stackVerifyOptions(args.stack, io.cwd);
      const options: VerifyOptions = { ...fromStack, preinstalledGroups: [...(fromStack.preinstalledGroups ?? []), ...args.preinstalled] };
      if (args.providersFile !== undefined) options.providers = [...(fromStack.providers ?? []), ...readProviders(args.providersFile, io)];
      // The report names the repository as the user gave it, not as an absolute path.
      const result = { ...verifyRepository(repoDir, args.cluster, options), repo: args.repo };
      const uriPrefix = args.format === "sarif" ? placeInCheckout(repoDir) : "";
      io.stdout(renderReport(result, args.format, { uriPrefix }));
      return result.summary.errors > 0 ? EXIT.findings : EXIT.ok;
    } catch (err) {
      if (err instanceof GitopsInputError) {
        // Its message starts with file:line, so editors and CI logs link straight to the place.
        io.stderr(`${err.message}\n`);
        return EXIT.usage;
      }
      throw err;
    }
  },
};
