/**
 * `gitops-cluster plan`: runs the stack program offline under Pulumi mocks and prints what
 * `pulumi preview` would: the resource tree, a count per type, and the stack outputs.
 */
import * as fs from "fs";
import * as path from "path";
import { VerifyResult } from "../gitops/model";
import { renderText } from "../gitops/report/text";
import { deferUnusedSdkModules } from "../offline/deferred-modules";
import { firstUpText } from "../offline/first-up";
import { Command, CommandIO, EXIT, UsageError, parseFlags } from "./command";

const FORMATS = ["text", "json"] as const;
type Format = (typeof FORMATS)[number];

const usage = `usage: gitops-cluster plan [--stack NAME] [--format text|json] [--caller ARN]

Runs the stack program under Pulumi mocks (no AWS account, no Pulumi CLI needed) and prints
the resources \`pulumi preview\` would create, with a count per type, and the stack outputs.
Secrets (the kubeconfig, the deploy key) are shown as [secret].

options:
  --stack NAME     stack to plan: its settings are Pulumi.<NAME>.yaml in the current directory
                   when that holds a Pulumi.yaml, else in this package (default: development)
  --format FORMAT  text (default) or json: {"stack", "resources": [{"urn", "type", "name",
                   "parent", "dependsOn", "provider", "inputs"}], "outputs"}
  --caller ARN     the principal the plan runs as, as \`aws sts get-caller-identity\` prints it
                   (default arn:aws:sts::123456789012:assumed-role/PlatformAdmin/offline-plan);
                   the plan is the same for every principal with a grant, and fails for one without

exit: 0 planned; 1 the stack program failed; 2 bad usage or invalid stack settings
`;

/** V8's code cache for the modules plan loads, in node_modules/.cache; off with DISABLE_V8_COMPILE_CACHE=1. */
function installCodeCache(): void {
  const cacheDir = path.join(__dirname, "..", "node_modules", ".cache", "gitops-cluster-v8");
  try {
    (require("v8-compile-cache-lib") as { install(options: { cacheDir: string }): unknown }).install({ cacheDir });
  } catch {
    // Not installed, or the cache directory is not writable: plan only starts slower.
  }
}

/** The shape of what plan prints; `sections` add their own keys to the JSON. */
export interface PlanRun {
  stack: string;
  /**
   * `parent` is null only for the stack itself. `dependsOn`: every URN the engine records this
   * resource depending on (explicit and carried by input Outputs); `provider`: the URN of the
   * explicit provider managing it, null for none.
   */
  resources: {
    urn: string; type: string; name: string; parent: string | null; dependsOn: string[]; provider: string | null;
    inputs: Record<string, unknown>;
  }[];
  outputs: Record<string, unknown>;
}

/**
 * A part of the plan beyond resources and outputs (the ordering report, the injection plan):
 * `text` is printed after the outputs under `title`, in place of the stack output named `key`.
 */
export interface PlanSection {
  key: string;
  title: string;
  render(run: PlanRun, io: CommandIO): { text: string };
}

interface InjectionOutput {
  mode: "substitute" | "commit";
  overlayDir: string;
  commits: { file: string; edits: { namespace: string; line: number; from: string; to: string }[] }[];
  placeholders: { file: string; line: number; namespace: string; variable: string }[];
  missingKey: { file: string; line: number; namespace: string }[];
  suppliedVariables: string[];
}

/** What the OverlayInjection does for this stack, from its `overlayInjection` stack output. */
function injectionText(injection: InjectionOutput): string {
  const lines: string[] = [];
  if (injection.mode === "substitute") {
    lines.push(`mode substitute: Flux fills the overlays of ${injection.overlayDir} from the cluster-vars ConfigMap`);
    lines.push(`    supplied: ${injection.suppliedVariables.join(", ")}`);
    for (const p of injection.placeholders) lines.push(`    ${p.file}:${p.line}  ${p.namespace}  \${${p.variable}}`);
  } else {
    // Every file carrying the key is declared on every run; edits are what the checkout still lacks.
    const pending = injection.commits.filter((c) => c.edits.length > 0).length;
    lines.push(`mode commit: ${injection.commits.length} file(s) of ${injection.overlayDir} declared, ${pending} not yet in the checkout`);
    for (const c of injection.commits) {
      if (c.edits.length === 0) lines.push(`    ${c.file}  up to date`);
      for (const e of c.edits) lines.push(`    ${c.file}:${e.line}  ${e.namespace}  ${e.from || '""'} -> ${e.to}`);
    }
  }
  for (const m of injection.missingKey) lines.push(`    ${m.file}:${m.line}  ${m.namespace}  has no role key: not injected`);
  return lines.join("\n");
}

