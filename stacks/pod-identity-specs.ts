import { podIdentityRequests } from "../gitops/charts/pod-identities";
import type { VerifyResult } from "../gitops/model";
import type { PodIdentitySpec } from "../components/platform-addons";
import type { Settings } from "./types";

/**
 * The Pod Identity associations a stack needs beyond its own controllers': those the repository's
 * charts ask for (gitops/charts/pod-identities.ts), then the `podIdentities` rows of its settings.
 */
export function podIdentitySpecs(verified: Pick<VerifyResult, "kustomizations">, settings: Settings): PodIdentitySpec[] {
  const extraProviders = settings.gitops.extraProviders.map((p) => ({ chart: p.chart, groups: p.groups, how: "crds" as const }));
  const detected: PodIdentitySpec[] = podIdentityRequests(verified.kustomizations, [], extraProviders).map((r) => ({
    controller: r.controller,
    namespace: r.namespace,
    serviceAccount: r.serviceAccount,
    policy: { kind: r.policy },
    askedBy: r.askedBy,
  }));
  const configured: PodIdentitySpec[] = settings.podIdentities.map((p, i) => ({
    controller: `podIdentities-${i + 1}`,
    namespace: p.namespace,
    serviceAccount: p.serviceAccount,
    policy: { policyArns: p.policyArns },
    askedBy: [{ file: `gitops-cluster:podIdentities[${i}]`, line: 0, what: "stack settings" }],
  }));
  return [...detected, ...configured];
}
