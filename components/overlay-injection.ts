import * as path from "path";
import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";
import { OverlayDifference, OverlayPlan, RoleRef, planDifferences, planOverlayRewrite } from "../gitops/overlays";

/** One file the injection commits, for the plan and the stack outputs. */
export interface InjectionCommit {
  file: string;
  edits: { namespace: string; line: number; from: string; to: string }[];
}

export interface OverlayInjectionArgs {
  /**
   * `substitute` (default): overlays hold `${NODE_ROLE_ARN}` / `${NODE_ROLE_NAME}` and Flux fills
   * them in from the `cluster-vars` ConfigMap; nothing is committed.
   * `commit`: the real role is written into the overlays and committed to the GitOps repository.
   */
  mode: "substitute" | "commit";
  /** Local checkout of the GitOps repository; the overlays are read from it. */
  repoDir: string;
  /** Overlay directory inside the repository, e.g. "infrastructure/kustomized/overlays/development". */
  overlayDir: string;
  /** Environment name, for the commit message. */
  environment: string;
  /** Key that carries the role in namespace manifests. Default "iam_role". */
  key?: string;
  /** Value form to write; `auto` (default) keeps the form each file already uses. */
  valueForm?: "auto" | "arn" | "name";
  /** The default node role; must be known at preview time for the plan to show the commits. */
  role: { arn: pulumi.Input<string>; name: pulumi.Input<string> };
  /**
   * Namespace -> role of the node group it runs on; unmapped namespaces get `role`. A role other
   * than `role` is written as a literal value (commit mode) or must already be there (substitute
   * mode warns with file:line): `cluster-vars` carries only the default role.
   */
  namespaceRoles?: Record<string, { arn: pulumi.Input<string>; name: pulumi.Input<string> }>;
  /** `commit` mode: the GitHub repository and branch to commit to (github provider from stack config). */
  commit?: { owner: string; repository: string; branch: string };
  /** `substitute` mode: the variables the `cluster-vars` ConfigMap supplies. */
  suppliedVariables?: string[];
}

/**
 * Puts the node IAM role into the namespace overlays so nobody edits `iam_role` by hand
 * (step 3 of the seed's "Deploying a New Cluster").
 *
 * In `commit` mode it creates one `github.RepositoryFile` per overlay file whose value differs
 * from the role; a file already carrying the role produces no resource, so a second `pulumi up`
 * is a no-op. The files are retained on `pulumi destroy`: tearing a cluster down must not delete
 * the environment's overlays from the GitOps repository.
 *
 * ```ts
 * new OverlayInjection("overlays", {
 *   mode: "commit", repoDir: "../gitops", overlayDir: "infrastructure/kustomized/overlays/production",
 *   environment: "production", role: { arn: nodeRole.previewableArn, name: nodeRole.name },
 *   commit: { owner: "acme", repository: "gitops", branch: "main" },
 * });
 * ```
 */
export class OverlayInjection extends pulumi.ComponentResource {
  /** Files committed (commit mode), with the values changed. */
  public readonly commits: pulumi.Output<InjectionCommit[]>;
  /** Placeholders Flux substitutes (substitute mode): file, namespace and variable. */
  public readonly placeholders: pulumi.Output<OverlayPlan["placeholders"]>;
  /** Namespace manifests without the key: reported, never silently skipped. */
  public readonly missingKey: pulumi.Output<OverlayPlan["missingKey"]>;
  /** Variables supplied by `cluster-vars` (substitute mode). */
  public readonly suppliedVariables: string[];
  /**
   * Substitute mode: values of namespaces mapped to a node group with its own role that do not
   * carry that role (each is also a warning). Always empty in commit mode, which commits them.
   */
  public readonly unsuppliedRoles: pulumi.Output<OverlayDifference[]>;

  constructor(name: string, args: OverlayInjectionArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gitops-cluster:index:OverlayInjection", name, {}, opts);
    const repoDir = path.resolve(args.repoDir);
    const key = args.key ?? "iam_role";
    const namespaceInputs = args.namespaceRoles ?? {};

    // The set of files to commit depends on the role's value, so the resources are created once it
    // is known. It is known at preview: the role's name is fixed by NodeRole and the ARN is built
    // from the account and partition, which invokes return during preview.
    const roles = pulumi.all([pulumi.output(args.role), pulumi.output(namespaceInputs)]);
    const plan: pulumi.Output<OverlayPlan> = roles.apply(([role, namespaceRoles]) =>
      planOverlayRewrite(repoDir, args.overlayDir, {
        key,
        valueForm: args.valueForm ?? "auto",
        role: role as RoleRef,
        namespaceRoles: namespaceRoles as Record<string, RoleRef>,
        mode: "literal",
      }),
    );

    this.suppliedVariables = args.mode === "substitute" ? [...(args.suppliedVariables ?? [])] : [];
    this.placeholders = plan.apply((p) => p.placeholders);
    this.missingKey = plan.apply((p) => p.missingKey);
    this.missingKey.apply((missing) =>
      missing.forEach((m) =>
        pulumi.log.warn(`${m.file}:${m.line}: namespace ${m.namespace} has no ${key} key; the node role was not injected there`, this),
      ),
    );

    // Substitute mode commits nothing, and cluster-vars carries only the default role: a namespace
    // mapped to a node group with a role of its own must already hold that role as a literal value.
    this.unsuppliedRoles = args.mode === "substitute"
      ? pulumi.all([roles, plan]).apply(([[role, namespaceRoles], p]) => {
          const ownRole = new Set(Object.keys(namespaceRoles).filter((namespace) => namespaceRoles[namespace].arn !== role.arn));
          return planDifferences(p).filter((d) => ownRole.has(d.namespace));
        })
      : pulumi.output([]);
    this.unsuppliedRoles.apply((differences) =>
      differences.forEach((d) =>
        pulumi.log.warn(
          `${d.file}:${d.line}: namespace ${d.namespace} runs on a node group with its own role, so its ${key} must be ` +
            `${d.want} (got ${d.have}); in substitute mode nothing is committed and cluster-vars carries only the ` +
            "default node role: write the value there (gitops-cluster inject) or set injection.mode to commit",
          this,
        ),
      ),
    );

    if (args.mode === "commit") {
      const target = args.commit;
      if (!target) {
        throw new pulumi.RunError(
          "gitops-cluster:injection.commit is required when gitops-cluster:injection.mode is commit " +
            "(expected {owner, repository, branch} of the GitOps repository on GitHub)",
        );
      }
      // Its own provider: the owner comes from settings, the token from GITHUB_TOKEN, as for the deploy key.
      const githubProvider = new github.Provider(`${name}-github`, { owner: target.owner }, { parent: this });
      this.commits = plan.apply((p) =>
        p.files.map((change) => {
          const roleNames = [...new Set(change.edits.map((e) => e.to))].join(", ");
          new github.RepositoryFile(
            `${name}-${change.file.replace(/[^A-Za-z0-9]+/g, "-")}`,
            {
              repository: target.repository,
              branch: target.branch,
              file: change.file,
              content: change.after,
              commitMessage: `${args.environment}: set ${key} to ${roleNames} in ${change.file}`,
              overwriteOnCreate: true,
            },
            { parent: this, provider: githubProvider, retainOnDelete: true },
          );
          return { file: change.file, edits: change.edits };
        }),
      );
    } else {
      this.commits = pulumi.output([]);
    }

    this.registerOutputs({
      commits: this.commits,
      placeholders: this.placeholders,
      missingKey: this.missingKey,
      suppliedVariables: this.suppliedVariables,
      unsuppliedRoles: this.unsuppliedRoles,
    });
  }
}
