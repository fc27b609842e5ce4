import * as github from "@pulumi/github";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import type { Environment, FluxSettings } from "../stacks/types";
import { deployKeyResourceName, deployKeyTitle } from "./deploy-key";
import { WAIT_FOR_TERMINATION, waitForTerminationPatch } from "../gitops/flux/deletion";

/** Where Flux lives; the Flux Operator requires its FluxInstance in its own namespace. */
export const FLUX_NAMESPACE = "flux-system";

/** Name of the GitRepository, the root Kustomization and a generated credentials Secret (as `flux bootstrap` names them). */
export const FLUX_ROOT_NAME = "flux-system";

// The ConfigMap the root Kustomization substitutes `${VAR}`s from, and its variables: shared with
// the ordering check and the injection, so they live in the pure gitops/ library.
export { CLUSTER_VARS, CLUSTER_VARS_CONFIGMAP, type ClusterVar } from "../gitops/flux/cluster-vars";
import { CLUSTER_VARS_CONFIGMAP, type ClusterVar } from "../gitops/flux/cluster-vars";

/** Helm chart of the Flux Operator. https://fluxoperator.dev/docs/charts/flux-operator/ */
export const FLUX_OPERATOR_CHART = "oci://ghcr.io/controlplaneio-fluxcd/charts/flux-operator";

/** Controllers installed when `flux.components` is unset and no list is passed; the program passes what the repository needs (gitops/flux/install.ts requiredComponents). */
export const FLUX_COMPONENTS = ["source-controller", "kustomize-controller", "helm-controller", "notification-controller"];

/**
 * github.com's published SSH host keys, pinned so the first connection cannot be intercepted
 * (never trust-on-first-use). Fingerprints checked against
 * https://docs.github.com/en/authentication/keeping-your-account-and-data-secure/githubs-ssh-key-fingerprints
 * (ED25519 SHA256:+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU, ECDSA SHA256:p2QAMXNIC1TJYWeIOttrVc98/R1BUFWu3/LiyKgUfQM,
 * RSA SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s).
 */
export const GITHUB_KNOWN_HOSTS = [
  "github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
  "github.com ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBEmKSENjQEezOmxkZMy7opKgwFB9nkt5YRrYMjNuG5N87uRgg6CLrbo5wAdT/y6v0mKV0U2w0WZ2YB/++Tpockg=",
  "github.com ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQCj7ndNxQowgcQnjshcLrqPEiiphnt+VTTvDP6mHBL9j1aNUkY4Ue1gvwnGLVlOhGeYrnZaMgRK6+PKCUXaDbC7qtbW8gIkhL7aGCsOr/C56SJMy/BCZfxd1nWzAOxSDPgVsmerOBYfNqltV9/hWCqBywINIR+5dIg6JTJ72pcEpEjcYgXkE2YEFXV1JHnsKgbLWNlhScqb2UmyRkQyytRLtL+38TGxkxCflmO+5Z8CSSNY7GidjMIZ7Q4zMjA2n1nGrlTDkzwDCsw+wqFPGQA179cnfGWOWRVruj16z6XyvxvjJwbz0wQZ75XK5tKSb7FNyeIEs4TT4jk+S4dhPeAUC5y+bDYirYgM4GC7uEnztnZyaVWQ7B381AK4Qdrwt51ZqExKbQpTUNn+EjqoTwvqNj4kqx5QUCI0ThS/YkOxJCXmPUWZbhjpCg56i+2aB6CmK2JGhn57K5mj0MNdBXA4/WnwH6XoPWJzK5Nyu2zB3nAZp+S5hpQs+p1vN1/wsjk=",
].join("\n");

