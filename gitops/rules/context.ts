import { Finding, K8sObject, Severity, VerifyOptions } from "../model";
import { GraphNode } from "../graph";

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
  /** The verification's options, for rules that read stack-mode facts. */
  options?: VerifyOptions;
}

export type Rule = (context: RuleContext) => Finding[];

/** A finding about a Kustomization, located at its object unless told otherwise. */
export function findingAt(
  rule: string,
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
