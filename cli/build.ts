import * as fs from "fs";
import * as path from "path";
import { stringify } from "yaml";
import { GitopsInputError } from "../gitops/read/errors";
import { climbsAboveRoot, fluxPath, resolvePath } from "../gitops/kustomize";
import { BootstrapMode, K8sObject, SourceMapping, Unresolved } from "../gitops/model";
import { Repo } from "../gitops/read/repo";
import { parseSourceMapping } from "../gitops/read/sources";
import { verifyRepository } from "../gitops/verify";
import { AS_KUSTOMIZE_READS } from "../gitops/read/yaml";
import { Command, CommandIO, EXIT, UsageError, parseFlags } from "./command";

const usage = `usage: gitops-cluster build --path PATH [--repo DIR]
       gitops-cluster build --cluster PATH --kustomization NAMESPACE/NAME [--repo DIR]
                            [--source KIND/NAMESPACE/NAME=DIR ...] [--bootstrap committed|stack]

Prints the objects the resolver builds, as multi-document YAML, like \`kustomize build\`:
- with --path, for one kustomize directory (or file) of the repository. A directory without a
  kustomization file is built as Flux's kustomize-controller generates one for it; .sourceignore
  and Flux's default ignores apply.
- with --kustomization, what one Flux Kustomization of the cluster applies, as verify reads it:
  its spec.path in its source (this repository, or a --source directory), with its own kustomize
  fields (targetNamespace, namePrefix/nameSuffix, patches, components, images) written into the
  kustomization as Flux writes them, and its commonMetadata; before postBuild substitution.
  flux-system/flux-system is the root.

options:
  --path PATH               the directory (or file) to build, relative to the repository root
  --repo DIR                the GitOps repository, a local checkout (default: the current directory)
  --cluster PATH            the cluster directory Flux reconciles, e.g. clusters/production
  --kustomization NS/NAME   the Flux Kustomization to build (with --cluster)
  --source K/NS/NAME=DIR    read that Flux source from DIR (repeatable; with --kustomization)
  --bootstrap MODE          committed (default) or stack: which root applies the cluster path,
                            as in verify

exit codes: 0 everything resolved; 1 something left unresolved (each named on stderr, what could
be built still printed); 2 bad input.

examples:
  gitops-cluster build --repo examples/gitops --path infrastructure/kustomized/overlays/development
  gitops-cluster build --repo examples/gitops --cluster clusters/development --kustomization flux-system/cert-manager-install
`;

/** kustomize's legacy output order (api/internal/builtins/SortOrderTransformer.go defaultOrderFirst/Last), then by id. */
const ORDER_FIRST = [
  "Namespace", "ResourceQuota", "StorageClass", "CustomResourceDefinition", "ServiceAccount", "PodSecurityPolicy",
  "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "ConfigMap", "Secret", "Endpoints", "Service",
  "LimitRange", "PriorityClass", "PersistentVolume", "PersistentVolumeClaim", "Deployment", "StatefulSet",
  "CronJob", "PodDisruptionBudget",
];
const ORDER_LAST = ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"];

function rank(kind: string): number {
  const first = ORDER_FIRST.indexOf(kind);
  if (first >= 0) return first - ORDER_FIRST.length;
  const last = ORDER_LAST.indexOf(kind);
  return last >= 0 ? 1 + last : 0;
}

function sortKey(o: K8sObject): string {
  return `${o.group || "~G"}_${o.apiVersion.slice(o.apiVersion.indexOf("/") + 1)}_${o.kind}|${o.namespace ?? "~X"}|${o.name}`;
}

/**
 * The objects as `kustomize build` prints them: one YAML document each, keys sorted. A string
 * that go-yaml would read as something else (`"0644"`, `"2024-01-01"`) is quoted, so kubectl and
 * Flux read back what was built.
 */
export function renderObjects(objects: K8sObject[]): string {
  const sorted = [...objects].sort((a, b) => rank(a.kind) - rank(b.kind) || (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));
  // No anchors: kustomize writes each value out in full (a shared value would become an alias,
  // and sorting the keys can put it before its anchor).
  return sorted.map((o) => stringify(o.body, { ...AS_KUSTOMIZE_READS, sortMapEntries: true, lineWidth: 0, aliasDuplicateObjects: false })).join("---\n");
}

function describe(u: Unresolved): string {
  return `${u.source.file}:${u.source.line}: ${u.reason}: ${u.ref}`;
}

interface BuildArgs {
  repoDir: string;
  target: { path: string } | { cluster: string; kustomization: string; sources: SourceMapping[]; bootstrap: BootstrapMode };
}

