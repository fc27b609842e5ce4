import { execFileSync } from "child_process";

/** kubectl with its built-in kustomize; CI requires it (.ci/run), a machine without it skips those tests. */
export function hasKubectl(): boolean {
  try {
    execFileSync("kubectl", ["version", "--client"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
