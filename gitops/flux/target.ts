/**
 * The cluster a verification checks the repository against: which Flux (version, controllers)
 * and which Kubernetes will serve its objects, and whether this stack bootstraps Flux.
 * Resolved once from the options and the repository, then read by the API, schema, controller
 * and leftover rules.
 */
import { FluxApis, fluxApisFor, FluxComponent } from "./apis";
import { committedFluxInstall, requiredComponents } from "./install";
import { GitopsInputError } from "../read/errors";
import { GraphNode } from "./graph";
import { K8sObject, VerifyOptions } from "../model";
import { Repo } from "../read/repo";

/** The newest Flux minor the served-versions table knows: the default when nothing says otherwise. */
export const TABLE_FLUX_VERSION = "2.9";

export interface FluxTarget {
  bootstrap: "committed" | "stack";
  /** The Flux version checked against, and where it came from (for messages). */
  fluxVersion: string;
  fluxVersionFrom: string;
  /**
   * False when nothing says which Flux serves the repository (committed mode, no version in the
   * repository, no --flux-version): the stack's is assumed, and what it would reject is a warning.
   */
  fluxVersionKnown: boolean;
  apis: FluxApis;
  /** Kubernetes minor, or undefined to check against every removal the guide lists. */
  kubernetesVersion?: string;
  /** Controllers the Flux install runs, and where that came from. */
  components: FluxComponent[];
  componentsFrom: string;
  /** Every object the cluster path applies, at every level, once. */
  applied: K8sObject[];
}

/** Every object applied at any level: the root's and each Kustomization's, each once. */
export function appliedObjects(clusterObjects: K8sObject[], nodes: GraphNode[]): K8sObject[] {
  const seen = new Set<string>();
  const out: K8sObject[] = [];
  for (const o of [...clusterObjects, ...nodes.flatMap((n) => n.objects)]) {
    const key = `${o.source.file}:${o.source.line}:${o.apiVersion}:${o.kind}:${o.namespace ?? ""}/${o.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(o);
  }
  return out;
}

export function resolveFluxTarget(repo: Repo, clusterObjects: K8sObject[], nodes: GraphNode[], options: VerifyOptions): FluxTarget {
  const bootstrap = options.bootstrap ?? "committed";
  const applied = appliedObjects(clusterObjects, nodes);
  const committed = bootstrap === "committed" ? committedFluxInstall(repo, applied) : undefined;
  let fluxVersion: string;
  let fluxVersionFrom: string;
  let fluxVersionKnown = true;
  if (options.fluxVersion !== undefined) {
    fluxVersion = options.fluxVersion;
    fluxVersionFrom = bootstrap === "stack" ? "the Flux version this stack installs" : "--flux-version";
  } else if (committed?.version !== undefined) {
    fluxVersion = committed.version;
    fluxVersionFrom = `the Flux the repository installs (${committed.source.file}:${committed.source.line})`;
  } else {
    fluxVersion = options.stackFluxVersion ?? TABLE_FLUX_VERSION;
    fluxVersionFrom = "the Flux version this stack installs";
    fluxVersionKnown = bootstrap === "stack";
  }
  const apis = fluxApisFor(fluxVersion);
  if (apis === undefined) {
    throw new GitopsInputError(`Flux version ${JSON.stringify(fluxVersion)} (${fluxVersionFrom}) is not a Flux 2 version (expected e.g. 2.9.2 or 2.9.x)`);
  }
  let components: FluxComponent[];
  let componentsFrom: string;
  if (options.fluxComponents !== undefined) {
    components = [...options.fluxComponents];
    componentsFrom = bootstrap === "stack" ? "flux.components" : "--flux-components";
  } else if (committed?.components !== undefined) {
    components = committed.components;
    componentsFrom = `the components the repository installs (${committed.source.file}:${committed.source.line})`;
  } else {
    // The stack's FluxInstance runs what the repository needs (see requiredComponents).
    components = requiredComponents(applied).components;
    componentsFrom = "the components this stack derives from the repository";
  }
  return {
    bootstrap,
    fluxVersion,
    fluxVersionFrom,
    fluxVersionKnown,
    apis,
    ...(options.kubernetesVersion === undefined ? {} : { kubernetesVersion: options.kubernetesVersion }),
    components,
    componentsFrom,
    applied,
  };
}
