import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { CommandIO } from "../../cli/command";

export const PREVIEW_FIXTURES = path.join(__dirname, "..", "fixtures", "preview");
const STAND_IN = path.join(__dirname, "..", "fixtures", "bin", "pulumi");

export function readPreviewFixture(name: string): string {
  return fs.readFileSync(path.join(PREVIEW_FIXTURES, `${name}.json`), "utf8");
}

/**
 * A PATH whose first entry holds the stand-in `pulumi` (copied with its exec bit, so a checkout
 * that lost the mode still works), followed by the directory of the node running the tests
 * (the stand-in's `#!/usr/bin/env node` needs it) and nothing else: a real pulumi never answers.
 */
/** Temporary directories the drift tests make, removed when the run ends. */
const made: string[] = [];
after(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export function standInPath(): { dir: string; PATH: string } {
  const dir = tempDir("drift-pulumi-");
  fs.copyFileSync(STAND_IN, path.join(dir, "pulumi"));
  fs.chmodSync(path.join(dir, "pulumi"), 0o755);
  return { dir, PATH: [dir, path.dirname(process.execPath), "/usr/bin", "/bin"].join(path.delimiter) };
}

/** A PATH without any pulumi. */
export function pathWithoutPulumi(): string {
  return tempDir("drift-nopulumi-");
}

export interface CapturedIO extends CommandIO {
  out: () => string;
  err: () => string;
}

export function captureIO(env: NodeJS.ProcessEnv, cwd = process.cwd()): CapturedIO {
  let out = "";
  let err = "";
  return {
    stdout: (t) => { out += t; },
    stderr: (t) => { err += t; },
    cwd,
    env,
    out: () => out,
    err: () => err,
  };
}
