import { bootstrapLeftoverKind } from "../flux/install";
import { Finding, K8sObject } from "../model";
import { Rule, findingAt } from "./context";

/**
 * When this stack bootstraps Flux, the repository must not install or sync Flux itself:
 * `flux bootstrap`'s gotk-components.yaml would install the controllers and CRDs a second time
 * over the ones the Flux Operator manages, and gotk-sync.yaml would redefine the GitRepository
 * and Kustomization `flux-system/flux-system` that Pulumi creates, so Flux and Pulumi overwrite
 * each other at every reconcile. One finding per file holding such objects.
 */
export const fluxBootstrapLeftover: Rule = (context) => {
  if (context.flux.bootstrap !== "stack") return [];
  const byFile = new Map<string, K8sObject[]>();
  for (const o of context.flux.applied) {
    if (bootstrapLeftoverKind(o) === undefined) continue;
    byFile.set(o.source.file, [...(byFile.get(o.source.file) ?? []), o]);
  }
  const findings: Finding[] = [];
  for (const [file, objects] of byFile) {
    const first = objects.reduce((a, b) => (b.source.line < a.source.line ? b : a));
    const counts = new Map<string, number>();
    for (const o of objects) {
      const what = { controller: "Flux controller Deployment", crd: "Flux CRD", sync: `${o.kind} flux-system/flux-system` }[bootstrapLeftoverKind(o)!];
      counts.set(what, (counts.get(what) ?? 0) + 1);
    }
    const list = [...counts].map(([what, n]) => (n === 1 ? what : `${n} ${what}s`)).join(", ");
    findings.push(findingAt(
      "flux-bootstrap-leftover", "error", undefined,
      `${file} holds Flux's own install or sync manifests (${list}), applied by the root Kustomization: this stack installs ` +
        "and owns Flux, so they would install the controllers twice and fight Pulumi over flux-system/flux-system",
      "run `gitops-cluster migrate --repo DIR --cluster PATH --write`: it removes them and moves patches kept in " +
        "flux-system/kustomization.yaml to the flux.kustomizePatches setting",
      first.source,
    ));
  }
  return findings;
};
