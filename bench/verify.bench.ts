/**
 * `npm run bench`: how long `verifyRepository` takes on a synthetic repository of N
 * Kustomizations (10 manifests each) and of 4N, against the floor: the time merely to read every
 * YAML file of the repository and parse it with the same parser. Targets: verify at most 1.5x the
 * floor (issue 12, "verify close to the floor"; issue 3 had set 2x), and 4x the repository in at
 * most 4.5x the time (issue 3). Exits 1 when one is missed.
 *
 *   npm run bench [-- --kustomizations 2000 --runs 3 --keep]
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseArgs } from "util";
import { parseAllDocuments } from "yaml";
import { VerifyResult } from "../gitops/model";
import { verifyRepository } from "../gitops/verify";
import { BENCH_CLUSTER, generateRepository, GeneratedRepository } from "./generate";

/** Issue 12: `verify` on the 2,000-Kustomization synthetic repository at most 1.5x the read-and-parse floor. */
const TARGET_VERIFY_OVER_FLOOR = 1.5;
const TARGET_SCALING = 4.5;

/** Reads and parses every .yaml/.yml file under `dir`: the least any verification must do. */
function readAndParseAll(dir: string): number {
  let documents = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) documents += readAndParseAll(full);
    else if (/\.ya?ml$/.test(entry.name)) documents += parseAllDocuments(fs.readFileSync(full, "utf8")).length;
  }
  return documents;
}

/** Milliseconds of one run: on the clock, and of this process's CPU (user + system). */
interface Timing {
  wall: number;
  cpu: number;
}

function timed(work: () => void): Timing {
  const wallStart = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  work();
  const cpu = process.cpuUsage(cpuStart);
  return { wall: Number(process.hrtime.bigint() - wallStart) / 1e6, cpu: (cpu.user + cpu.system) / 1e3 };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

interface Measurement {
  repo: GeneratedRepository;
  verify: Timing;
  floor: Timing;
}

function medianTiming(timings: Timing[]): Timing {
  return { wall: median(timings.map((t) => t.wall)), cpu: median(timings.map((t) => t.cpu)) };
}

/** A benchmark of an error path would measure the wrong thing: the repository must verify clean. */
function assertClean(repo: GeneratedRepository, result: VerifyResult): void {
  // The root that applies the cluster path is a node of its own, hence the one more.
  if (result.summary.kustomizations !== repo.kustomizations + 1 || result.summary.errors > 0) {
    const first = result.findings.find((f) => f.severity === "error");
    throw new Error(
      `the synthetic repository should verify clean with ${repo.kustomizations} Kustomizations and the root; got ` +
        `${result.summary.kustomizations} Kustomizations, ${result.summary.errors} errors` +
        (first ? ` (first: ${first.file}:${first.line} ${first.rule}: ${first.message})` : ""),
    );
  }
}

/** Floor and verify alternate, so a neighbour's load on this shared machine hits both alike. */
function measure(repo: GeneratedRepository, runs: number): Measurement {
  const floor: Timing[] = [];
  const verify: Timing[] = [];
  for (let i = 0; i < runs; i++) {
    floor.push(timed(() => readAndParseAll(repo.dir)));
    let result: VerifyResult | undefined;
    verify.push(timed(() => (result = verifyRepository(repo.dir, BENCH_CLUSTER))));
    if (i === 0) assertClean(repo, result!);
  }
  return { repo, verify: medianTiming(verify), floor: medianTiming(floor) };
}

function row(cells: Array<string | number>, widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join("  ");
}

function main(): number {
  const { values } = parseArgs({
    options: {
      kustomizations: { type: "string", default: "2000" },
      runs: { type: "string", default: "3" },
      keep: { type: "boolean", default: false },
    },
  });
  const n = Number(values.kustomizations);
  const runs = Number(values.runs);
  if (!Number.isInteger(n) || n < 22 || !Number.isInteger(runs) || runs < 1) {
    process.stderr.write("usage: verify.bench.ts [--kustomizations N>=22] [--runs R>=1] [--keep]\n");
    return 2;
  }
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "gitops-bench-"));
  const results: Measurement[] = [];
  try {
    for (const size of [n, 4 * n]) {
      const repo = generateRepository(path.join(root, `k${size}`), size);
      process.stderr.write(`generated ${repo.kustomizations} Kustomizations, ${repo.manifests} manifests in ${repo.dir}\n`);
      if (size === n) {
        // Warm-up, once: the first runs pay for loading and JIT-compiling the code.
        verifyRepository(repo.dir, BENCH_CLUSTER);
        readAndParseAll(repo.dir);
      }
      results.push(measure(repo, runs));
      if (!values.keep) fs.rmSync(repo.dir, { recursive: true, force: true });
    }
  } finally {
    if (!values.keep) fs.rmSync(root, { recursive: true, force: true });
  }

  const widths = [14, 9, 10, 9, 7, 9, 8, 7];
  const lines = [
    `verifyRepository on ${BENCH_CLUSTER} of a synthetic repository, median of ${runs} after a warm-up (node ${process.version}, ${os.cpus().length} CPUs)`,
    "floor = read every .yaml/.yml file and parse it with yaml's parseAllDocuments",
    "cpu = this process's user + system time: the targets are checked on it, because the clock",
    "      also counts whatever the neighbours on this shared machine are running",
    "",
    row(["Kustomizations", "manifests", "verify cpu", "floor cpu", "ratio", "verify ms", "floor ms", "ratio"], widths),
    ...results.map((m) =>
      row(
        [
          m.repo.kustomizations,
          m.repo.manifests,
          m.verify.cpu.toFixed(0),
          m.floor.cpu.toFixed(0),
          (m.verify.cpu / m.floor.cpu).toFixed(2),
          m.verify.wall.toFixed(0),
          m.floor.wall.toFixed(0),
          (m.verify.wall / m.floor.wall).toFixed(2),
        ],
        widths,
      ),
    ),
  ];
  const [small, large] = results;
  const scaling = large.verify.cpu / small.verify.cpu;
  const worstRatio = Math.max(...results.map((m) => m.verify.cpu / m.floor.cpu));
  const checks = [
    { ok: worstRatio <= TARGET_VERIFY_OVER_FLOOR, text: `verify/floor ${worstRatio.toFixed(2)} <= ${TARGET_VERIFY_OVER_FLOOR}` },
    {
      ok: scaling <= TARGET_SCALING,
      text: `4x the repository takes ${scaling.toFixed(2)}x the time (clock: ${(large.verify.wall / small.verify.wall).toFixed(2)}x) <= ${TARGET_SCALING}`,
    },
  ];
  lines.push("", ...checks.map((c) => `${c.ok ? "PASS" : "FAIL"}  ${c.text}`));
  if (values.keep) lines.push("", `repositories kept in ${root}`);
  process.stdout.write(`${lines.join("\n")}\n`);
  return checks.every((c) => c.ok) ? 0 : 1;
}

try {
  process.exitCode = main();
} catch (err) {
  process.stderr.write(`bench: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
