import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CommandIO } from "../../cli/command";
import { RoleRef, roleRefFromArn } from "../../gitops/edit/overlays";

export const FIXTURES = path.join(__dirname, "..", "fixtures", "overlays");
export const DEV_OVERLAY = "infrastructure/kustomized/overlays/development";
/** The role every golden expects (a role with a path, so the name is not the ARN's tail after "role/"). */
export const DEV_ROLE: RoleRef = roleRefFromArn("arn:aws:iam::123456789012:role/eks/development-node-role");
export const OLD_ROLE_NAME = "eksctl-dev-eks-core-nodegroup-ng-NodeInstanceRole-1IXH5OLFJVNQO";

const temps: string[] = [];

/** A scratch copy of a fixture tree; removed by `removeTemps` after each test. */
export function copyFixture(relative: string): string {
  const dir = makeTemp();
  fs.cpSync(path.join(FIXTURES, relative), dir, { recursive: true });
  return dir;
}

export function makeTemp(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "overlays-test-"));
  temps.push(dir);
  return dir;
}

export function removeTemps(): void {
  for (const dir of temps.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** Every file under `root` (repo-relative POSIX path -> bytes as text). */
export function readTree(root: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (rel: string): void => {
    for (const entry of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(child);
      else files.set(child, fs.readFileSync(path.join(root, child), "utf8"));
    }
  };
  walk("");
  return files;
}

export function readFile(root: string, rel: string): string {
  return fs.readFileSync(path.join(root, rel), "utf8");
}

/** A CommandIO that records what a command prints. */
export function captureIO(cwd: string, env: NodeJS.ProcessEnv = process.env): { io: CommandIO; out: () => string; err: () => string } {
  let out = "";
  let err = "";
  return {
    io: { stdout: (t) => void (out += t), stderr: (t) => void (err += t), cwd, env },
    out: () => out,
    err: () => err,
  };
}
