import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { PodIdentityReason } from "../gitops/charts/pod-identities";
import { EKS_ADDON_VERSIONS_BY_MINOR, KUBERNETES_VERSION, LOAD_BALANCER_CONTROLLER_CHART_VERSION } from "../stacks/defaults";
import type { AddonsSettings, EksAddonName } from "../stacks/types";
import { PodIdentity, PodIdentityPolicy, policyName } from "./pod-identity";

/** The AWS Load Balancer Controller chart. https://github.com/aws/eks-charts */
export const LOAD_BALANCER_CONTROLLER_CHART = { chart: "aws-load-balancer-controller", repo: "https://aws.github.io/eks-charts" };
/** Where the stack's controller runs, and its service account (the chart's fullname for this release name). */
export const LOAD_BALANCER_CONTROLLER_ACCOUNT = { namespace: "kube-system", serviceAccount: "aws-load-balancer-controller" };
/** The EBS CSI driver add-on's controller service account. https://docs.aws.amazon.com/eks/latest/userguide/ebs-csi.html */
export const EBS_CSI_ACCOUNT = { namespace: "kube-system", serviceAccount: "ebs-csi-controller-sa" };

/** A Pod Identity association to create: what runs as which service account, why, with what policy. */
export interface PodIdentitySpec {
  /** Names the role: a chart name or `podIdentities-N`. */
  controller: string;
  namespace: string;
  serviceAccount: string;
  policy: PodIdentityPolicy;
  askedBy: PodIdentityReason[];
}

export interface PlatformAddonsArgs {
  /** EKS cluster name. Required. */
  clusterName: pulumi.Input<string>;
  /** Kubeconfig of the cluster, for the Load Balancer Controller's Helm release. Required; a secret. */
  kubeconfig: pulumi.Input<string>;
  region: string;
  /**
   * Kubernetes minor of the cluster: each add-on takes its version from this minor's row of
   * EKS_ADDON_VERSIONS_BY_MINOR, so raising it upgrades the add-ons in the same `up`. Default
   * KUBERNETES_VERSION.
   */
  kubernetesVersion?: string;
  vpcId: pulumi.Input<string>;
  /**
   * The managed node groups. coredns, the EBS CSI driver and the Load Balancer Controller wait
   * for them: an add-on whose pods cannot be scheduled stays DEGRADED until its create times out.
   */
  nodeGroups: pulumi.Resource[];
  /** Which add-ons to install, their versions and the Route 53 zones. Required. */
  addons: AddonsSettings;
  /** Associations the repository and settings ask for, beyond the stack's own controllers. Default none. */
  podIdentities?: PodIdentitySpec[];
  tags?: Record<string, string>;
}

/** What the plan shows per association. */
export interface PodIdentityPlan {
  controller: string;
  namespace: string;
  serviceAccount: string;
  policy: string;
  askedBy: PodIdentityReason[];
}

/**
 * What holds AWS resources or needs AWS permissions, installed by the stack and not by Flux, so it
 * outlives Flux's prune on destroy: the EKS managed add-ons (vpc-cni, kube-proxy, coredns,
 * eks-pod-identity-agent, aws-ebs-csi-driver), the AWS Load Balancer Controller, and an EKS Pod
 * Identity role per controller that calls AWS.
 *
 * Give FluxBootstrap's root Kustomization `dependsOn: addons.ready`: on create Flux starts once the
 * controllers run; on destroy Pulumi deletes the root first, kustomize-controller waits until the
 * controllers here have deleted the load balancers and volumes, and only then do these go.
 *
 * The Load Balancer Controller is a `helm.v3.Release`, not a `helm.v4.Chart`: a Release is one
 * resource that Helm installs and uninstalls as a unit (webhooks and deployment together, CRDs of
 * `crds/` kept on uninstall, so deleting the release cannot cascade-delete TargetGroupBindings),
 * and one node in Pulumi's graph that the root Kustomization depends on. A v4 Chart registers each
 * rendered object as its own resource, deleted in parallel on destroy, CRDs included.
 */
export class PlatformAddons extends pulumi.ComponentResource {
  /** Everything the root Kustomization must wait for, and outlive on destroy. */
  public readonly ready: pulumi.Resource[];
  /**
   * Releases that register admission webhooks with `failurePolicy: Fail`, ready once the webhook
   * answers (Helm waits for the pods): what creates Services (and the rest they match) waits for them.
   */
  public readonly webhooks: pulumi.Resource[];
  /** The associations, for the plan. */
  public readonly podIdentities: PodIdentityPlan[];
  /** Charts installed here, with the setting that switches each off (verify's chart-installed-by-stack). */
  public readonly installedCharts: { chart: string; setting: string }[];

