import { execFile } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { findOnPath } from "../drift/pulumi-cli";
import { GitopsInputError } from "../gitops/read/errors";
import {
  OverlayOptions,
  OverlayPlan,
  RoleRef,
  ValueForm,
  applyOverlayPlan,
  planDifferences,
  planOverlayRewrite,
  renderUnifiedDiff,
  roleRefFromArn,
} from "../gitops/edit/overlays";
import { hasPendingWriteSet, recoverWriteSet } from "../gitops/edit/write-set";
import { Command, CommandIO, EXIT, UsageError, parseFlags } from "./command";

const usage = `usage: gitops-cluster inject --repo DIR --env NAME (--role-arn ARN | --stack NAME)
                             [--key iam_role] [--overlay-dir DIR] [--value-form auto|arn|name]
                             [--write | --check] [--migrate]

Puts the node IAM role into the key (default iam_role) of every Namespace manifest under the
environment's overlay directory: annotations, labels or top-level fields, .yaml and .yml files.
Only the values change; comments and formatting stay as they are.

options:
  --repo DIR          the GitOps repository checkout
  --env NAME          the environment; the overlays are infrastructure/kustomized/overlays/NAME
  --overlay-dir DIR   a different overlay directory, relative to --repo
  --role-arn ARN      the node role (arn:<partition>:iam::<account>:role/<name>)
  --stack NAME        read the role from the stack output nodeRoleArn (needs the Pulumi CLI);
                      namespaces that Pulumi.NAME.yaml (in the working directory) maps to a
                      node group get that group's role from the nodeGroupRoles output
  --key KEY           the key that holds the role (default iam_role)
  --value-form FORM   auto (default: keep each value's form), arn, or name; labels always
                      take the name, since a label value cannot hold an ARN
  --write             edit the files and list what changed
  --check             change nothing; exit 1 and list each value that differs from the role
  --migrate           write \${NODE_ROLE_ARN} / \${NODE_ROLE_NAME} placeholders instead of the
                      role, for Flux to substitute from cluster-vars; prints the diff, or
                      writes with --write, or checks for placeholders with --check
                      (--role-arn and --stack are then optional)

With neither --write nor --check: print the unified diff of what would change.

exit codes:
  0  done (--check: every overlay carries the role)
  1  --check: some overlay differs
  2  bad usage or unreadable input (a YAML error names file:line)
`;

interface InjectArgs {
  repo: string;
  overlayDir: string;
  action: "diff" | "write" | "check";
  options: OverlayOptions;
}

const flags = {
  repo: { type: "string" },
  env: { type: "string" },
  "overlay-dir": { type: "string" },
  "role-arn": { type: "string" },
  stack: { type: "string" },
  key: { type: "string" },
  "value-form": { type: "string" },
  write: { type: "boolean" },
  check: { type: "boolean" },
  migrate: { type: "boolean" },
} as const;


async function resolveArgs(argv: string[], io: CommandIO): Promise<InjectArgs> {
  const values = parseFlags(argv, flags, usage);
  if (!values.repo) throw new UsageError(`--repo is required\n\n${usage}`);
  if (!values.env) throw new UsageError(`--env is required\n\n${usage}`);
  if (values.write && values.check) throw new UsageError("--write and --check cannot be combined: --check changes nothing");
  if (values["role-arn"] !== undefined && values.stack !== undefined) {
    throw new UsageError("--role-arn and --stack cannot be combined: give the role one way");
  }
  const valueForm = values["value-form"] ?? "auto";
  if (!isValueForm(valueForm)) throw new UsageError(`--value-form must be auto, arn or name (got "${valueForm}")`);
  if (values.key === "") throw new UsageError("--key must not be empty");

  let role: RoleRef | undefined;
  let namespaceRoles: Record<string, RoleRef> = {};
  if (values["role-arn"] !== undefined) role = roleRefFromArn(values["role-arn"]);
  else if (values.stack !== undefined) ({ role, namespaceRoles } = await stackRoles(values.stack, io));

  let options: OverlayOptions;
  if (values.migrate) options = { key: values.key, valueForm, mode: "placeholder", role, namespaceRoles };
  else if (role) options = { key: values.key, valueForm, mode: "literal", role, namespaceRoles };
  else throw new UsageError(`pass --role-arn ARN or --stack NAME\n\n${usage}`);
  return {
    repo: values.repo,
    overlayDir: overlayDirOf(values.env, values["overlay-dir"]),
    action: values.write ? "write" : values.check ? "check" : "diff",
    options,
  };
}

