import * as assert from "assert";
import * as path from "path";
import { stringify } from "yaml";
import { hasKubectl } from "../kubectl";
import { writeRepo } from "../gitops/helpers";
import { differences, kubectlKustomize, ourBuild, parseStream } from "./harness";

// Which types kustomize's `namespace:` leaves without a namespace is decided by kyaml's table of
// exact apiVersion/kind pairs, not by what the API server serves: a newer version of a
// cluster-scoped kind (FlowSchema v1, PodSecurityPolicy policy/v1) or a newer kind
// (ValidatingAdmissionPolicy, VolumeAttributesClass) gets the namespace. Whole bodies against kubectl.

const VERSIONS: Record<string, string[]> = {
  "admissionregistration.k8s.io": ["v1", "v1beta1", "v1alpha1"],
  "apiextensions.k8s.io": ["v1", "v1beta1"],
  "apiregistration.k8s.io": ["v1", "v1beta1"],
  "certificates.k8s.io": ["v1", "v1beta1", "v1alpha1"],
  "flowcontrol.apiserver.k8s.io": ["v1", "v1beta1", "v1beta3"],
  "networking.k8s.io": ["v1", "v1beta1"],
  "node.k8s.io": ["v1", "v1beta1", "v1alpha1"],
  policy: ["v1", "v1beta1"],
  "rbac.authorization.k8s.io": ["v1", "v1beta1", "v1alpha1"],
  "scheduling.k8s.io": ["v1", "v1beta1", "v1alpha1"],
  "storage.k8s.io": ["v1", "v1beta1", "v1alpha1"],
  "": ["v1"],
  "authentication.k8s.io": ["v1"],
  "authorization.k8s.io": ["v1"],
  "resource.k8s.io": ["v1", "v1beta1"],
  "example.com": ["v1"],
};

const KINDS: Record<string, string[]> = {
  "admissionregistration.k8s.io": ["MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding", "MutatingAdmissionPolicy"],
  "apiextensions.k8s.io": ["CustomResourceDefinition"],
  "apiregistration.k8s.io": ["APIService"],
  "certificates.k8s.io": ["CertificateSigningRequest", "ClusterTrustBundle"],
  "flowcontrol.apiserver.k8s.io": ["FlowSchema", "PriorityLevelConfiguration"],
  "networking.k8s.io": ["IngressClass", "IPAddress", "ServiceCIDR", "Ingress"],
  "node.k8s.io": ["RuntimeClass"],
  policy: ["PodSecurityPolicy", "PodDisruptionBudget"],
  "rbac.authorization.k8s.io": ["ClusterRole", "ClusterRoleBinding", "Role"],
  "scheduling.k8s.io": ["PriorityClass"],
  "storage.k8s.io": ["CSIDriver", "CSINode", "StorageClass", "VolumeAttachment", "VolumeAttributesClass"],
  "": ["ComponentStatus", "Namespace", "Node", "NodeProxyOptions", "PersistentVolume", "ConfigMap", "Service"],
  "authentication.k8s.io": ["TokenReview", "SelfSubjectReview"],
  "authorization.k8s.io": ["SubjectAccessReview", "SelfSubjectAccessReview"],
  "resource.k8s.io": ["DeviceClass"],
  "example.com": ["ClusterRole", "Namespace", "Widget"],
};

describe("kustomize's namespace: on cluster-scoped and namespaced types, against `kubectl kustomize`", function () {
  this.timeout(120000);

  it("sets the namespace exactly where kubectl kustomize does, for every version of every kind listed", async function () {
    if (!hasKubectl()) this.skip();
    const bodies: Record<string, unknown>[] = [];
    for (const [group, kinds] of Object.entries(KINDS)) {
      for (const version of VERSIONS[group]) {
        for (const kind of kinds) {
          const apiVersion = group === "" ? version : `${group}/${version}`;
          // Namespace objects are renamed by namespace:, so only one per type and name.
          bodies.push({ apiVersion, kind, metadata: { name: `${kind.toLowerCase()}-${group.replace(/\./g, "-") || "core"}-${version}` } });
        }
      }
    }
    const repo = writeRepo({ "all/objects.yaml": bodies.map((b) => stringify(b)).join("---\n"), "all/kustomization.yaml": "namespace: team\nresources: [objects.yaml]\n" });
    const [ours, theirs] = await Promise.all([ourBuild(repo, "all"), kubectlKustomize(path.join(repo, "all"))]);
    assert.ok(theirs.ok, theirs.stderr);
    assert.strictEqual(ours.code, 0, ours.stderr);
    const built = parseStream(theirs.stdout);
    assert.strictEqual(built.length, bodies.length, "kubectl built every object");
    assert.deepStrictEqual(differences(parseStream(ours.stdout), built), []);
    // The table is exact: both outcomes occur for one kind, by version.
    const namespaceOf = (apiVersion: string, kind: string) =>
      (built.find((b) => b.apiVersion === apiVersion && b.kind === kind)?.metadata as Record<string, unknown> | undefined)?.namespace;
    assert.deepStrictEqual([namespaceOf("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema"), namespaceOf("flowcontrol.apiserver.k8s.io/v1", "FlowSchema")], [undefined, "team"]);
  });
});