/** Sections printed after the outputs, in order; their data is in the stack outputs (and so in the JSON). */
export const sections: PlanSection[] = [
  {
    key: "orderingReport",
    title: "Flux install order (gitops-cluster verify)",
    render: (run) => {
      const report = run.outputs.orderingReport as Pick<VerifyResult, "summary" | "findings">;
      return { text: renderText({ repo: "", cluster: "", kustomizations: [], ...report }) };
    },
  },
  {
    key: "overlayInjection",
    title: "Node role injection",
    render: (run) => ({ text: injectionText(run.outputs.overlayInjection as InjectionOutput) }),
  },
  {
    key: "firstUp",
    title: "First pulumi up, estimated from the recorded graph and typical creation times",
    render: (run) => ({
      text: firstUpText(run.resources.map((r) => ({ urn: r.urn, type: r.type, dependencies: r.dependsOn, provider: r.provider ?? undefined, inputs: r.inputs }))),
    }),
  },
  {
    key: "podIdentities",
    title: "Pod Identity associations (role per service account, trusted by pods.eks.amazonaws.com)",
    render: (run) => ({ text: podIdentitiesText((run.outputs.podIdentities ?? []) as PodIdentityOutput[]) }),
  },
];

interface PodIdentityOutput {
  namespace: string;
  serviceAccount: string;
  policy: string;
  askedBy: { file: string; line: number; what: string }[];
}

/** Each association, its policy and what asked for it (file:line in the repository, or a setting). */
function podIdentitiesText(identities: PodIdentityOutput[]): string {
  if (identities.length === 0) return "none";
  return identities
    .flatMap((p) => [
      `${p.namespace}/${p.serviceAccount}: ${p.policy}`,
      ...p.askedBy.map((a) => `    asked by ${a.line > 0 ? `${a.file}:${a.line}` : a.file}  ${a.what}`),
    ])
    .join("\n");
}

/** Stack files come from the working directory when it is a Pulumi project, else from this package. */
function projectDirFor(cwd: string, packageDir: string): string {
  return fs.existsSync(path.join(cwd, "Pulumi.yaml")) ? cwd : packageDir;
}

function stacksIn(projectDir: string): string[] {
  return fs
    .readdirSync(projectDir)
    .map((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1])
    .filter((stack): stack is string => stack !== undefined)
    .sort();
}

/** What sts:GetCallerIdentity returns: an assumed-role session or an IAM user (the same shapes getSessionContext reads). */
const CALLER_ARN = /^arn:aws(-cn|-us-gov)?:(sts::\d{12}:assumed-role\/[\w+=,.@-]+\/[\w+=,.@-]+|iam::\d{12}:user\/[\w+=,.@\/-]+)$/;

function parse(argv: string[], projectDir: string): { stack: string; format: Format; caller?: string } {
  const values = parseFlags(argv, { stack: { type: "string" }, format: { type: "string" }, caller: { type: "string" } }, usage);
  if (values.caller !== undefined && !CALLER_ARN.test(values.caller)) {
    throw new UsageError(
      `--caller must be what sts get-caller-identity prints, an assumed-role session such as ` +
        `arn:aws:sts::123456789012:assumed-role/PlatformAdmin/alice or an IAM user ARN; got "${values.caller}"`,
    );
  }
  const stacks = stacksIn(projectDir);
  const stack = values.stack ?? "development";
  if (!stacks.includes(stack)) {
    throw new UsageError(`--stack must be one of ${stacks.join(", ")} (a Pulumi.<stack>.yaml in ${projectDir}); got "${stack}"`);
  }
  const format = values.format ?? "text";
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`--format must be one of ${FORMATS.join(", ")}; got "${format}"`);
  }
  return { stack, format: format as Format, caller: values.caller };
}

/** The resource tree, indented by parent like `pulumi preview`. */
function resourceTree(run: PlanRun): string[] {
  const children = new Map<string | null, PlanRun["resources"]>();
  for (const r of run.resources) children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
  const rows: [string, string][] = [];
  const walk = (parent: string | null, depth: number) => {
    for (const r of children.get(parent) ?? []) {
      rows.push([`${"  ".repeat(depth)}${r.type}`, r.name]);
      walk(r.urn, depth + 1);
    }
  };
  walk(null, 0);
  const width = Math.max(...rows.map(([type]) => type.length));
  return rows.map(([type, name]) => ` +  ${type.padEnd(width)}  ${name}`);
}

