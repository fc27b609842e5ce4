/**
 * Running the Pulumi CLI for a drift check. The only part of `drift/` that starts a process;
 * everything it returns is read by the pure functions in `cloud.ts`.
 */
import { execFile } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { PreviewRun } from "./cloud";

/** Previews of a whole cluster run to tens of megabytes of JSON: never cut them off. */
const MAX_OUTPUT_BYTES = 512 * 1024 * 1024;

/** The arguments of the drift preview: refresh first, so the old state is what the cloud holds now. */
export function previewArgs(stack: string): string[] {
  return ["preview", "--refresh", "--expect-no-changes", "--json", "--stack", stack];
}

/** The executable `name` resolves to on env.PATH, or undefined. */
export function findOnPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? "").split(path.delimiter)) {
    if (dir === "") continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here: keep looking
    }
  }
  return undefined;
}

/**
 * One stack output as text (`pulumi stack output NAME`), or undefined when the stack has no such
 * output or the CLI fails (never deployed, not logged in): the caller says what it could not check.
 */
export function stackOutput(pulumi: string, stack: string, name: string, options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(pulumi, ["stack", "output", name, "--stack", stack], { cwd: options.cwd, env: options.env, encoding: "utf8" }, (err, stdout) => {
      const value = stdout.trim();
      resolve(err || value === "" ? undefined : value);
    });
  });
}

/**
 * One stack output parsed from `pulumi stack output NAME --json` (objects and lists), or
 * undefined when there is none, the CLI fails, or what it prints is not JSON.
 */
export async function stackOutputJson(pulumi: string, stack: string, name: string, options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<unknown> {
  const text = await new Promise<string | undefined>((resolve) => {
    execFile(pulumi, ["stack", "output", name, "--json", "--stack", stack], { cwd: options.cwd, env: options.env, encoding: "utf8" }, (err, stdout) => {
      resolve(err ? undefined : stdout.trim());
    });
  });
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Runs the preview and resolves with its output whatever the exit code (non-zero means changes, too). */
export function runPreview(pulumi: string, stack: string, options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<PreviewRun> {
  return new Promise((resolve, reject) => {
    execFile(
      pulumi,
      previewArgs(stack),
      { cwd: options.cwd, env: options.env, maxBuffer: MAX_OUTPUT_BYTES, encoding: "utf8" },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== "number") {
          reject(new Error(`could not run ${pulumi}: ${err.message}`));
          return;
        }
        resolve({ stdout, stderr, exitCode: err ? (err.code as number) : 0 });
      },
    );
  });
}
