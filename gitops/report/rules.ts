/**
 * What each rule id means, for reports that describe rules apart from their findings (SARIF's
 * `tool.driver.rules`, shown by GitHub code scanning at the top of an alert). The findings carry
 * their own message and fix; this is the text that does not change from one finding to the next.
 */

export interface RuleDescription {
  /** One sentence, shown as the alert's title. */
  short: string;
  /** What goes wrong in the cluster and why, shown under the title. */
  full: string;
  /** The Flux or Helm page that documents the behaviour the rule relies on. */
  helpUri: string;
}

const FLUX_KUSTOMIZATION_DOC = "https://fluxcd.io/flux/components/kustomize/kustomizations/";
const FLUX_HELMRELEASE_DOC = "https://fluxcd.io/flux/components/helm/helmreleases/";

export const RULE_DESCRIPTIONS: Readonly<Record<string, RuleDescription>> = {
  "missing-dependency": {
    short: "A dependsOn entry names a Kustomization that does not exist.",
    full:
      "Flux waits for every dependsOn target to exist and be Ready; a target that is not in the " +
      "cluster graph never becomes Ready, so the dependent Kustomization is never applied.",
    helpUri: `${FLUX_KUSTOMIZATION_DOC}#dependencies`,
  },
  "dependency-cycle": {
    short: "Kustomizations depend on each other in a cycle.",
    full:
      "Each Kustomization of a dependsOn cycle waits for the next one to be Ready, so none of " +
      "them is ever applied, and Flux reports no error for it.",
    helpUri: `${FLUX_KUSTOMIZATION_DOC}#dependencies`,
  },
  "consumer-without-provider": {
    short: "Custom resources are applied without depending on the Kustomization that installs their CRDs.",
    full:
      "A custom resource can be applied only once its CustomResourceDefinition exists. When the " +
      "Kustomization applying it does not (transitively) depend on the Kustomization installing " +
      "the CRD, its dry run fails with \"no matches for kind\" until the install happens to finish.",
    helpUri: `${FLUX_KUSTOMIZATION_DOC}#dependencies`,
  },
  "provider-not-ready": {
    short: "A Kustomization that installs CRDs through a HelmRelease does not wait for it.",
    full:
      "Without `wait: true` or a health check covering the HelmRelease, the Kustomization is Ready " +
      "as soon as the HelmRelease object is applied, before Helm has installed the chart and its " +
      "CRDs, so its dependents race the CRDs.",
    helpUri: `${FLUX_KUSTOMIZATION_DOC}#health-checks`,
  },
  "crs-with-their-helmrelease": {
    short: "Custom resources are applied by the same Kustomization as the HelmRelease that installs their CRDs.",
    full:
      "Flux dry-runs a Kustomization's objects before applying them; the custom resources fail " +
      "that dry run because the chart is not installed yet, so nothing is applied, the " +
      "HelmRelease included, and the Kustomization stays stuck.",
    helpUri: FLUX_KUSTOMIZATION_DOC,
  },
  "crds-skipped": {
    short: "A HelmRelease skips the CRDs that other Kustomizations rely on.",
    full:
      "With `install.crds: Skip` Helm does not install the chart's CRDs, so the custom resources " +
      "that depend on this release cannot be applied unless the CRDs come from elsewhere.",
    helpUri: FLUX_HELMRELEASE_DOC,
  },
  "chart-not-locked": {
    short: "A HelmRelease's chart is not in the lock file, so what it installs was not read from the chart.",
    full:
      "verify reads what a chart installs from `.gitops-cluster/charts.lock.json`, written from the real chart by " +
      "`gitops-cluster charts lock`. A chart missing from it (or locked at another version) is judged by the hand-kept " +
      "table, or not at all; run `gitops-cluster charts lock` and commit the lock.",
    helpUri: FLUX_HELMRELEASE_DOC,
  },
  "unknown-group": {
    short: "Custom resources use an API group that no known chart or CRD in the repository provides.",
    full:
      "The order cannot be proven for this group. Declare the chart that installs it (--providers) " +
      "or the groups installed outside Flux (--preinstalled).",
    helpUri: `${FLUX_KUSTOMIZATION_DOC}#dependencies`,
  },
  "missing-path": {
    short: "A Kustomization's spec.path does not exist in the repository.",
    full:
      "kustomize-controller fails to build a path that is not in the source artifact; the " +
      "Kustomization and everything that depends on it stay not Ready.",
    helpUri: `${FLUX_KUSTOMIZATION_DOC}#path`,
  },
  "build-failed": {
    short: "kustomize fails to build a Kustomization's path.",
    full:
      "kustomize-controller runs kustomize on spec.path; when kustomize fails (a JSON 6902 remove " +
      "of a path that does not exist, a patch or generator file that is missing, a patch that " +
      "matches nothing) the Kustomization reports BuildFailed and applies nothing of it, and every " +
      "Kustomization that depends on it waits.",
    helpUri: `${FLUX_KUSTOMIZATION_DOC}#path`,
  },
  "duplicate-kustomization": {
    short: "Two Kustomization objects have the same namespace and name.",
    full:
      "Only one object can exist per namespace and name; the two definitions overwrite each other " +
      "on every reconciliation, and dependsOn cannot tell which one it waits for.",
    helpUri: `${FLUX_KUSTOMIZATION_DOC}#dependencies`,
  },
  "unsubstituted-variable": {
    short: "A ${VARIABLE} would reach the cluster unreplaced.",
    full:
      "Flux replaces ${VAR} only in Kustomizations with postBuild substitution, and only with " +
      "variables it can find (postBuild.substitute or substituteFrom, such as the bootstrap's " +
      "cluster-vars ConfigMap); anything else is applied literally.",
    helpUri: `${FLUX_KUSTOMIZATION_DOC}#post-build-variable-substitution`,
  },
  "unresolved-reference": {
    short: "A reference cannot be read offline, so what it applies is not checked.",
    full:
      "Remote resources (URLs, github.com/...), kustomize helmCharts and sources other than the " +
      "cluster's own Git repository are recorded, never guessed: the objects they apply take no " +
      "part in the ordering proof.",
    helpUri: FLUX_KUSTOMIZATION_DOC,
  },
  "removed-api-version": {
    short: "An object uses an API version the cluster's Flux or Kubernetes no longer serves.",
    full:
      "The API server rejects an object whose apiVersion is not served (\"no matches for kind\"), " +
      "so the Kustomization applying it fails as a whole. Flux 2.7 stopped serving the v1beta1 " +
      "kustomize and source APIs and Flux 2.8 the v1beta2 ones; `gitops-cluster migrate` rewrites them.",
    helpUri: "https://fluxcd.io/flux/releases/",
  },
  "schema-violation": {
    short: "A Flux object has fields the schema of its served version does not have.",
    full:
      "Custom resource schemas are structural: the API server prunes unknown fields (a v1 " +
      "Kustomization's patchesStrategicMerge, a v2 HelmRelease's valuesFile) or rejects invalid " +
      "values, so what was written is silently not what Flux reconciles.",
    helpUri: "https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#field-pruning",
  },
  "flux-bootstrap-leftover": {
    short: "The repository installs or syncs Flux itself, which this stack installs and owns.",
    full:
      "flux bootstrap's gotk-components.yaml and gotk-sync.yaml, applied by the root " +
      "Kustomization, install the controllers a second time over the Flux Operator's and redefine " +
      "flux-system/flux-system, so Flux and Pulumi overwrite each other at every reconcile.",
    helpUri: "https://fluxoperator.dev/docs/guides/migration/",
  },
  "controller-not-installed": {
    short: "Flux objects need a controller the Flux install does not run.",
    full:
      "The Flux Operator installs the CRDs and controllers of the FluxInstance's components only; " +
      "image automation and ArtifactGenerator objects need image-reflector-controller, " +
      "image-automation-controller or source-watcher.",
    helpUri: "https://fluxoperator.dev/docs/crd/fluxinstance/#components",
  },
  "deletion-not-waited": {
    short: "A Kustomization applies objects AWS backs (load balancers, volumes) and its deletion would not wait for them.",
    full:
      "kustomize-controller waits for pruned objects to terminate only with deletionPolicy " +
      "WaitForTermination; otherwise it drops its finalizer once the deletes are issued. On destroy " +
      "the Flux Operator then removes the controllers and strips Flux's finalizers, the load " +
      "balancers and volumes stay in AWS, and the subnets and VPC cannot be deleted.",
    helpUri: `${FLUX_KUSTOMIZATION_DOC}#deletion-policy`,
  },
  "chart-installed-by-stack": {
    short: "The repository installs a chart the stack installs already.",
    full:
      "Two owners of one Helm release undo each other's upgrades, and on destroy Flux removes the " +
      "controller that the stack keeps to clean up after Flux.",
    helpUri: FLUX_HELMRELEASE_DOC,
  },
};

/** The description of `rule`; a rule id the table does not know still gets a readable one. */
export function describeRule(rule: string): RuleDescription {
  return (
    RULE_DESCRIPTIONS[rule] ?? {
      short: `${rule.replace(/-/g, " ")}.`,
      full: `Finding of the gitops-cluster rule "${rule}".`,
      helpUri: FLUX_KUSTOMIZATION_DOC,
    }
  );
}
