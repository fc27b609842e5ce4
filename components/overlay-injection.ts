import * as path from "path";
import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";
import { overlayExpectation } from "../gitops/edit/injection-expectation";
import { DesiredOverlayFile, OverlayDifference, OverlayPlan, RoleRef, desiredOverlayFiles, planDifferences, planOverlayRewrite } from "../gitops/edit/overlays";

/**
 * One file commit mode declares, for the plan and the stack outputs. `edits` are what the local
 * checkout still lacks (empty once the commit has been pulled); the declared content is the same
 * either way.
 */
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
 * In `commit` mode it declares one `github.RepositoryFile` per overlay file that carries the key,
 * on every run, with the content the file should have (`overwriteOnCreate`). Whether the local
 * checkout is stale or already holds the commit, the resources and their inputs are the same, so
 * the run after the commit lands is a no-op and nothing drops out of the program. The files are
 * retained on `pulumi destroy`: tearing a cluster down must not delete the environment's
 * overlays from the GitOps repository.
 *
 * "Up to date" is gitops/edit/injection-expectation.ts's, shared with `drift`: in `substitute` mode a
 * value that is not what Flux should substitute is a warning with file:line here and a
 * difference there.
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
    const expected = roles.apply(([role, namespaceRoles]) =>
      overlayExpectation(args.mode, {
        key,
        valueForm: args.valueForm ?? "auto",
        role: role as RoleRef,
        namespaceRoles: namespaceRoles as Record<string, RoleRef>,
      }),
    );
    const plan: pulumi.Output<OverlayPlan> = expected.apply((options) => planOverlayRewrite(repoDir, args.overlayDir, options));

    this.suppliedVariables = args.mode === "substitute" ? [...(args.suppliedVariables ?? [])] : [];
    this.placeholders = plan.apply((p) => p.placeholders);
    this.missingKey = plan.apply((p) => p.missingKey);
    this.missingKey.apply((missing) =>
      missing.forEach((m) =>
        pulumi.log.warn(`${m.file}:${m.line}: namespace ${m.namespace} has no ${key} key; the node role was not injected there`, this),
      ),
    );

    // Substitute mode commits nothing: every value that is not what Flux should substitute is
    // reported. A namespace mapped to a node group with a role of its own must hold that role as
    // a literal value, since cluster-vars carries only the default role.
    const differences = args.mode === "substitute" ? plan.apply(planDifferences) : pulumi.output([] as OverlayDifference[]);
    // A list, not a Set: Output.apply unwraps what it returns and would not keep a Set.
    const ownRoleNamespaces = roles.apply(([role, namespaceRoles]) =>
      Object.keys(namespaceRoles).filter((namespace) => namespaceRoles[namespace].arn !== role.arn),
    );
    this.unsuppliedRoles = pulumi.all([differences, ownRoleNamespaces]).apply(([all, own]) => all.filter((d) => own.includes(d.namespace)));
    pulumi.all([differences, ownRoleNamespaces]).apply(([all, own]) =>
      all.forEach((d) =>
        pulumi.log.warn(
          own.includes(d.namespace)
            ? `${d.file}:${d.line}: namespace ${d.namespace} runs on a node group with its own role, so its ${key} must be ` +
                `${d.want} (got ${d.have}); in substitute mode nothing is committed and cluster-vars carries only the ` +
                "default node role: write the value there (gitops-cluster inject) or set injection.mode to commit"
            : `${d.file}:${d.line}: namespace ${d.namespace}: in substitute mode its ${key} must be ${d.want}, for Flux to fill ` +
                `in from cluster-vars (got ${d.have}); \`gitops-cluster inject --migrate\` writes it, and drift reports it until then`,
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
      const declared = pulumi.all([expected, plan]).apply(([options, p]) => ({
        files: desiredOverlayFiles(repoDir, args.overlayDir, options),
        pending: new Map(p.files.map((change) => [change.file, change.edits])),
      }));
      this.commits = declared.apply(({ files, pending }) =>
        files.map((desired: DesiredOverlayFile) => {
          new github.RepositoryFile(
            `${name}-${desired.file.replace(/[^A-Za-z0-9]+/g, "-")}`,
            {
              repository: target.repository,
              branch: target.branch,
              file: desired.file,
              content: desired.content,
              // The same message on every run: it is an input, and a message naming this run's
              // edits would differ once the checkout holds the commit.
              commitMessage: `${args.environment}: ${key} of the namespaces in ${desired.file}, from the stack's node roles (gitops-cluster)`,
              overwriteOnCreate: true,
            },
            { parent: this, provider: githubProvider, retainOnDelete: true },
          );
          return { file: desired.file, edits: pending.get(desired.file) ?? [] };
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