/**
 * The overlay directory, inside the repository and never above where it was asked for: an
 * environment is one directory name, and --overlay-dir a relative path without `..` segments,
 * so `--env ../../..` cannot rewrite another environment's overlays.
 */
function overlayDirOf(env: string, overlayDir: string | undefined): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(env) || env.includes("..")) {
    throw new UsageError(`--env must be one directory name of infrastructure/kustomized/overlays (letters, digits, . _ -); got ${JSON.stringify(env)}`);
  }
  if (overlayDir === undefined) return `infrastructure/kustomized/overlays/${env}`;
  const segments = overlayDir.split(/[\\/]+/);
  if (overlayDir === "" || overlayDir.startsWith("/") || overlayDir.includes("\0") || segments.includes("..")) {
    throw new UsageError(`--overlay-dir must be a directory inside --repo, relative to it and without ".." segments; got ${JSON.stringify(overlayDir)}`);
  }
  return overlayDir;
}

function isValueForm(value: string): value is ValueForm {
  return value === "auto" || value === "arn" || value === "name";
}

/**
 * The roles a deployed stack gave its nodes: `nodeRoleArn` for every namespace, and, for the
 * namespaces its settings (Pulumi.<stack>.yaml in the working directory) map to a node group,
 * that group's role from `nodeGroupRoles`: a dedicated-role group's namespaces must not get the
 * default role.
 */
async function stackRoles(stack: string, io: CommandIO): Promise<{ role: RoleRef; namespaceRoles: Record<string, RoleRef> }> {
  const outputs = await stackOutputs(stack, io);
  const arn = outputs.nodeRoleArn;
  if (typeof arn !== "string") {
    throw new UsageError(`stack ${stack} has no nodeRoleArn output (has it been deployed?); pass --role-arn`);
  }
  const namespaceRoles: Record<string, RoleRef> = {};
  if (!fs.existsSync(path.join(io.cwd, `Pulumi.${stack}.yaml`))) return { role: roleRefFromArn(arn), namespaceRoles };
  let mapping: Record<string, string>;
  // Loaded only here: stacks/settings imports the Pulumi SDK (seconds to load, and it reads
  // ~/.gitconfig), which no other inject needs.
  const { settingsFromStackFile } = require("../stacks/settings") as typeof import("../stacks/settings");
  try {
    mapping = settingsFromStackFile(io.cwd, stack).injection.namespaceNodeGroups;
  } catch (err) {
    throw new UsageError(`stack ${stack}: its settings cannot be read:\n${(err as Error).message}`);
  }
  const groupRoles = (outputs.nodeGroupRoles ?? {}) as Record<string, unknown>;
  for (const [namespace, group] of Object.entries(mapping)) {
    const groupArn = groupRoles[group];
    if (typeof groupArn !== "string") {
      throw new UsageError(
        `stack ${stack} has no role for node group ${group} in its nodeGroupRoles output, and Pulumi.${stack}.yaml maps ` +
          `namespace ${namespace} to it (deploy the stack first, or pass --role-arn for the default role only)`,
      );
    }
    namespaceRoles[namespace] = roleRefFromArn(groupArn);
  }
  return { role: roleRefFromArn(arn), namespaceRoles };
}

