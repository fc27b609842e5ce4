/**
 * The repository side of a drift check: the stack's settings say which GitOps repository,
 * cluster path and overlay directory it deploys; the ordering check and the overlay check say
 * whether that repository still matches what the stack expects.
 */
import * as fs from "fs";
import * as path from "path";
import { GitopsInputError } from "../gitops/errors";
import { OverlayOptions, checkOverlays, roleRefFromArn } from "../gitops/overlays";
import { verifyRepository } from "../gitops/verify";
import { SettingsError, parseSettings, readStackConfig, readStackConfigFile } from "../stacks/settings";
import { Settings } from "../stacks/types";
import { verifyOptionsFor } from "../stacks/verify-options";
import { stackOutput } from "./pulumi-cli";
import { OverlayDifference, RepositoryCheck } from "./report";

export interface RepositoryRequest {
  /** The Pulumi project directory (holds Pulumi.<stack>.yaml). */
  projectDir: string;
  stack: string;
  /** Overrides the stack's gitops.repoDir; relative to projectDir. */
  repoDir?: string;
  /** The Pulumi CLI, when on PATH: commit-mode overlays need the stack's node role output. */
  pulumi?: string;
  env: NodeJS.ProcessEnv;
}


function readSettings(projectDir: string, stack: string): Settings {
  const awsRegion = readStackConfig(projectDir, stack)["aws:region"];
  return parseSettings(readStackConfigFile(projectDir, stack), stack, undefined, typeof awsRegion === "string" ? awsRegion : undefined);
}

const unchecked = (problem: string): RepositoryCheck => ({
  ordering: { errors: 0, warnings: 0, findings: [] },
  overlays: { checked: false, differences: [] },
  problem,
});

/**
 * Overlay options for the stack's injection mode. `substitute`: every value must be the
 * placeholder; `commit`: the node role the stack holds, read from its `nodeRoleArn` output.
 * Returns a note instead when the expected values cannot be known.
 */
async function overlayOptions(settings: Settings, request: RepositoryRequest): Promise<OverlayOptions | { note: string }> {
  const { key, valueForm } = settings.injection;
  if (settings.injection.mode === "substitute") return { mode: "placeholder", key, valueForm };
  if (!request.pulumi) return { note: "commit mode compares with the stack's node role, and the Pulumi CLI is not on PATH to read it" };
  const arn = await stackOutput(request.pulumi, request.stack, "nodeRoleArn", { cwd: request.projectDir, env: request.env });
  if (!arn) return { note: `commit mode compares with the stack's node role, and stack ${request.stack} has no nodeRoleArn output (not deployed yet?)` };
  return { mode: "literal", key, valueForm, role: roleRefFromArn(arn) };
}

export async function checkRepository(request: RepositoryRequest): Promise<RepositoryCheck> {
  let settings: Settings;
  try {
    settings = readSettings(request.projectDir, request.stack);
  } catch (err) {
    if (err instanceof SettingsError) return unchecked(`the settings of stack ${request.stack} cannot be read: ${err.message}`);
    throw err;
  }
  const repoArg = request.repoDir ?? settings.gitops.repoDir;
  const repoDir = path.resolve(request.projectDir, repoArg);
  if (!fs.existsSync(repoDir) || !fs.statSync(repoDir).isDirectory()) {
    return unchecked(`${repoArg}: no such directory (the GitOps repository checkout; set --repo or gitops-cluster:gitops.repoDir)`);
  }
  const cluster = settings.gitops.clusterPath;
  try {
    const result = verifyRepository(repoDir, cluster, verifyOptionsFor(settings));
    const ordering = { errors: result.summary.errors, warnings: result.summary.warnings, findings: result.findings };
    const options = await overlayOptions(settings, request);
    if ("note" in options) return { repo: repoArg, cluster, ordering, overlays: { checked: false, differences: [], note: options.note } };
    // Namespaces mapped to other node groups carry those groups' roles, which the stack does not output.
    const mapped = Object.keys(settings.injection.namespaceNodeGroups);
    const differences: OverlayDifference[] = checkOverlays(repoDir, settings.injection.overlayDir, options).filter((d) => !mapped.includes(d.namespace));
    const note = mapped.length > 0 ? `namespaces mapped to other node groups not checked: ${mapped.join(", ")}` : undefined;
    return { repo: repoArg, cluster, ordering, overlays: { checked: true, differences, ...(note ? { note } : {}) } };
  } catch (err) {
    if (err instanceof GitopsInputError) return { ...unchecked(`${repoArg}: ${err.message}`), repo: repoArg, cluster };
    throw err;
  }
}
