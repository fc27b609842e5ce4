import * as assert from "assert";
import { PROJECT_DIR, ProgramRun, runProgram } from "../../offline/program";
import { EKS_ADDON_VERSIONS_BY_MINOR } from "../../stacks/defaults";
import { readStackConfigFile } from "../../stacks/settings";
import { upgradeProblem } from "../../stacks/upgrade";

/** Paths (`a.b[0].c`) where two input trees differ. */
function differences(a: unknown, b: unknown, at = ""): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  if (a && b && typeof a === "object" && typeof b === "object" && Array.isArray(a) === Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) =>
      differences((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], Array.isArray(a) ? `${at}[${k}]` : at ? `${at}.${k}` : k),
    );
  }
  return [at];
}

/** type::name -> the input paths that differ between the two plans. */
function changes(before: ProgramRun, after: ProgramRun): Map<string, string[]> {
  assert.deepStrictEqual(after.resources.map((r) => r.urn), before.resources.map((r) => r.urn), "the upgrade adds or removes resources");
  const changed = new Map<string, string[]>();
  before.resources.forEach((r, i) => {
    const paths = differences(r.inputs, after.resources[i].inputs);
    if (paths.length > 0) changed.set(`${r.type}::${r.name}`, paths);
  });
  return changed;
}

describe("a Kubernetes upgrade is one plan", () => {
  const [previous, next] = Object.keys(EKS_ADDON_VERSIONS_BY_MINOR).sort();

  for (const stack of ["development", "production"] as const) {
    it(`${stack}: ${previous} -> ${next} updates the control plane in place and moves every node group and changed add-on, nothing else`, async function () {
      this.timeout(180_000);
      const file = readStackConfigFile(PROJECT_DIR, stack) as { cluster: Record<string, unknown> & { name: string } };
      const at = (version: string, live?: string) =>
        runProgram(stack, {
          config: { cluster: { ...file.cluster, kubernetesVersion: version } },
          liveClusters: live ? { [file.cluster.name]: live } : undefined,
        });
      const before = await at(previous, previous);
      const after = await at(next, previous);
      const changed = changes(before, after);

      const expected = new Map<string, string[]>();
      for (const r of before.resources) {
        if (r.type === "eks:index:Cluster") expected.set(`${r.type}::${r.name}`, ["version"]);
        if (r.type === "eks:index:ManagedNodeGroup") expected.set(`${r.type}::${r.name}`, ["version"]);
        if (r.type === "aws:eks/addon:Addon") {
          const addon = r.inputs.addonName as keyof (typeof EKS_ADDON_VERSIONS_BY_MINOR)[string];
          if (EKS_ADDON_VERSIONS_BY_MINOR[previous][addon] !== EKS_ADDON_VERSIONS_BY_MINOR[next][addon]) {
            expected.set(`${r.type}::${r.name}`, ["addonVersion"]);
          }
        }
      }
      assert.deepStrictEqual(Object.fromEntries(changed), Object.fromEntries(expected));
      // The table moves kube-proxy at least (it is built per minor), so the check above has teeth.
      assert.ok([...expected.keys()].some((k) => k.endsWith("addons-kube-proxy")));
      const groups = after.resources.filter((r) => r.type === "eks:index:ManagedNodeGroup");
      assert.ok(groups.length > 0 && groups.every((g) => g.inputs.version === next && g.inputs.amiType === "AL2023_x86_64_STANDARD"));
    });
  }

  it("refuses a jump of more than one minor, and a downgrade, against the live cluster before any change", async function () {
    this.timeout(120_000);
    const name = (readStackConfigFile(PROJECT_DIR, "development") as { cluster: { name: string } }).cluster.name;
    await assert.rejects(
      runProgram("development", { config: { cluster: { ...(readStackConfigFile(PROJECT_DIR, "development") as { cluster: object }).cluster, kubernetesVersion: next } }, liveClusters: { [name]: "1.33" } }),
      new RegExp(`^Error: gitops-cluster:cluster\\.kubernetesVersion: is ${next.replace(".", "\\.")}, 2 minors above ${name}'s live 1\\.33: EKS upgrades one minor at a time\\. Set 1\\.34 and run`),
    );
    assert.strictEqual(upgradeProblem("1.34", "1.35", "c"), undefined);
    assert.strictEqual(upgradeProblem("1.35", "1.35", "c"), undefined);
    assert.match(upgradeProblem("1.35", "1.34", "c")!, /EKS cannot downgrade/);
    assert.match(upgradeProblem("1.31", "1.34", "c")!, /Set 1\.32 and run `pulumi up`, then each of 1\.33, 1\.34 in turn$/);
  });
});
