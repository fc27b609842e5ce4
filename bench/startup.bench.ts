/**
 * `npm run bench` (third part): how long a user waits for a command, each run a new process as
 * from the shell. Targets (issue 12): `gitops-cluster --help` at most 0.3 s, `plan` (the offline
 * plan of the development stack) at most 2 s, on the clock, median of the runs after one warm-up
 * (which fills the caches `npm ci` fills: see bin/ts-cache.js). Exits 1 when one is missed.
 *
 *   node bin/run-ts.js bench/startup.bench.ts [--runs 7]
 */
import { spawnSync } from "child_process";
import * as os from "os";
import * as path from "path";
import { parseArgs } from "util";

const CLI = path.join(__dirname, "..", "bin", "gitops-cluster.js");

const CASES = [
  { name: "gitops-cluster --help", argv: ["--help"], targetSeconds: 0.3 },
  { name: "gitops-cluster plan", argv: ["plan"], targetSeconds: 2 },
];

function secondsOf(argv: string[]): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [CLI, ...argv], { cwd: path.dirname(path.dirname(CLI)), encoding: "utf8", maxBuffer: 64 << 20 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status !== 0) throw new Error(`gitops-cluster ${argv.join(" ")} exited ${result.status}: ${result.stderr.trim()}`);
  return seconds;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function main(): number {
  const { values } = parseArgs({ options: { runs: { type: "string", default: "7" } } });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) {
    process.stderr.write("usage: startup.bench.ts [--runs R>=1]\n");
    return 2;
  }
  for (const c of CASES) secondsOf(c.argv); // warm-up
  // Alternated, so a neighbour's load on this shared machine hits every case alike.
  const times = CASES.map(() => [] as number[]);
  for (let i = 0; i < runs; i++) CASES.forEach((c, k) => times[k].push(secondsOf(c.argv)));
  const lines = [`start-up, each a new node process, median of ${runs} after a warm-up (node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg()[0].toFixed(2)})`];
  let missed = 0;
  CASES.forEach((c, k) => {
    const m = median(times[k]);
    const ok = m <= c.targetSeconds;
    if (!ok) missed++;
    lines.push(
      `${ok ? "PASS" : "FAIL"}  ${c.name.padEnd(22)} ${m.toFixed(2)} s (min ${Math.min(...times[k]).toFixed(2)}, max ${Math.max(...times[k]).toFixed(2)}) <= ${c.targetSeconds} s`,
    );
  });
  process.stdout.write(`${lines.join("\n")}\n`);
  return missed === 0 ? 0 : 1;
}

try {
  process.exitCode = main();
} catch (err) {
  process.stderr.write(`bench: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
