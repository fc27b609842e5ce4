/**
 * The repository side of a drift check: the stack's settings say which GitOps repository,
 * cluster path and overlay directory it deploys; the ordering check and the overlay check say
 * whether that repository still matches what the stack expects.
 */
import * as fs from "fs";
import * as path from "path";
import { GitopsInputError } from "../gitops/read/errors";
import { overlayExpectation } from "../gitops/edit/injection-expectation";
import { OverlayOptions, RoleRef, checkOverlays, roleRefFromArn } from "../gitops/edit/overlays";
import { verifyRepository } from "../gitops/verify";
import { SettingsError, settingsFromStackFile } from "../stacks/settings";
import { Settings } from "../stacks/types";
import { verifyOptionsFor } from "../stacks/verify-options";
import { stackOutput, stackOutputJson } from "./pulumi-cli";
import { OverlayDifference, RepositoryCheck } from "./report";

export interface RepositoryRequest {
  /** The Pulumi project directory (holds Pulumi.<stack>.yaml). */
  projectDir: string;
  stack: string;
  /** Overrides the stack's gitops.repoDir; relative to projectDir. */
  repoDir?: string;
  /** The Pulumi CLI, when on PATH: commit-mode overlays and dedicated roles need the stack's role outputs. */
  pulumi?: string;
  env: NodeJS.ProcessEnv;
}


const unchecked = (problem: string): RepositoryCheck => ({
  ordering: { errors: 0, warnings: 0, findings: [] },
  overlays: { checked: false, differences: [] },
  problem,
});

/**
 * Overlay options for the stack's injection mode, as gitops/edit/injection-expectation.ts defines
 * "up to date" (the stack's OverlayInjection uses the same): `substitute`: the placeholder;
 * `commit`: the node role the stack holds, read from its `nodeRoleArn` output. Returns a note
 * instead when the expected values cannot be known.
 */
async function overlayOptions(settings: Settings, request: RepositoryRequest): Promise<OverlayOptions | { note: string }> {
  const { key, valueForm } = settings.injection;
  if (settings.injection.mode === "substitute") return overlayExpectation("substitute", { key, valueForm });
  if (!request.pulumi) return { note: "commit mode compares with the stack's node role, and the Pulumi CLI is not on PATH to read it" };
  const arn = await stackOutput(request.pulumi, request.stack, "nodeRoleArn", { cwd: request.projectDir, env: request.env });
  if (!arn) return { note: `commit mode compares with the stack's node role, and stack ${request.stack} has no nodeRoleArn output (not deployed yet?)` };
  return overlayExpectation("commit", { key, valueForm, role: roleRefFromArn(arn) });
}

/**
 * The roles of namespaces mapped to node groups with a role of their own (`dedicatedRole`), read
 * from the stack's `nodeGroupRoles` output; namespaces mapped to a shared-role group are checked
 * like unmapped ones. Namespaces whose role cannot be read are listed as `unchecked`, with why.
 */
async function dedicatedNamespaceRoles(
  settings: Settings,
  request: RepositoryRequest,
): Promise<{ namespaceRoles: Record<string, RoleRef>; unchecked: string[]; why?: string }> {
  const dedicated = new Set(settings.nodeGroups.filter((group) => group.dedicatedRole).map((group) => group.name));
  const mapped = Object.entries(settings.injection.namespaceNodeGroups).filter(([, group]) => dedicated.has(group));
  if (mapped.length === 0) return { namespaceRoles: {}, unchecked: [] };
  const output = request.pulumi
    ? await stackOutputJson(request.pulumi, request.stack, "nodeGroupRoles", { cwd: request.projectDir, env: request.env })
    : undefined;
  const groupRoles = typeof output === "object" && output !== null ? (output as Record<string, unknown>) : {};
  const namespaceRoles: Record<string, RoleRef> = {};
  const unchecked: string[] = [];
  for (const [namespace, group] of mapped) {
    const arn = groupRoles[group];
    if (typeof arn === "string") namespaceRoles[namespace] = roleRefFromArn(arn);
    else unchecked.push(namespace);
  }
  const why = !request.pulumi
    ? "the Pulumi CLI is not on PATH to read the stack's nodeGroupRoles output"
    : output === undefined
      ? `stack ${request.stack} has no nodeGroupRoles output (not deployed since node groups got their own roles?)`
      : `the stack's nodeGroupRoles output has no role for their node groups (not deployed since?)`;
  return { namespaceRoles, unchecked, ...(unchecked.length > 0 ? { why } : {}) };
}

export async function checkRepository(request: RepositoryRequest): Promise<RepositoryCheck> {
  let settings: Settings;
  try {
    settings = settingsFromStackFile(request.projectDir, request.stack);
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
    // Namespaces mapped to node groups with their own role carry that role, from the stack's nodeGroupRoles output.
    const dedicated = await dedicatedNamespaceRoles(settings, request);
    const differences: OverlayDifference[] = checkOverlays(repoDir, settings.injection.overlayDir, {
      ...options,
      namespaceRoles: dedicated.namespaceRoles,
    }).filter((d) => !dedicated.unchecked.includes(d.namespace));
    const note = dedicated.why
      ? `namespaces mapped to node groups with their own role not checked: ${dedicated.unchecked.join(", ")} (${dedicated.why})`
      : undefined;
    return { repo: repoArg, cluster, ordering, overlays: { checked: true, differences, ...(note ? { note } : {}) } };
  } catch (err) {
    if (err instanceof GitopsInputError) return { ...unchecked(`${repoArg}: ${err.message}`), repo: repoArg, cluster };
    throw err;
  }
}
