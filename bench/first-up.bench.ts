/**
 * `npm run bench` (second part): the first `pulumi up` of each stack, estimated from the graph the
 * program records under mocks and the typical creation times of offline/first-up.ts, against the
 * inherent minimum (network -> cluster -> node group -> Flux ready). Target (issue 12): at most
 * 1.1x. A needless serialisation (something waiting on the cluster that need not) shows as a
 * ratio above it. Exits 1 when a stack misses the target.
 */
import { runProgram } from "../offline/program";
import { estimateFirstUp, inherentMinimumSeconds } from "../offline/first-up";

const TARGET_FIRST_UP_OVER_INHERENT = 1.1;

async function main(): Promise<number> {
  let missed = 0;
  const inherent = inherentMinimumSeconds();
  for (const stack of ["development", "production"]) {
    const run = await runProgram(stack);
    const estimate = estimateFirstUp(run.resources);
    const ratio = estimate.totalSeconds / inherent;
    const ok = ratio <= TARGET_FIRST_UP_OVER_INHERENT;
    if (!ok) missed++;
    console.log(
      `first up, ${stack}: critical path ${estimate.totalSeconds}s over ${run.resources.length} resources, inherent minimum ${inherent}s: ` +
        `${ratio.toFixed(2)}x (target <= ${TARGET_FIRST_UP_OVER_INHERENT}x) ${ok ? "ok" : "MISSED"}`,
    );
    if (!ok) console.log(estimate.criticalPath.map((s) => `    ${s.finishedAt}s ${s.type} ${s.urn.slice(s.urn.lastIndexOf("::") + 2)}`).join("\n"));
  }
  return missed === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
