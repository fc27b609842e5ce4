import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** A throwaway repository holding `files` (repo-relative path -> content); removed after the run. */
export function writeRepo(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "gitops-test-"));
  for (const [file, text] of Object.entries(files)) {
    const abs = path.join(root, file);
    fs.mkdirSync(path.dirname(abs), { recursive: true });
    fs.writeFileSync(abs, text);
  }
  created.push(root);
  return root;
}

const created: string[] = [];
after(() => {
  for (const dir of created) fs.rmSync(dir, { recursive: true, force: true });
});

/** A Flux Kustomization manifest on the cluster's own source. */
export function fluxKustomization(name: string, spec: Record<string, unknown>, namespace = "flux-system"): string {
  const lines = [
    "apiVersion: kustomize.toolkit.fluxcd.io/v1",
    "kind: Kustomization",
    "metadata:",
    `  name: ${name}`,
    `  namespace: ${namespace}`,
    "spec:",
    "  interval: 10m",
    "  sourceRef: {kind: GitRepository, name: flux-system, namespace: flux-system}",
    ...Object.entries(spec).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`),
  ];
  return lines.join("\n") + "\n";
}

export const FIXTURES = path.join(__dirname, "..", "fixtures", "ordering");

/** Every file whose name matches `name` under the example repository and the test fixtures. */
export function exampleAndFixtureFiles(name: RegExp): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else if (name.test(e.name)) files.push(full);
    }
  };
  walk(path.join(__dirname, "..", "..", "examples"));
  walk(path.join(__dirname, "..", "fixtures"));
  return files;
}