  constructor(name: string, args: PlatformAddonsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gitops-cluster:index:PlatformAddons", name, {}, opts);
    const child = { parent: this };
    const { addons } = args;
    const minor = args.kubernetesVersion ?? KUBERNETES_VERSION;
    const row = EKS_ADDON_VERSIONS_BY_MINOR[minor];
    if (!row) throw new Error(`no EKS add-on versions for Kubernetes ${minor} (stacks/defaults.ts EKS_ADDON_VERSIONS_BY_MINOR)`);
    const versionOf = (addon: EksAddonName) => addons.versions[addon] ?? row[addon];
    const afterNodes = args.nodeGroups;
    const ready: pulumi.Resource[] = [];
    const webhooks: pulumi.Resource[] = [];

    const addon = (addonName: EksAddonName, dependsOn: pulumi.Resource[], extra: Partial<aws.eks.AddonArgs> = {}) => {
      const created = new aws.eks.Addon(`${name}-${addonName}`, {
        clusterName: args.clusterName,
        addonName,
        addonVersion: versionOf(addonName),
        // EKS installs self-managed vpc-cni, kube-proxy and coredns with every cluster; the managed
        // add-on takes them over. https://docs.aws.amazon.com/eks/latest/userguide/creating-an-add-on.html
        resolveConflictsOnCreate: "OVERWRITE",
        resolveConflictsOnUpdate: "OVERWRITE",
        tags: args.tags,
        ...extra,
      }, { ...child, dependsOn });
      ready.push(created);
      // The plan says when EKS's newest build for this minor differs from the pinned one (a
      // warning, never a change: the pin is what gets installed).
      aws.eks.getAddonVersionOutput({ addonName, kubernetesVersion: minor, mostRecent: true }, child).version.apply((newest) => {
        if (newest && newest !== versionOf(addonName)) {
          pulumi.log.warn(`EKS add-on ${addonName}: pinned ${versionOf(addonName)} for Kubernetes ${minor}, EKS's newest is ${newest}`, this);
        }
      });
      return created;
    };

    // Node networking: no need to wait for nodes (DaemonSets), and on destroy keep the software on
    // the nodes (`preserve`) while they drain, as @pulumi/eks does for the add-ons it creates.
    if (addons.vpcCni) addon("vpc-cni", [], { preserve: true });
    if (addons.kubeProxy) addon("kube-proxy", [], { preserve: true });
    const agent = addons.podIdentityAgent ? addon("eks-pod-identity-agent", []) : undefined;
    // A Deployment: its pods need nodes. (@pulumi/eks skips coredns without a default node group.)
    if (addons.coredns) addon("coredns", afterNodes);

    const specs: PodIdentitySpec[] = [];
    if (addons.loadBalancerController) {
      specs.push({
        controller: "aws-load-balancer-controller",
        ...LOAD_BALANCER_CONTROLLER_ACCOUNT,
        policy: { kind: "aws-load-balancer-controller" },
        askedBy: [{ file: "gitops-cluster:addons", line: 0, what: "addons.loadBalancerController" }],
      });
    }
    if (addons.ebsCsiDriver) {
      specs.push({
        controller: "aws-ebs-csi-driver",
        ...EBS_CSI_ACCOUNT,
        policy: { kind: "ebs-csi-driver" },
        askedBy: [{ file: "gitops-cluster:addons", line: 0, what: "addons.ebsCsiDriver" }],
      });
    }
    const seen = new Set(specs.map((s) => `${s.namespace}/${s.serviceAccount}`));
    for (const s of args.podIdentities ?? []) {
      if (!seen.has(`${s.namespace}/${s.serviceAccount}`)) specs.push(s);
      seen.add(`${s.namespace}/${s.serviceAccount}`);
    }
    const identities = new Map<string, PodIdentity>();
    for (const s of specs) {
      const identity = new PodIdentity(`${name}-${s.controller}`, {
        clusterName: args.clusterName,
        namespace: s.namespace,
        serviceAccount: s.serviceAccount,
        policy: s.policy,
        hostedZoneIds: addons.hostedZoneIds,
        askedBy: s.askedBy,
        tags: args.tags,
      }, child);
      identities.set(s.controller, identity);
      ready.push(identity.association);
    }

    if (addons.ebsCsiDriver) {
      addon("aws-ebs-csi-driver", [...afterNodes, identities.get("aws-ebs-csi-driver")!.association]);
    }

    if (addons.loadBalancerController) {
      const provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: pulumi.secret(args.kubeconfig) }, { ...child, dependsOn: afterNodes });
      const controller = new k8s.helm.v3.Release(`${name}-load-balancer-controller`, {
        name: "aws-load-balancer-controller",
        chart: LOAD_BALANCER_CONTROLLER_CHART.chart,
        repositoryOpts: { repo: LOAD_BALANCER_CONTROLLER_CHART.repo },
        version: LOAD_BALANCER_CONTROLLER_CHART_VERSION,
        namespace: LOAD_BALANCER_CONTROLLER_ACCOUNT.namespace,
        values: {
          clusterName: args.clusterName,
          region: args.region,
          vpcId: args.vpcId,
          replicaCount: 2,
          serviceAccount: { create: true, name: LOAD_BALANCER_CONTROLLER_ACCOUNT.serviceAccount },
        },
      }, {
        ...child,
        provider,
        // Its pods need nodes and must start with credentials: the agent and the association first.
        dependsOn: [...afterNodes, ...(agent ? [agent] : []), identities.get("aws-load-balancer-controller")!.association],
      });
      ready.push(controller);
      // mservice.elbv2.k8s.aws fails every Service create, in every namespace, until the
      // controller serves it (chart 3.5.0 templates/webhook.yaml; aws-load-balancer-controller#4140).
      webhooks.push(controller);
    }

    // The resource metrics API (metrics.k8s.io) that HorizontalPodAutoscalers and `kubectl top`
    // read. A Deployment with a Service: it waits for the nodes and for the Load Balancer
    // Controller's Service webhook to answer (offline/first-up.ts models the race).
    // https://docs.aws.amazon.com/eks/latest/userguide/metrics-server.html
    if (addons.metricsServer) addon("metrics-server", [...afterNodes, ...webhooks]);

    this.ready = ready;
    this.webhooks = webhooks;
    this.installedCharts = addons.loadBalancerController
      ? [{ chart: LOAD_BALANCER_CONTROLLER_CHART.chart, setting: "gitops-cluster:addons.loadBalancerController" }]
      : [];
    this.podIdentities = specs.map((s) => ({
      controller: s.controller,
      namespace: s.namespace,
      serviceAccount: s.serviceAccount,
      policy: policyName(s.policy),
      askedBy: s.askedBy,
    }));
    this.registerOutputs({});
  }
}
