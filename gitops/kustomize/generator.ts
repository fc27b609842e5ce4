import { Repo } from "../read/repo";
import { SourceIgnore } from "../read/sourceignore";

/** The names kustomize recognises, in its order (sigs.k8s.io/kustomize/api/konfig). */
export const KUSTOMIZATION_FILE_NAMES = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/** The kustomization file of a directory, or undefined when it has none. */
export function kustomizationFileIn(repo: Repo, dir: string): string | undefined {
  for (const name of KUSTOMIZATION_FILE_NAMES) {
    const file = repo.join(dir, name);
    if (repo.isFile(file)) return file;
  }
  return undefined;
}

/** One resource of a generated kustomization: a manifest file or a directory with its own kustomization. */
export interface GeneratedResource {
  path: string;
  isDirectory: boolean;
}

/**
 * The resources of the kustomization Flux generates for a directory without one: walk the tree in
 * lexical order; a subdirectory holding a kustomization file is one directory resource (not
 * descended into); other files count only when they end in `.yaml` or `.yml`; ignored files are
 * left out (fluxcd/pkg kustomize/kustomize_generator.go, findOrGenerateKustomization, scanManifests).
 */
export function generatedResources(repo: Repo, dir: string, ignore: SourceIgnore): GeneratedResource[] {
  const out: GeneratedResource[] = [];
  const walk = (current: string): void => {
    for (const entry of repo.list(current)) {
      if (ignore.ignored(entry.path, entry.isDirectory)) continue;
      if (entry.isDirectory) {
        if (kustomizationFileIn(repo, entry.path) !== undefined) out.push({ path: entry.path, isDirectory: true });
        else walk(entry.path);
      } else if (entry.name.endsWith(".yaml") || entry.name.endsWith(".yml")) {
        out.push({ path: entry.path, isDirectory: false });
      }
    }
  };
  walk(dir);
  return out;
}
