import * as fs from "fs";
import * as path from "path";
import { stringify } from "yaml";
import { GitopsInputError } from "../gitops/read/errors";
import { fluxMinor } from "../gitops/flux/apis";
import { applyFileChanges, unifiedDiff } from "../gitops/edit/splice";
import { hasPendingWriteSet, recoverWriteSet } from "../gitops/edit/write-set";
import { MigrationPlan, planMigration } from "../gitops/edit/migrate";
import { FLUX_VERSION, KUBERNETES_VERSION } from "../stacks/defaults";
import { Command, CommandIO, EXIT, UsageError, parseFlags } from "./command";

const usage = `usage: gitops-cluster migrate --repo DIR [--cluster PATH] [--write | --check]
                              [--flux-version V] [--kubernetes-version V] [--bootstrap stack|committed]

Rewrites a GitOps repository for the Flux and Kubernetes this stack installs: apiVersions that
are no longer served become the served ones, fields the new versions removed are converted
(patchesStrategicMerge/patchesJson6902 -> patches, valuesFile -> valuesFiles, ...), and with
--cluster, flux bootstrap's own install and sync manifests in PATH/flux-system are removed (this
stack installs and owns Flux; their patches are printed for the flux.kustomizePatches setting).
Comments and formatting are kept. What cannot be converted safely is named and left alone.

options:
  --repo DIR              the GitOps repository, a local checkout (default: the current directory)
  --cluster PATH          the cluster directory; with it, flux bootstrap's leftovers are removed
  --write                 write the changes (all files or none); default: print a unified diff
  --check                 exit 1 when anything needs migrating, write nothing
  --flux-version V        the Flux that will serve the objects (default: ${FLUX_VERSION}, the stack's)
  --kubernetes-version V  the cluster's Kubernetes minor (default: ${KUBERNETES_VERSION})
  --bootstrap MODE        stack (default with --cluster): remove flux bootstrap's manifests;
                          committed: keep them
  -h, --help              show this text

exit status: 0 done (or nothing to do), 1 --check found something to migrate, 2 bad usage
`;

function report(plan: MigrationPlan, io: CommandIO): void {
  for (const n of plan.done) io.stderr(`${n.file}:${n.line}: ${n.message}\n`);
  for (const n of plan.unsafe) io.stderr(`${n.file}:${n.line}: not migrated: ${n.message}\n`);
  if (plan.kustomizePatches.length > 0) {
    io.stderr(
      `\nflux-system/kustomization.yaml customised the Flux controllers with ${plan.kustomizePatches.length} patch(es); ` +
        "this stack carries them to FluxInstance spec.kustomize.patches. Add to Pulumi.<stack>.yaml:\n\n" +
        stringify({ config: { "gitops-cluster:flux": { kustomizePatches: plan.kustomizePatches } } }, { lineWidth: 0 }).replace(/^/gm, "    ") + "\n" +
        "(merge kustomizePatches into the existing gitops-cluster:flux object)\n",
    );
  }
}

export const command: Command = {
  name: "migrate",
  summary: "rewrite Flux and Kubernetes API versions the cluster no longer serves, and remove flux bootstrap's manifests",
  usage,
  async run(argv: string[], io: CommandIO): Promise<number> {
    const values = parseFlags(argv, {
      repo: { type: "string", default: "." },
      cluster: { type: "string" },
      write: { type: "boolean", default: false },
      check: { type: "boolean", default: false },
      "flux-version": { type: "string", default: FLUX_VERSION },
      "kubernetes-version": { type: "string", default: KUBERNETES_VERSION },
      bootstrap: { type: "string" },
    }, usage);
    if (values.write && values.check) throw new UsageError("--write and --check exclude each other");
    if (fluxMinor(values["flux-version"]) === undefined) throw new UsageError(`--flux-version ${values["flux-version"]}: expected e.g. 2.9.2`);
    if (!/^v?1\.\d+(\.\d+)?$/.test(values["kubernetes-version"])) throw new UsageError(`--kubernetes-version ${values["kubernetes-version"]}: expected e.g. 1.35`);
    const bootstrap = values.bootstrap ?? (values.cluster === undefined ? "committed" : "stack");
    if (bootstrap !== "stack" && bootstrap !== "committed") throw new UsageError(`--bootstrap ${bootstrap}: expected stack or committed`);
    const repoDir = path.resolve(io.cwd, values.repo);
    if (!fs.existsSync(repoDir) || !fs.statSync(repoDir).isDirectory()) throw new UsageError(`--repo ${values.repo}: no such directory`);
    try {
      // A write a kill interrupted is finished (or, if it had not committed, dropped) before anything else.
      if (values.write) {
        const recovered = recoverWriteSet(repoDir);
        if (recovered) io.stderr(`note: an interrupted write was ${recovered.outcome}: ${recovered.files.join(", ")}\n`);
      } else if (hasPendingWriteSet(repoDir)) {
        io.stderr("note: an interrupted write is pending in the repository; run with --write to finish it\n");
      }
      const plan = planMigration(repoDir, {
        fluxVersion: values["flux-version"],
        kubernetesVersion: values["kubernetes-version"],
        bootstrap,
        ...(values.cluster === undefined ? {} : { clusterPath: values.cluster }),
      });
      if (values.check) {
        report(plan, io);
        return plan.files.length > 0 ? EXIT.findings : EXIT.ok;
      }
      if (values.write) {
        applyFileChanges(repoDir, plan.files);
        report(plan, io);
        io.stderr(`${plan.files.length} file(s) migrated\n`);
        return EXIT.ok;
      }
      io.stdout(unifiedDiff(plan.files));
      report(plan, io);
      return EXIT.ok;
    } catch (err) {
      if (err instanceof GitopsInputError) {
        io.stderr(`${err.message}\n`);
        return EXIT.usage;
      }
      throw err;
    }
  },
};
