/**
 * The fuzzer's worker: runs `gitops-cluster` commands in this process, one job at a time, sent by
 * fuzz/fuzz.ts over IPC, and records every path the command hands to the `fs` module.
 *
 * Why an `fs` wrapper rather than `strace -f -e trace=file`: it attributes each access to the job
 * that made it (one process runs thousands of jobs, which keeps a campaign of 5,000 mutants within
 * minutes), it needs nothing installed, and every read and write of the library and the CLI goes
 * through `fs` (the code under test has no native file access of its own). What it cannot see,
 * Node's own module loading, only ever touches this package. `npm run fuzz -- --strace N` re-runs N
 * mutants as separate processes under strace, when it is installed, as a cross-check.
 */
import * as path from "path";
import { CommandIO } from "../cli/command";

// The module object itself: its functions are what every `import * as fs` reads at call time.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const fs = require("fs") as Record<string, unknown>;

type Access = { op: "read" | "write"; path: string };
let recording = false;
let accesses: Access[] = [];

const WRITES = /^(write|append|rename|rm|unlink|mkdir|mkdtemp|copy|cp|symlink|link|chmod|lchmod|chown|lchown|utimes|lutimes|futimes|truncate)/;
const TWO_PATHS = new Set(["rename", "renameSync", "copyFile", "copyFileSync", "cp", "cpSync", "symlink", "symlinkSync", "link", "linkSync"]);

function pathOf(arg: unknown): string | undefined {
  if (typeof arg === "string") return arg;
  if (Buffer.isBuffer(arg)) return arg.toString();
  if (arg instanceof URL && arg.protocol === "file:") return arg.pathname;
  return undefined;
}

function openWrites(flags: unknown): boolean {
  if (typeof flags === "string") return flags !== "r" && flags !== "rs" && flags !== "sr";
  if (typeof flags === "number") return (flags & 3) !== 0; // O_WRONLY | O_RDWR
  return false;
}

for (const name of Object.keys(fs)) {
  const original = fs[name];
  if (typeof original !== "function" || !/^[a-z]/.test(name) || name === "Stats") continue;
  const wrapped = function (this: unknown, ...args: unknown[]) {
    if (recording) {
      const op = WRITES.test(name) || (name.startsWith("open") && openWrites(args[1])) ? "write" : "read";
      const first = pathOf(args[0]);
      if (first !== undefined) accesses.push({ op, path: path.resolve(first) });
      // rename/copy/symlink: the second path is written (a symlink's target is only stored).
      const second = TWO_PATHS.has(name) ? pathOf(args[1]) : undefined;
      if (second !== undefined && !name.startsWith("symlink")) accesses.push({ op: "write", path: path.resolve(second) });
    }
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  };
  Object.defineProperties(wrapped, Object.getOwnPropertyDescriptors(original));
  fs[name] = wrapped;
}

export interface Job {
  id: number;
  argv: string[];
  cwd: string;
  env: Record<string, string>;
}

export interface JobResult {
  id: number;
  code: number;
  stdout: string;
  stderr: string;
  /** The message of an exception main() let out: an internal error (exit 3 in bin/). */
  thrown?: string;
  accesses: Access[];
  rssMiB: number;
  ms: number;
}

async function run(job: Job): Promise<JobResult> {
  const { main } = require("../cli/main") as typeof import("../cli/main");
  let stdout = "";
  let stderr = "";
  const io: CommandIO = {
    stdout: (t) => void (stdout.length < 1_000_000 && (stdout += t)),
    stderr: (t) => void (stderr.length < 1_000_000 && (stderr += t)),
    cwd: job.cwd,
    env: { ...process.env, ...job.env },
  };
  const saved = { ...process.env };
  Object.assign(process.env, job.env);
  accesses = [];
  recording = true;
  const started = Date.now();
  let code = 3;
  let thrown: string | undefined;
  try {
    code = await main(job.argv, io);
  } catch (err) {
    thrown = err instanceof Error ? `${err.name}: ${err.message}\n${err.stack ?? ""}` : String(err);
  } finally {
    recording = false;
    for (const key of Object.keys(job.env)) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  }
  return { id: job.id, code, stdout, stderr, thrown, accesses, rssMiB: Math.round(process.memoryUsage().rss / 1024 / 1024), ms: Date.now() - started };
}

/**
 * Loads every command before the first job, so what a module reads while loading (the Pulumi SDK
 * looks for ~/.gitconfig, for one) is not charged to a mutant: only what a command does with its input is.
 */
async function warm(): Promise<void> {
  const { main } = require("../cli/main") as typeof import("../cli/main");
  const quiet: CommandIO = { stdout: () => undefined, stderr: () => undefined, cwd: process.cwd(), env: process.env };
  for (const command of ["verify", "inject", "drift", "build", "migrate", "charts"]) await main([command, "--help"], quiet);
  require("../offline/program");
  require("../stacks/settings");
}

process.on("message", (job: Job) => {
  run(job).then(
    (result) => process.send!(result),
    (err) => process.send!({ id: job.id, code: 3, stdout: "", stderr: "", thrown: String(err), accesses: [], rssMiB: 0, ms: 0 }),
  );
});
warm().then(() => process.send!({ ready: true }));