/** All outputs of a deployed stack, as `pulumi stack output --json` prints them. */
async function stackOutputs(stack: string, io: CommandIO): Promise<Record<string, unknown>> {
  const pulumi = findOnPath("pulumi", io.env);
  if (!pulumi) throw new UsageError("the Pulumi CLI is not installed; pass --role-arn");
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(pulumi, ["stack", "output", "--json", "--stack", stack], { cwd: io.cwd, env: io.env, encoding: "utf8" }, (err, out, errText) =>
      err ? reject(new UsageError(`pulumi stack output --stack ${stack} failed: ${errText.trim() || err.message}`)) : resolve(out),
    );
  });
  let outputs: unknown;
  try {
    outputs = JSON.parse(stdout);
  } catch {
    throw new UsageError(`pulumi stack output --json --stack ${stack} printed no JSON; pass --role-arn`);
  }
  if (typeof outputs !== "object" || outputs === null) {
    throw new UsageError(`pulumi stack output --json --stack ${stack} printed no JSON object; pass --role-arn`);
  }
  return outputs as Record<string, unknown>;
}

function notes(plan: OverlayPlan, key: string, literal: boolean): string {
  const lines = plan.missingKey.map((m) => `note: ${m.file}:${m.line} namespace ${m.namespace} has no ${key}\n`);
  if (literal) {
    lines.push(
      ...plan.placeholders.map(
        (p) => `note: ${p.file}:${p.line} namespace ${p.namespace} holds \${${p.variable}}; left for Flux to substitute\n`,
      ),
    );
  }
  return lines.join("");
}

/** An empty value (`iam_role:`) would otherwise print as nothing at all. */
function shown(value: string): string {
  return value === "" ? '""' : value;
}

async function run(argv: string[], io: CommandIO): Promise<number> {
  const args = await resolveArgs(argv, io);
  const key = args.options.key ?? "iam_role";
  const literal = args.options.mode !== "placeholder";
  const want = literal ? `role ${args.options.role?.arn}` : "the ${NODE_ROLE_...} placeholders";
  const repo = path.resolve(io.cwd, args.repo);
  if (!fs.existsSync(repo) || !fs.statSync(repo).isDirectory()) throw new UsageError(`--repo ${args.repo}: no such directory`);

  // A write a kill interrupted is finished (or, if it had not committed, dropped) before anything else.
  if (args.action === "write") {
    const recovered = recoverWriteSet(repo);
    if (recovered) io.stderr(`note: an interrupted write was ${recovered.outcome}: ${recovered.files.join(", ")}\n`);
  } else if (hasPendingWriteSet(repo)) {
    io.stderr("note: an interrupted write is pending in the repository; run with --write to finish it\n");
  }

  const plan = planOverlayRewrite(repo, args.overlayDir, args.options);
  io.stderr(notes(plan, key, literal));
  if (args.action === "check") {
    const differences = planDifferences(plan);
    for (const d of differences) io.stdout(`${d.file}:${d.line} ${d.namespace}: have ${shown(d.have)}, want ${d.want}\n`);
    if (differences.length > 0) {
      io.stderr(`${differences.length} ${key} value(s) in ${args.overlayDir} differ from ${want}\n`);
      return EXIT.findings;
    }
    io.stdout(`in sync: no ${key} value in ${args.overlayDir} differs from ${want}\n`);
    return EXIT.ok;
  }

  if (args.action === "diff") {
    io.stdout(renderUnifiedDiff(plan));
    if (plan.files.length === 0) io.stderr(`no change: no ${key} value in ${args.overlayDir} differs from ${want}\n`);
    return EXIT.ok;
  }
  applyOverlayPlan(repo, plan);
  for (const change of plan.files) {
    for (const edit of change.edits) io.stdout(`${change.file}:${edit.line} ${edit.namespace}: ${shown(edit.from)} -> ${edit.to}\n`);
  }
  io.stdout(`wrote ${plan.files.length} file(s)\n`);
  return EXIT.ok;
}

export const command: Command = {
  name: "inject",
  summary: "write the node IAM role into the namespace overlays, or check that they carry it",
  usage,
  async run(argv: string[], io: CommandIO): Promise<number> {
    try {
      return await run(argv, io);
    } catch (err) {
      // Unreadable input is a usage-level failure: the message names file:line, no stack.
      if (err instanceof GitopsInputError) throw new UsageError(err.message);
      throw err;
    }
  },
};