export interface FluxBootstrapArgs {
  /** Kubeconfig of the cluster (JSON or YAML). Required; treated as a secret. */
  kubeconfig: pulumi.Input<string>;
  /** Values of `cluster-vars`. Required. */
  clusterName: pulumi.Input<string>;
  environment: Environment;
  region: string;
  /** The cluster's VPC, for controllers that must be told it (AWS Load Balancer Controller). */
  vpcId: pulumi.Input<string>;
  nodeRoleArn: pulumi.Input<string>;
  nodeRoleName: pulumi.Input<string>;
  /**
   * Versions, repository, branch, path, interval and Git credentials.
   * https://fluxcd.io/flux/components/source/gitrepositories/
   * https://fluxcd.io/flux/components/kustomize/kustomizations/
   */
  flux: FluxSettings;
  /**
   * What the root Kustomization waits for on create and outlives on destroy: the controllers that
   * clean up after Flux's prune (PlatformAddons.ready). Default none.
   */
  rootDependsOn?: pulumi.Resource[];
  /**
   * Releases whose `failurePolicy: Fail` webhooks intercept what Flux creates (Services): the
   * operator is installed once they answer, so no create of the operator or of the controllers
   * it starts meets a webhook that is not ready (PlatformAddons.webhooks). Default none.
   */
  afterWebhooks?: pulumi.Resource[];
}

/** The host of an `ssh://user@host[:port]/path` URL, the only SSH form Flux accepts. */
function sshHost(repoUrl: string): string | undefined {
  try {
    const url = new URL(repoUrl);
    return url.protocol === "ssh:" ? url.hostname : undefined;
  } catch {
    return undefined;
  }
}

/** Seconds in a Go duration such as "15m" or "1h30m" (settings checked the format). */
export function durationSeconds(duration: string): number {
  const unit: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };
  let total = 0;
  for (const [, amount, u] of duration.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) total += Number(amount) * unit[u];
  return Math.ceil(total);
}

function fluxObject(apiVersion: string, kind: string, metadata: k8s.types.input.meta.v1.ObjectMeta, spec: Record<string, unknown>) {
  return { apiVersion, kind, metadata: { namespace: FLUX_NAMESPACE, ...metadata }, spec };
}

/**
 * Hands a new cluster to Flux: installs the controllers through the Flux Operator, gives them
 * read access to the GitOps repository, and creates the root Kustomization that reconciles
 * `flux.path` with `${VAR}`s substituted from the `cluster-vars` ConfigMap.
 *
 * Give it `dependsOn` the node groups: controllers need nodes to run on, and on destroy the
 * Kubernetes objects go first, so kustomize-controller can prune what Flux created (load
 * balancers, volumes) while controllers and nodes still exist.
 *
 * @example
 * new FluxBootstrap("flux", {
 *   kubeconfig: cluster.kubeconfig, clusterName: cluster.clusterName, environment: "development",
 *   region: "eu-west-1", vpcId: network.vpcId, nodeRoleArn: nodeRole.arn, nodeRoleName: nodeRole.name, flux: settings.flux,
 * }, { dependsOn: cluster.nodeGroups });
 */
export class FluxBootstrap extends pulumi.ComponentResource {
  public readonly namespace: pulumi.Output<string>;
  public readonly gitRepositoryName: pulumi.Output<string>;
  public readonly kustomizationName: pulumi.Output<string>;
  public readonly clusterVarsName: pulumi.Output<string>;
  /** Public half of the generated deploy key; undefined with an existing secret. */
  public readonly deployPublicKey: pulumi.Output<string | undefined>;

