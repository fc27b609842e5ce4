/**
 * Teardown rules: what `pulumi destroy` (or deleting a Kustomization) leaves behind in AWS, and
 * releases with two owners.
 */
import { applyPatches, fluxSpecPatches } from "../kustomize";
import { awsBackedObjects, storageClassesIn, teardownOf, WAIT_FOR_TERMINATION } from "../flux/deletion";
import type { GraphNode } from "../flux/graph";
import type { Finding, K8sObject } from "../model";
import { Rule, RuleContext, findingAt } from "./context";
import { isRecord } from "../read/yaml";

const at = (o: { source: { file: string; line: number } }) => `${o.source.file}:${o.source.line}`;

/** Where the root's patches come from: the stack setting (VerifyOptions.rootPatches). */
const ROOT_PATCHES_SETTING = { file: "gitops-cluster:flux.kustomizePatches", line: 0 };

/**
 * A node's spec as the cluster holds it. Nodes applied by a Kustomization of the repository were
 * already patched by it (gitops/flux/graph.ts); those of the cluster path are applied by the bootstrap's
 * root, whose `spec.patches` are known only in stack mode (`VerifyOptions.rootPatches`).
 */
function effectiveSpec(node: GraphNode, byId: Map<string, GraphNode>, rootPatches: unknown[] | undefined): Record<string, unknown> {
  if (!appliedByRoot(node, byId) || rootPatches === undefined || rootPatches.length === 0) return node.spec;
  const [patched] = applyPatches([node.object], fluxSpecPatches({ patches: rootPatches }, ROOT_PATCHES_SETTING));
  return patched !== undefined && isRecord(patched.body.spec) ? patched.body.spec : node.spec;
}

/** Whether the root that runs the cluster path applies this node (it is one of the cluster path's). */
function appliedByRoot(node: GraphNode, byId: Map<string, GraphNode>): boolean {
  return node.parent === undefined || byId.get(node.parent)?.root !== undefined;
}

/**
 * The node and its ancestors up to the cluster path's Kustomizations, nearest first. The root
 * that applies the cluster path is left out: in stack mode it is this stack's (it waits, and
 * `rootPatches` carry its policy down); otherwise it is flux bootstrap's or none, and what
 * destroys it is not `pulumi destroy`.
 */
function chainOf(node: GraphNode, byId: Map<string, GraphNode>): GraphNode[] {
  const chain: GraphNode[] = [];
  const seen = new Set<string>();
  for (let n: GraphNode | undefined = node; n !== undefined && n.root === undefined && !seen.has(n.id); n = n.parent === undefined ? undefined : byId.get(n.parent)) {
    seen.add(n.id);
    chain.push(n);
  }
  return chain;
}

const described = { deletes: "deletes without waiting", orphans: "orphans its objects" } as const;

/**
 * deletion-not-waited: a Kustomization applies objects that AWS backs (load balancers, volumes),
 * and deleting it, or one of the Kustomizations above it, would not wait for them to be gone.
 * The Flux Operator's uninstall then removes the controllers and strips the finalizers (flux-
 * operator internal/controller/fluxinstance_uninstaller.go), and the AWS resources stay behind,
 * holding the subnets: the VPC's delete fails with DependencyViolation.
 */
export const deletionNotWaited: Rule = (context: RuleContext): Finding[] => {
  const rootPatches = context.options?.rootPatches;
  const everything: K8sObject[] = [...context.clusterObjects, ...context.nodes.flatMap((n) => n.objects)];
  const classes = storageClassesIn(everything);
  const findings: Finding[] = [];
  for (const node of context.nodes) {
    const backed = awsBackedObjects(node.objects, classes);
    if (backed.length === 0) continue;
    const culprit = chainOf(node, context.byId)
      .map((n) => ({ n, teardown: teardownOf(effectiveSpec(n, context.byId, rootPatches)) }))
      .find((c) => c.teardown !== "waits");
    if (culprit === undefined) continue;
    const first = backed[0];
    const more = backed.length > 1 ? ` and ${backed.length - 1} more` : "";
    const who = culprit.n === node ? "it" : `its ancestor ${culprit.n.id} (${at(culprit.n)})`;
    const policy = typeof culprit.n.spec.deletionPolicy === "string" ? culprit.n.spec.deletionPolicy : "MirrorPrune (the default)";
    const how = culprit.n.spec.suspend === true ? "is suspended, so it" : `has deletionPolicy ${policy} and`;
    findings.push(
      findingAt(
        "deletion-not-waited",
        "warning",
        node,
        `${node.id} applies a ${first.holds} ${first.object.kind}/${first.object.name} (${at(first.object)})${more}, ` +
          `but ${who} ${how} ${described[culprit.teardown as keyof typeof described]}: on destroy Flux is removed before ` +
          `the AWS resources are, and the VPC cannot be deleted`,
        appliedByRoot(culprit.n, context.byId) && rootPatches === undefined
          ? `set spec.deletionPolicy: ${WAIT_FOR_TERMINATION} on ${culprit.n.id} (${at(culprit.n)}), or verify in stack mode, ` +
              `where the bootstrap's root Kustomization patches it in`
          : `set spec.deletionPolicy: ${WAIT_FOR_TERMINATION} on ${culprit.n.id} (${at(culprit.n)}), or patch it in from ` +
              `its parent's spec.patches (target kind Kustomization)`,
      ),
    );
  }
  return findings;
};

/**
 * chart-installed-by-stack: the repository installs a chart the stack installs as well (the AWS
 * Load Balancer Controller, say). Two owners of one release fight: each upgrade undoes the other,
 * and on destroy Flux removes the controller the stack keeps for cleaning up after Flux.
 */
export const chartInstalledByStack: Rule = (context: RuleContext): Finding[] => {
  const installed = context.options?.stackInstalledCharts ?? [];
  if (installed.length === 0) return [];
  const findings: Finding[] = [];
  for (const node of context.nodes) {
    for (const release of node.helmReleases) {
      const owner = installed.find((c) => c.chart === release.chart);
      if (owner === undefined) continue;
      const o = release.object;
      findings.push(
        findingAt(
          "chart-installed-by-stack",
          "error",
          node,
          `HelmRelease ${o.namespace ?? node.namespace}/${o.name} installs chart ${owner.chart}, which the stack installs ` +
            `already (${owner.setting}): two owners of one release undo each other's changes`,
          `remove the HelmRelease (${at(o)}) from the repository, or set ${owner.setting}: false to leave the chart to Flux`,
          o.source,
        ),
      );
    }
  }
  return findings;
};
