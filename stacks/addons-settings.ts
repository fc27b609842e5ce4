/**
 * Readers of the `addons` and `podIdentities` keys: what the stack installs outside Flux and the
 * Pod Identity associations settings add to those detected from the repository.
 */
import { DEFAULT_ADDONS } from "./defaults";
import { DNS_LABEL, DNS_SUBDOMAIN } from "./formats";
import { Reader, matching, show } from "./readers";
import type { AddonsSettings, EksAddonName, PodIdentitySetting } from "./types";

export const EKS_ADDON_NAMES: readonly EksAddonName[] = ["vpc-cni", "kube-proxy", "coredns", "eks-pod-identity-agent", "aws-ebs-csi-driver", "metrics-server"];

/** An EKS add-on version as `describe-addon-versions` prints it. */
const ADDON_VERSION = matching(/^v\d+\.\d+\.\d+-eksbuild\.\d+$/, 'an EKS add-on version such as "v1.19.2-eksbuild.1"');
/** A Route 53 hosted zone id (https://docs.aws.amazon.com/Route53/latest/APIReference/API_HostedZone.html). */
const HOSTED_ZONE_ID = matching(/^Z[A-Z0-9]{1,31}$/, "a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ");
/** An IAM policy ARN, AWS managed (`iam::aws:policy/...`) or the account's own. */
const POLICY_ARN = matching(
  /^arn:aws(-cn|-us-gov)?:iam::(aws|\d{12}):policy\/[\w+=,.@\/-]+$/,
  "an IAM policy ARN such as arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
);

export function readAddons(r: Reader, value: unknown): AddonsSettings {
  const fields = r.section("addons", value, [
    "vpcCni", "kubeProxy", "coredns", "podIdentityAgent", "ebsCsiDriver", "loadBalancerController", "metricsServer", "versions", "hostedZoneIds",
  ]);
  const versions: AddonsSettings["versions"] = {};
  for (const [name, version] of Object.entries(fields.record("versions", { key: matching(/^[a-z-]+$/, "an add-on name"), value: ADDON_VERSION }))) {
    if ((EKS_ADDON_NAMES as readonly string[]).includes(name)) versions[name as EksAddonName] = version;
    else r.report(`addons.versions.${name}`, `is not an add-on the stack installs (expected one of ${EKS_ADDON_NAMES.join(", ")})`);
  }
  const d = DEFAULT_ADDONS;
  const addons: AddonsSettings = {
    vpcCni: fields.bool("vpcCni", d.vpcCni),
    kubeProxy: fields.bool("kubeProxy", d.kubeProxy),
    coredns: fields.bool("coredns", d.coredns),
    podIdentityAgent: fields.bool("podIdentityAgent", d.podIdentityAgent),
    ebsCsiDriver: fields.bool("ebsCsiDriver", d.ebsCsiDriver),
    loadBalancerController: fields.bool("loadBalancerController", d.loadBalancerController),
    metricsServer: fields.bool("metricsServer", d.metricsServer),
    versions,
    hostedZoneIds: fields.list("hostedZoneIds", [...d.hostedZoneIds], (at, item) => r.str(at, item, undefined, HOSTED_ZONE_ID)),
  };
  // Pod Identity credentials come from the agent: the controllers the stack installs need it.
  if (!addons.podIdentityAgent && (addons.loadBalancerController || addons.ebsCsiDriver)) {
    r.report(
      "addons.podIdentityAgent",
      `must be true while addons.loadBalancerController or addons.ebsCsiDriver is (got ${show(false)}): their credentials come from EKS Pod Identity`,
    );
  }
  return addons;
}

export function readPodIdentities(r: Reader, value: unknown): PodIdentitySetting[] {
  const seen = new Set<string>();
  return r.list("podIdentities", value, [], (at, item) => {
    const row = r.section(at, item, ["namespace", "serviceAccount", "policyArns"]);
    if (!row.has("policyArns")) r.report(row.key("policyArns"), "is required (expected a list of IAM policy ARNs)");
    const setting: PodIdentitySetting = {
      namespace: row.str("namespace", undefined, DNS_LABEL),
      serviceAccount: row.str("serviceAccount", undefined, DNS_SUBDOMAIN),
      policyArns: row.list("policyArns", [], (a, arn) => r.str(a, arn, undefined, POLICY_ARN)),
    };
    const key = `${setting.namespace}/${setting.serviceAccount}`;
    if (seen.has(key)) r.report(at, `names ${key} a second time (one association per service account)`);
    seen.add(key);
    return setting;
  });
}