  constructor(name: string, args: FluxBootstrapArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gitops-cluster:index:FluxBootstrap", name, {}, opts);
    const { flux } = args;
    const credentials = flux.credentials;
    if (credentials.kind === "deployKey" && sshHost(flux.repoUrl) !== "github.com") {
      throw new pulumi.RunError(
        `flux.repoUrl must be an ssh:// URL on github.com to use a generated deploy key, whose known_hosts pins github.com's published host keys (got "${flux.repoUrl}"); ` +
          `for another Git host set flux.credentials to { kind: existingSecret, secretName } holding identity, identity.pub and a verified known_hosts`,
      );
    }

    // Children do not inherit the component's dependsOn; the provider does, and every
    // Kubernetes object uses the provider, so all of them wait for the node groups on create
    // and are deleted before them on destroy.
    const provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: pulumi.secret(args.kubeconfig) }, { parent: this, dependsOn: opts?.dependsOn });
    const inCluster = { parent: this, provider };

    const namespace = new k8s.core.v1.Namespace(`${name}-namespace`, { metadata: { name: FLUX_NAMESPACE } }, inCluster);

    // The Flux Operator is what the Flux project now recommends for installing and upgrading
    // Flux (https://fluxcd.io/flux/installation/, https://fluxoperator.dev/docs/guides/install/):
    // the version is a field of the FluxInstance and upgrades are reconciled in-cluster. A Helm
    // release also plans with no network access, unlike fetching Flux's install.yaml at preview.
    const operator = new k8s.helm.v3.Release(`${name}-operator`, {
      name: "flux-operator",
      chart: FLUX_OPERATOR_CHART,
      version: flux.operatorChartVersion,
      namespace: namespace.metadata.name,
    }, { ...inCluster, dependsOn: args.afterWebhooks ?? [] });

    // No `spec.sync` here: Pulumi owns the GitRepository and the root Kustomization below, so
    // (a) `pulumi preview --refresh` sees drift in them, and (b) on destroy Pulumi deletes the
    // root Kustomization first, and kustomize-controller's finalizer prunes everything Flux
    // applied (https://fluxcd.io/flux/components/kustomize/kustomizations/#prune) while the
    // controllers and nodes still exist.
    const instance = new k8s.apiextensions.CustomResource(`${name}-instance`, fluxObject(
      "fluxcd.controlplane.io/v1",
      "FluxInstance",
      // The operator reconciles only an instance named "flux": https://fluxoperator.dev/docs/crd/fluxinstance/
      // waitFor (pulumi-kubernetes >= 4.18) makes dependents wait until the controllers are Ready:
      // https://www.pulumi.com/blog/improved-kubernetes-await-logic/
      { name: "flux", annotations: { "pulumi.com/waitFor": "condition=Ready" } },
      {
        distribution: { version: flux.version, registry: "ghcr.io/fluxcd" },
        // What the repository needs (the ordering check derives it) or flux.components.
        components: flux.components ?? FLUX_COMPONENTS,
        cluster: { type: "aws", multitenant: false, networkPolicy: true, domain: "cluster.local" },
        // Controller patches (what flux-system/kustomization.yaml held under `flux bootstrap`).
        ...((flux.kustomizePatches ?? []).length === 0 ? {} : { kustomize: { patches: flux.kustomizePatches } }),
      },
    ), { ...inCluster, dependsOn: [operator] });
    const afterControllers = { ...inCluster, dependsOn: [instance] };

    let secretName: pulumi.Output<string>;
    let deployPublicKey: pulumi.Output<string | undefined> = pulumi.output(undefined);
    if (credentials.kind === "deployKey") {
      // Flux reads `identity` in OpenSSH format; ED25519 is its recommended key type:
      // https://fluxcd.io/flux/components/source/gitrepositories/#ssh-authentication
      // A new flux.deployKeyGeneration is a new key under a new name (components/deploy-key.ts).
      const keyName = deployKeyResourceName(name, flux.deployKeyGeneration);
      const key = new tls.PrivateKey(keyName, { algorithm: "ED25519" }, { parent: this });
      let registered: github.RepositoryDeployKey | undefined;
      if (credentials.github) {
        const githubProvider = new github.Provider(`${name}-github`, { owner: credentials.github.owner }, { parent: this });
        registered = new github.RepositoryDeployKey(keyName, {
          repository: credentials.github.repository,
          title: pulumi.output(args.clusterName).apply((cluster) => deployKeyTitle(cluster, flux.deployKeyGeneration)),
          key: key.publicKeyOpenssh,
          readOnly: true,
        }, { parent: this, provider: githubProvider });
      }
      // Updated in place on rotation, after GitHub knows the new key.
      const secret = new k8s.core.v1.Secret(`${name}-git-credentials`, {
        metadata: { name: FLUX_ROOT_NAME, namespace: namespace.metadata.name },
        stringData: pulumi.secret({ identity: key.privateKeyOpenssh, "identity.pub": key.publicKeyOpenssh, known_hosts: GITHUB_KNOWN_HOSTS }),
      }, { ...inCluster, dependsOn: registered ? [registered] : [] });
      secretName = secret.metadata.name;
      deployPublicKey = key.publicKeyOpenssh;
    } else {
      secretName = pulumi.output(credentials.secretName);
    }

    const clusterVarValues: Record<ClusterVar, pulumi.Input<string>> = {
      CLUSTER_NAME: args.clusterName,
      ENVIRONMENT: args.environment,
      AWS_REGION: args.region,
      VPC_ID: args.vpcId,
      NODE_ROLE_ARN: args.nodeRoleArn,
      NODE_ROLE_NAME: args.nodeRoleName,
    };
    const clusterVars = new k8s.core.v1.ConfigMap(`${name}-cluster-vars`, {
      metadata: { name: CLUSTER_VARS_CONFIGMAP, namespace: namespace.metadata.name },
      data: clusterVarValues,
    }, inCluster);

    const source = new k8s.apiextensions.CustomResource(`${name}-source`, fluxObject(
      "source.toolkit.fluxcd.io/v1",
      "GitRepository",
      { name: FLUX_ROOT_NAME },
      { interval: flux.interval, url: flux.repoUrl, ref: { branch: flux.branch }, secretRef: { name: secretName } },
    ), afterControllers);

    const root = new k8s.apiextensions.CustomResource(`${name}-root`, fluxObject(
      "kustomize.toolkit.fluxcd.io/v1",
      "Kustomization",
      { name: FLUX_ROOT_NAME },
      {
        interval: flux.interval,
        path: flux.path,
        prune: true,
        sourceRef: { kind: "GitRepository", name: source.metadata.name },
        postBuild: { substituteFrom: [{ kind: "ConfigMap", name: clusterVars.metadata.name }] },
        // Deleting the root waits until what it pruned is gone, for at most `timeout`
        // (kustomize-controller finalize(): only WaitForTermination waits; MirrorPrune drops the
        // finalizer once the deletes are issued, and the FluxInstance's uninstall then strips
        // every Flux finalizer, leaving ALBs and volumes in AWS).
        deletionPolicy: WAIT_FOR_TERMINATION,
        timeout: flux.deletionTimeout,
        // The same policy for every Kustomization of the cluster path, so the tree is deleted
        // depth-first and each level waits (Kustomizations they apply need their own patches).
        patches: [waitForTerminationPatch()],
      },
    ), {
      ...afterControllers,
      dependsOn: [instance, ...(args.rootDependsOn ?? [])],
      // Pulumi waits for the object to be gone; give it the controller's wait and a margin, or
      // it would stop first (pulumi-kubernetes waits 10 minutes by default).
      customTimeouts: { delete: `${durationSeconds(flux.deletionTimeout) + 300}s` },
    });

    this.namespace = namespace.metadata.name;
    this.gitRepositoryName = source.metadata.name;
    this.kustomizationName = root.metadata.name;
    this.clusterVarsName = clusterVars.metadata.name;
    this.deployPublicKey = deployPublicKey;
    this.registerOutputs({
      namespace: this.namespace,
      gitRepositoryName: this.gitRepositoryName,
      kustomizationName: this.kustomizationName,
      clusterVarsName: this.clusterVarsName,
      deployPublicKey: this.deployPublicKey,
    });
  }
}