function parse(argv: string[], cwd: string): BuildArgs {
  const values = parseFlags(argv, {
    repo: { type: "string", default: "." },
    path: { type: "string" },
    cluster: { type: "string" },
    kustomization: { type: "string" },
    source: { type: "string", multiple: true, default: [] },
    bootstrap: { type: "string" },
  }, usage);
  const repoDir = path.resolve(cwd, values.repo as string);
  if (!fs.existsSync(repoDir) || !fs.statSync(repoDir).isDirectory()) {
    throw new UsageError(`--repo ${values.repo}: no such directory`);
  }
  const sourceTexts = values.source as string[];
  if (values.kustomization === undefined && values.cluster === undefined) {
    if (values.path === undefined || values.path === "") {
      throw new UsageError(`--path is required: the directory to build, e.g. infrastructure/kustomized/overlays/development\n\n${usage}`);
    }
    if (sourceTexts.length > 0 || values.bootstrap !== undefined) {
      throw new UsageError(`--${sourceTexts.length > 0 ? "source" : "bootstrap"} applies to a Flux Kustomization: use it with --cluster and --kustomization, not --path`);
    }
    return { repoDir, target: { path: values.path } };
  }
  if (values.path !== undefined) {
    throw new UsageError("--path builds a directory, --cluster with --kustomization a Flux Kustomization: give one or the other");
  }
  if (values.cluster === undefined || values.cluster === "") throw new UsageError("--kustomization needs --cluster: the cluster directory Flux reconciles");
  const id = values.kustomization ?? "";
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/.test(id)) {
    throw new UsageError(`--kustomization "${id}": expected NAMESPACE/NAME, e.g. flux-system/apps`);
  }
  const bootstrap = values.bootstrap ?? "committed";
  if (bootstrap !== "committed" && bootstrap !== "stack") throw new UsageError(`--bootstrap ${bootstrap}: expected committed or stack`);
  const sources = sourceTexts.map((text) => {
    const parsed = parseSourceMapping(text);
    if (typeof parsed === "string") throw new UsageError(`--source: ${parsed}`);
    const dir = path.resolve(cwd, parsed.dir);
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UsageError(`--source ${text}: no such directory`);
    return { ...parsed, dir };
  });
  return { repoDir, target: { cluster: values.cluster, kustomization: id, sources, bootstrap } };
}

/** The objects, and what was left unresolved, of the directory or Flux Kustomization `args` names. */
function build(args: BuildArgs): { objects: K8sObject[]; unresolved: Unresolved[] } {
  const target = args.target;
  if ("path" in target) {
    const repo = new Repo(args.repoDir);
    // --path names a directory of this checkout, not a Flux spec.path: it may not climb out of it.
    if (climbsAboveRoot(target.path)) throw new GitopsInputError(`--path ${target.path} leaves the repository root`);
    const dir = fluxPath(repo, target.path);
    if (!repo.exists(dir)) throw new GitopsInputError(`--path ${target.path}: no such file or directory in ${args.repoDir}`);
    return resolvePath(repo, dir);
  }
  const result = verifyRepository(args.repoDir, target.cluster, { sources: target.sources, bootstrap: target.bootstrap });
  const node = result.kustomizations.find((n) => n.id === target.kustomization);
  if (node === undefined) {
    const ids = [...new Set(result.kustomizations.map((n) => n.id))].sort();
    const shown = ids.slice(0, 12).join(", ") + (ids.length > 12 ? `, and ${ids.length - 12} more` : "");
    throw new UsageError(`--kustomization ${target.kustomization}: no Flux Kustomization of that name under ${target.cluster}; there are: ${shown}`);
  }
  return { objects: node.objects, unresolved: node.unresolved };
}

export const command: Command = {
  name: "build",
  summary: "print the objects a kustomize directory or a Flux Kustomization applies, as the resolver builds them",
  usage,
  async run(argv: string[], io: CommandIO): Promise<number> {
    const args = parse(argv, io.cwd);
    let result;
    try {
      result = build(args);
    } catch (err) {
      if (err instanceof GitopsInputError) {
        io.stderr(`${err.message}\n`);
        return EXIT.usage;
      }
      throw err;
    }
    const text = renderObjects(result.objects);
    if (text !== "") io.stdout(text);
    for (const u of result.unresolved) io.stderr(`unresolved: ${describe(u)}\n`);
    return result.unresolved.length > 0 ? EXIT.findings : EXIT.ok;
  },
};
