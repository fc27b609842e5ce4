/**
 * What "the overlays are up to date" means for each injection mode. One definition, used by the
 * stack's OverlayInjection (warnings at preview/up, the files commit mode declares) and by
 * `drift` (drift/repository.ts), so the two never disagree about the same repository.
 */
import type { OverlayOptions, RoleRef, ValueForm } from "./overlays";

export type InjectionMode = "substitute" | "commit";

export interface InjectionExpectation {
  key: string;
  valueForm: ValueForm;
  /** The default node role. Needed in commit mode; in substitute mode it only tells which mapped namespaces share it. */
  role?: RoleRef;
  /** Namespace -> role of a node group mapped to it. */
  namespaceRoles?: Record<string, RoleRef>;
}

/**
 * - `substitute`: every namespace on the default role carries the `${NODE_ROLE_ARN}` /
 *   `${NODE_ROLE_NAME}` placeholder, for Flux to fill from `cluster-vars`; a namespace mapped to
 *   a node group with a role of its own carries that role as a literal value, since `cluster-vars`
 *   holds only the default role. A literal default role is out of date here: it would stay
 *   behind when the role changes.
 * - `commit`: every namespace carries its role as a literal value.
 */
export function overlayExpectation(mode: InjectionMode, expectation: InjectionExpectation): OverlayOptions {
  const { key, valueForm, role, namespaceRoles = {} } = expectation;
  if (mode === "substitute") return { mode: "placeholder", key, valueForm, namespaceRoles, ...(role ? { role } : {}) };
  if (!role) throw new Error("internal: commit mode compares with the default node role, and none was given");
  return { mode: "literal", key, valueForm, role, namespaceRoles };
}
