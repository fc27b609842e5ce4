import * as fs from "fs";
import * as path from "path";
import { stringify } from "yaml";
import { GitopsInputError } from "../gitops/errors";
import { fluxPath, resolvePath } from "../gitops/kustomize";
import { K8sObject, Unresolved } from "../gitops/model";
import { Repo } from "../gitops/repo";
import { Command, CommandIO, EXIT, UsageError, parseFlags } from "./command";

const usage = `usage: gitops-cluster build --path PATH [--repo DIR] [--source KIND/NAMESPACE/NAME=DIR ...]

Prints the objects the resolver builds for one kustomize directory or Flux Kustomization spec.path,
as multi-document YAML, like \`kustomize build\`. A directory without a kustomization file is built
as Flux's kustomize-controller generates one for it; .sourceignore and Flux's default ignores apply.

options:
  --path PATH             the directory (or file) to build, relative to the repository root
  --repo DIR              the GitOps repository, a local checkout (default: the current directory)
  --source K/NS/NAME=DIR  map a Flux source to a local directory (repeatable); accepted and checked,
                          not used by build yet: PATH is always read from --repo

exit codes: 0 everything resolved; 1 something left unresolved (each named on stderr, what could
be built still printed); 2 bad input.

example:
  gitops-cluster build --repo examples/gitops --path infrastructure/controllers
`;

/** A `--source KIND/NAMESPACE/NAME=DIR` mapping. */
export interface SourceMapping {
  kind: string;
  namespace: string;
  name: string;
  dir: string;
}

export function parseSourceMapping(text: string): SourceMapping {
  const m = /^([A-Za-z]+)\/([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-.a-z0-9]*[a-z0-9])?)=(.+)$/.exec(text);
  if (m === null) throw new UsageError(`--source ${text}: expected KIND/NAMESPACE/NAME=DIR, e.g. GitRepository/flux-system/apps=../apps`);
  return { kind: m[1], namespace: m[2], name: m[4], dir: m[6] };
}

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

/** The objects as `kustomize build` prints them: one YAML document each, keys sorted. */
export function renderObjects(objects: K8sObject[]): string {
  const sorted = [...objects].sort((a, b) => rank(a.kind) - rank(b.kind) || (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));
  return sorted.map((o) => stringify(o.body, { sortMapEntries: true, lineWidth: 0 })).join("---\n");
}

function describe(u: Unresolved): string {
  return `${u.source.file}:${u.source.line}: ${u.reason}: ${u.ref}`;
}

export const command: Command = {
  name: "build",
  summary: "print the objects a kustomize directory or Flux path applies, as the resolver builds them",
  usage,
  async run(argv: string[], io: CommandIO): Promise<number> {
    const values = parseFlags(argv, {
      repo: { type: "string", default: "." },
      path: { type: "string" },
      source: { type: "string", multiple: true, default: [] },
    }, usage);
    if (values.path === undefined || values.path === "") {
      throw new UsageError(`--path is required: the directory to build, e.g. infrastructure/controllers\n\n${usage}`);
    }
    const sources = (values.source as string[]).map(parseSourceMapping);
    const repoDir = path.resolve(io.cwd, values.repo as string);
    if (!fs.existsSync(repoDir) || !fs.statSync(repoDir).isDirectory()) {
      throw new UsageError(`--repo ${values.repo}: no such directory`);
    }
    if (sources.length > 0) {
      io.stderr(`note: --source is accepted but not used by build yet; ${values.path} is read from --repo\n`);
    }
    try {
      const repo = new Repo(repoDir);
      const target = fluxPath(repo, values.path as string);
      if (!repo.exists(target)) throw new GitopsInputError(`--path ${values.path}: no such file or directory in ${values.repo}`);
      const result = resolvePath(repo, target);
      const text = renderObjects(result.objects);
      if (text !== "") io.stdout(text);
      for (const u of result.unresolved) io.stderr(`unresolved: ${describe(u)}\n`);
      return result.unresolved.length > 0 ? EXIT.findings : EXIT.ok;
    } catch (err) {
      if (err instanceof GitopsInputError) {
        io.stderr(`${err.message}\n`);
        return EXIT.usage;
      }
      throw err;
    }
  },
};
