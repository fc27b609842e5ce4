import * as fs from "fs";
import * as path from "path";
import { GitopsInputError } from "../gitops/read/errors";
import { ChartProvider, SourceMapping, VerifyOptions } from "../gitops/model";
import { originUrlOf, parseSourceMapping } from "../gitops/read/sources";
import { isReportFormat, renderReport, REPORT_FORMATS } from "../gitops/report";
import { parseProvidersFile } from "../gitops/verify";
import { verifyWithCharts } from "../gitops/charts/prepare";
import { parseMirrors, terminalProgress } from "./charts";
import { fluxMinor } from "../gitops/flux/apis";
import { FLUX_VERSION, KUBERNETES_VERSION } from "../stacks/defaults";
import type { Settings } from "../stacks/types";
import { verifyOptionsFor } from "../stacks/verify-options";
import { Command, CommandIO, EXIT, UsageError, parseFlags } from "./command";

const usage = `usage: gitops-cluster verify --cluster clusters/NAME [--repo DIR] [--format FORMAT]
                             [--providers FILE] [--preinstalled GROUP,...]
                             [--source KIND/NAMESPACE/NAME=DIR ...] [--bootstrap-file FILE ...]
                             [--repo-url URL] [--offline] [--chart-mirror FROM=TO ...]
                             [--bootstrap committed|stack] [--flux-version V] [--kubernetes-version V]
       gitops-cluster verify --stack NAME [--repo DIR] [--cluster PATH] [--format FORMAT] ...

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
  --source KIND/NAMESPACE/NAME=DIR
                          read that Flux source (e.g. an OCIRepository CI pushes) from DIR;
                          repeatable. Sources that are this repository (same URL, or the one the
                          committed root syncs from) are read without it
  --bootstrap-file FILE   a helmfile or CRD manifest (a path, or an https:// URL read from the
                          lock) applied before Flux starts; its CRD groups count as installed.
                          Repeatable. Helmfiles in the repository (helmfile.yaml, helmfile.d/,
                          bootstrap/) and Talos inline/extra manifests are read without it
  --repo-url URL          the URL Flux clones this repository from (default: the checkout's
                          origin); any GitRepository with this URL reads the checkout
  --offline               read charts from the lock (${"`"}.gitops-cluster/charts.lock.json${"`"}) and the cache
                          only, never the network; without it, charts the lock lacks are fetched
  --chart-mirror FROM=TO  fetch chart repository URLs starting with FROM from TO; repeatable
                          (stack setting gitops.chartMirrors)
  --stack NAME            verify for a stack: read Pulumi.NAME.yaml (from the current directory when it
                          is there, else from this package): repo, cluster path, Flux and
                          Kubernetes versions, components, providers, the charts the stack installs
                          and its root's patches; give the verdict \`pulumi preview\` gives. Implies
                          --bootstrap stack; --repo and --cluster override the stack's
  --bootstrap MODE        committed (default): the repository as committed, with the Flux it
                          installs itself; stack: as this stack bootstraps it (its own Flux
                          install and sync manifests are errors)
  --flux-version V        the Flux that serves the objects, e.g. 2.9.2 (default: committed mode,
                          the version the repository installs, else the stack default; stack
                          mode, the stack default)
  --kubernetes-version V  the cluster's Kubernetes minor, e.g. 1.35 (default: the stack default)
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
  stack?: string;
  bootstrap?: "committed" | "stack";
  fluxVersion?: string;
  kubernetesVersion?: string;
  format: (typeof REPORT_FORMATS)[number];
  providersFile?: string;
  preinstalled: string[];
  sources: SourceMapping[];
  bootstrapFiles: string[];
  repoUrl?: string;
  offline: boolean;
  chartMirrors: string[];
  /** With --stack: the options the program verifies with. */
  stackOptions?: VerifyOptions;
}

/** This package's directory: where `--stack` finds the stack files when the working directory is no Pulumi project. */
const PACKAGE_DIR = path.resolve(__dirname, "..");

/**
 * What the program checks for a stack: its settings from Pulumi.<stack>.yaml (in the working
 * directory when it is there, else in this package, as `plan` does), through the same
 * verifyOptionsFor the program uses, so the verdicts agree. The repository is resolved against
 * the project directory, as the program resolves it.
 */
function stackVerification(stack: string, io: CommandIO): { repo: string; cluster: string; options: VerifyOptions } {
  const projectDir = fs.existsSync(path.join(io.cwd, `Pulumi.${stack}.yaml`)) ? io.cwd : PACKAGE_DIR;
  if (!fs.existsSync(path.join(projectDir, `Pulumi.${stack}.yaml`))) {
    throw new UsageError(`--stack ${stack}: no Pulumi.${stack}.yaml in ${projectDir}`);
  }
  let settings: Settings;
  try {
    // Loaded only here: stacks/settings brings the Pulumi SDK, which plain `verify` never pays for.
    const { settingsFromStackFile } = require("../stacks/settings") as typeof import("../stacks/settings");
    settings = settingsFromStackFile(projectDir, stack);
  } catch (err) {
    throw new UsageError(`--stack ${stack}: its settings cannot be read:\n${(err as Error).message}`);
  }
  return { repo: path.resolve(projectDir, settings.gitops.repoDir), cluster: settings.gitops.clusterPath, options: verifyOptionsFor(settings) };
}


function parse(argv: string[]): VerifyArgs {
  const values = parseFlags(argv, {
    repo: { type: "string" },
    cluster: { type: "string" },
    stack: { type: "string" },
    bootstrap: { type: "string" },
    "flux-version": { type: "string" },
    "kubernetes-version": { type: "string" },
    format: { type: "string", default: "text" },
    providers: { type: "string" },
    preinstalled: { type: "string" },
    source: { type: "string", multiple: true },
    "bootstrap-file": { type: "string", multiple: true },
    "repo-url": { type: "string" },
    offline: { type: "boolean" },
    "chart-mirror": { type: "string", multiple: true },
  }, usage);
  if (values.bootstrap !== undefined && values.bootstrap !== "committed" && values.bootstrap !== "stack") {
    throw new UsageError(`--bootstrap ${values.bootstrap}: expected committed or stack`);
  }
  if (values.stack !== undefined && values.bootstrap === "committed") {
    throw new UsageError("--stack verifies as the stack bootstraps Flux: --bootstrap committed does not apply");
  }
  if (values["flux-version"] !== undefined && fluxMinor(values["flux-version"]) === undefined) {
    throw new UsageError(`--flux-version ${values["flux-version"]}: expected a Flux version, e.g. 2.9.2 or 2.9.x`);
  }
  if (values["kubernetes-version"] !== undefined && !/^v?1\.\d+(\.\d+)?$/.test(values["kubernetes-version"])) {
    throw new UsageError(`--kubernetes-version ${values["kubernetes-version"]}: expected a Kubernetes version, e.g. 1.35`);
  }
  const versions = {
    ...(values.bootstrap === undefined ? {} : { bootstrap: values.bootstrap as "committed" | "stack" }),
    ...(values["flux-version"] === undefined ? {} : { fluxVersion: values["flux-version"] }),
    ...(values["kubernetes-version"] === undefined ? {} : { kubernetesVersion: values["kubernetes-version"] }),
  };
  if (values.stack === undefined && (values.cluster === undefined || values.cluster === "")) {
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
  const sources: SourceMapping[] = [];
  for (const s of values.source ?? []) {
    const parsed = parseSourceMapping(s);
    if (typeof parsed === "string") throw new UsageError(`--source: ${parsed}`);
    sources.push(parsed);
  }
  return {
    repo: values.repo ?? "", cluster: values.cluster ?? "", stack: values.stack, format: values.format, providersFile: values.providers, preinstalled,
    sources, bootstrapFiles: values["bootstrap-file"] ?? [], repoUrl: values["repo-url"], ...versions,
    offline: values.offline === true, chartMirrors: values["chart-mirror"] ?? [],
  };
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
    if (args.stack !== undefined) {
      const forStack = stackVerification(args.stack, io);
      // --repo and --cluster, when given, point the stack's verification at another checkout.
      Object.assign(args, { repo: args.repo || forStack.repo, cluster: args.cluster || forStack.cluster });
      args.stackOptions = forStack.options;
    }
    if (args.repo === "") args.repo = ".";
    const repoDir = path.resolve(io.cwd, args.repo);
    if (!fs.existsSync(repoDir) || !fs.statSync(repoDir).isDirectory()) {
      throw new UsageError(`--repo ${args.repo}: no such directory`);
    }
    try {
      for (const s of args.sources ?? []) {
        const dir = path.resolve(io.cwd, s.dir);
        if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UsageError(`--source ${s.source}=${s.dir}: no such directory`);
        s.dir = dir;
      }
      const options: VerifyOptions = args.stackOptions !== undefined
        ? { ...args.stackOptions, preinstalledGroups: [...(args.stackOptions.preinstalledGroups ?? []), ...args.preinstalled] }
        : {
          preinstalledGroups: args.preinstalled,
          stackFluxVersion: FLUX_VERSION,
          kubernetesVersion: KUBERNETES_VERSION,
          bootstrap: "committed",
          sources: args.sources,
          bootstrapFiles: (args.bootstrapFiles ?? []).map((f) => (/^https?:\/\//.test(f) ? f : path.resolve(io.cwd, f))),
          // Sources with the URL this checkout was cloned from are this repository.
          repoUrl: args.repoUrl ?? originUrlOf(repoDir),
        };
      if (args.bootstrap !== undefined) options.bootstrap = args.bootstrap;
      if (args.fluxVersion !== undefined) options.fluxVersion = args.fluxVersion;
      if (args.kubernetesVersion !== undefined) options.kubernetesVersion = args.kubernetesVersion;
      if (args.providersFile !== undefined) options.providers = [...(options.providers ?? []), ...readProviders(args.providersFile, io)];
      // The report names the repository as the user gave it, not as an absolute path.
      const mirrors = [...(options.chartMirrors ?? []), ...parseMirrors(args.chartMirrors)];
      const verified = await verifyWithCharts(repoDir, args.cluster, options, {
        // As the stack program does (components/ordering-check.ts): the lock, then what it lacks, fetched.
        offline: args.offline, mirrors, env: io.env, progress: terminalProgress(io) });
      const result = { ...verified, repo: args.repo };
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
