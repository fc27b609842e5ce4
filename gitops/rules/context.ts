import { Finding, K8sObject, RuleId, Severity, VerifyOptions } from "../model";
import { GraphNode } from "../flux/graph";
import { FluxTarget } from "../flux/target";

/** What every rule reads: the graph and the verification's options, resolved once. */
export interface RuleContext {
  nodes: GraphNode[];
  /** The first node of each id (duplicates are a finding of their own). */
  byId: Map<string, GraphNode>;
  /** Groups present before any Kustomization runs: built in, EKS's, declared pre-installed. */
  presentGroups: ReadonlySet<string>;
  /** Variables the bootstrap's `cluster-vars` ConfigMap supplies. */
  clusterVars: ReadonlySet<string>;
  /** The objects of the cluster path, applied by the bootstrap's root Kustomization. */
  clusterObjects: K8sObject[];
  /** True when a bootstrap step installs CRDs this check could not name (an unknown chart). */
  bootstrapUnsure: boolean;
  /** The root that applies the cluster path (the last node). */
  root: GraphNode;
  /** Which root runs the cluster path: the committed one, or this stack's. */
  bootstrap: "committed" | "stack";
  /** The Flux and Kubernetes that will serve the objects, and whether this stack bootstraps Flux. */
  flux: FluxTarget;
  /** The verification's options, for rules that read stack-mode facts. */
  options?: VerifyOptions;
}

export type Rule = (context: RuleContext) => Finding[];

/** A finding about a Kustomization, located at its object unless told otherwise. */
export function findingAt(
  rule: RuleId,
  severity: Severity,
  node: GraphNode | undefined,
  message: string,
  fix: string,
  at: { file: string; line: number } | undefined = node?.source,
): Finding {
  return {
    rule,
    severity,
    ...(node === undefined ? {} : { kustomization: node.id }),
    message,
    file: at?.file ?? "",
    line: at?.line ?? 0,
    fix,
  };
}

/** `name` for a dependsOn entry in the dependent's namespace, `name` + namespace otherwise. */
export function dependsOnEntry(target: GraphNode, dependentNamespace: string): string {
  return target.namespace === dependentNamespace
    ? `- name: ${target.name}`
    : `- name: ${target.name}, namespace: ${target.namespace}`;
}