function typeCounts(run: PlanRun): string[] {
  const counts = new Map<string, number>();
  for (const r of run.resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  const types = [...counts.keys()].sort();
  const width = Math.max(...types.map((t) => t.length));
  return types.map((type) => `    ${type.padEnd(width)}  ${counts.get(type)}`);
}

function outputLines(run: PlanRun): string[] {
  const shownBelow = new Set(sections.map((s) => s.key));
  const keys = Object.keys(run.outputs).filter((k) => !shownBelow.has(k));
  const width = Math.max(0, ...keys.map((k) => k.length));
  return keys.map((key) => {
    const value = run.outputs[key];
    return `    ${key.padEnd(width)}: ${typeof value === "string" ? value : JSON.stringify(value)}`;
  });
}

function asText(run: PlanRun, rendered: { section: PlanSection; text: string }[]): string {
  return [
    `Plan of stack ${run.stack} (offline, under mocks: nothing was created)`,
    "",
    ...resourceTree(run),
    "",
    `Resources: ${run.resources.length} to create`,
    ...typeCounts(run),
    "",
    "Outputs:",
    ...outputLines(run),
    ...rendered.flatMap(({ section, text }) => ["", `${section.title}:`, text.trimEnd()]),
    "",
  ].join("\n");
}

/**
 * Settings problems are exit 2, including the two the program would only meet later, inside the
 * ordering check: a gitops.repoDir that is not a directory and a gitops.clusterPath not in it.
 * Both are resolved as index.ts resolves them: against the program's directory.
 */
function checkGitopsSettings(projectDir: string, programDir: string, stack: string): void {
  // Loaded here, like the program: stacks/settings imports the Pulumi SDK.
  const { settingsFromStackFile } = require("../stacks/settings") as typeof import("../stacks/settings");
  let gitops;
  try {
    gitops = settingsFromStackFile(projectDir, stack).gitops;
  } catch (err) {
    if (err instanceof Error && err.name === "SettingsError") throw new UsageError(`stack ${stack}: invalid settings:\n${err.message}`);
    throw err;
  }
  const repoDir = path.resolve(programDir, gitops.repoDir);
  if (!isDirectory(repoDir)) {
    throw new UsageError(
      `stack ${stack}: invalid settings:\ngitops-cluster:gitops.repoDir: ${repoDir} is not a directory ` +
        "(expected a local checkout of the GitOps repository, relative to the program's directory)",
    );
  }
  if (!isDirectory(path.resolve(repoDir, gitops.clusterPath))) {
    throw new UsageError(
      `stack ${stack}: invalid settings:\ngitops-cluster:gitops.clusterPath: ${gitops.clusterPath} is not a directory of ${gitops.repoDir} ` +
        "(expected the cluster directory Flux reconciles, e.g. clusters/development)",
    );
  }
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export const command: Command = {
  name: "plan",
  summary: "print the offline plan of a stack (its resources and outputs) under Pulumi mocks",
  usage,
  async run(argv: string[], io: CommandIO): Promise<number> {
    // The Pulumi SDK and the providers are megabytes of JavaScript: V8's code cache (kept beside
    // the TypeScript cache, see bin/ts-cache.js) saves compiling them again at every plan.
    installCodeCache();
    deferUnusedSdkModules();
    // The SDK takes a stack trace for every promise it makes, for a leak report that prints them
    // only under PULUMI_DEBUG_PROMISE_LEAKS: a tenth of a plan. Plan prints none without GITOPS_CLUSTER_DEBUG.
    if (!process.env.GITOPS_CLUSTER_DEBUG && !process.env.PULUMI_DEBUG_PROMISE_LEAKS) Error.stackTraceLimit = 0;
    // Loaded here: the Pulumi SDK is slow to load and other commands do not need it.
    const { PROJECT_DIR, runProgram } = await import("../offline/program");
    const projectDir = projectDirFor(io.cwd, PROJECT_DIR);
    const { stack, format, caller } = parse(argv, projectDir);
    checkGitopsSettings(projectDir, PROJECT_DIR, stack);
    let recorded;
    try {
      recorded = await runProgram(stack, { projectDir, caller });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (err instanceof Error && err.name === "SettingsError") throw new UsageError(`stack ${stack}: invalid settings:\n${message}`);
      io.stderr(`gitops-cluster plan: the stack program failed for stack ${stack}:\n${message}\n`);
      return EXIT.findings;
    }
    const run: PlanRun = {
      stack: recorded.stack,
      resources: recorded.resources.map(({ urn, type, name, parent, dependencies, provider, inputs }) => ({
        urn, type, name, parent: parent ?? null, dependsOn: dependencies, provider: provider ?? null, inputs,
      })),
      outputs: recorded.outputs,
    };
    if (format === "json") {
      io.stdout(`${JSON.stringify(run, null, 2)}\n`);
    } else {
      const rendered = sections.map((section) => ({ section, ...section.render(run, io) }));
      io.stdout(asText(run, rendered));
    }
    return EXIT.ok;
  },
};
