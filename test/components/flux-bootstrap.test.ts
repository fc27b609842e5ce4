import * as assert from "assert";
import { createHash } from "crypto";
import { isDeepStrictEqual } from "util";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { CLUSTER_VARS, FluxBootstrap, GITHUB_KNOWN_HOSTS } from "../../components/flux-bootstrap";
import type { ProgramRun } from "../../offline/program";
import { promiseOf } from "../../offline/outputs";
import type { FluxSettings } from "../../stacks/types";
import { developmentSettings } from "./fixtures";
import { at, kubernetesObject, ofType, only, underMocks } from "./helpers";

const KUBECONFIG = JSON.stringify({ apiVersion: "v1", kind: "Config", clusters: [{ name: "c", cluster: { server: "https://example" } }] });

interface Bootstrap {
  run: ProgramRun;
  /** The delete timeout Pulumi gives the root Kustomization. */
  rootDeleteTimeout?: string;
  /** What the credentials Secret really holds (the run shows it only as "[secret]"). */
  secretData?: Record<string, string>;
}

async function bootstrap(flux: FluxSettings): Promise<Bootstrap> {
  let secretData: pulumi.Output<Record<string, string>> | undefined;
  let rootDeleteTimeout: string | undefined;
  const run = await underMocks(() => {
    pulumi.runtime.registerStackTransformation((args) => {
      if (args.type === "kubernetes:core/v1:Secret") secretData = pulumi.output(args.props.stringData as pulumi.Input<Record<string, string>>);
      if (args.type === "kubernetes:kustomize.toolkit.fluxcd.io/v1:Kustomization") rootDeleteTimeout = args.opts.customTimeouts?.delete;
      return undefined;
    });
    // Stands in for the node groups FluxBootstrap must wait for.
    const nodes = new aws.ec2.LaunchTemplate("nodes", {});
    new FluxBootstrap("flux", {
      kubeconfig: KUBECONFIG, // plain on purpose: FluxBootstrap must make it secret itself
      clusterName: "acme-development",
      environment: "development",
      region: "eu-west-1",
      nodeRoleArn: "arn:aws:iam::123456789012:role/nodes",
      nodeRoleName: "nodes",
      vpcId: "vpc-0abc1234def567890",
      flux,
    }, { dependsOn: [nodes] });
  });
  return { run, rootDeleteTimeout, secretData: secretData && (await promiseOf(secretData)) };
}

describe("FluxBootstrap", () => {
  const settings = developmentSettings().flux;
  let deployKey: Bootstrap;
  before(async () => {
    deployKey = await bootstrap(settings);
  });

  it("installs the Flux Operator chart at the pinned version into flux-system", () => {
    const release = only(deployKey.run, "kubernetes:helm.sh/v3:Release");
    assert.strictEqual(release.inputs.chart, "oci://ghcr.io/controlplaneio-fluxcd/charts/flux-operator");
    assert.strictEqual(release.inputs.version, settings.operatorChartVersion);
    assert.strictEqual(release.inputs.namespace, "flux-system");
    assert.strictEqual(at(only(deployKey.run, "kubernetes:core/v1:Namespace"), "metadata", "name"), "flux-system");
  });

  it("pins the Flux version in a FluxInstance that dependents wait on until Ready, without spec.sync", () => {
    const instance = kubernetesObject(deployKey.run, "FluxInstance");
    assert.strictEqual(instance.inputs.apiVersion, "fluxcd.controlplane.io/v1");
    assert.strictEqual(at(instance, "metadata", "name"), "flux");
    assert.strictEqual(at(instance, "metadata", "annotations", "pulumi.com/waitFor"), "condition=Ready");
    assert.deepStrictEqual(at(instance, "spec", "distribution"), { version: settings.version, registry: "ghcr.io/fluxcd" });
    assert.deepStrictEqual(at(instance, "spec", "components"), ["source-controller", "kustomize-controller", "helm-controller", "notification-controller"]);
    assert.strictEqual(at(instance, "spec", "cluster", "type"), "aws");
    assert.strictEqual(at(instance, "spec", "sync"), undefined);
    assert.deepStrictEqual(instance.dependsOn, [only(deployKey.run, "kubernetes:helm.sh/v3:Release").urn]);
  });

  it("the root Kustomization waits for what it pruned, for flux.deletionTimeout, and patches every child to wait too", () => {
    const root = kubernetesObject(deployKey.run, "Kustomization");
    assert.strictEqual(at(root, "spec", "deletionPolicy"), "WaitForTermination");
    assert.strictEqual(at(root, "spec", "timeout"), settings.deletionTimeout);
    const [patch] = at(root, "spec", "patches") as { target: Record<string, string>; patch: string }[];
    assert.deepStrictEqual(patch.target, { group: "kustomize.toolkit.fluxcd.io", kind: "Kustomization" });
    assert.match(patch.patch, /\n {2}name: _\n/);
    assert.match(patch.patch, /\n {2}deletionPolicy: WaitForTermination\n/);
    // Pulumi must wait longer than the controller does, or it gives up on the delete first.
    assert.strictEqual(deployKey.rootDeleteTimeout, `${15 * 60 + 300}s`);
  });

  it("uses the GA Flux APIs and creates the source and root Kustomization only after the controllers", () => {
    const instance = kubernetesObject(deployKey.run, "FluxInstance");
    const expected: Record<string, string> = { GitRepository: "source.toolkit.fluxcd.io/v1", Kustomization: "kustomize.toolkit.fluxcd.io/v1" };
    for (const [kind, apiVersion] of Object.entries(expected)) {
      const object = kubernetesObject(deployKey.run, kind);
      assert.strictEqual(object.inputs.apiVersion, apiVersion);
      assert.deepStrictEqual(object.dependsOn, [instance.urn], `${kind} does not wait for the FluxInstance`);
    }
  });

  it("points the GitRepository at the repository and branch, with the credentials Secret", () => {
    const source = kubernetesObject(deployKey.run, "GitRepository");
    assert.deepStrictEqual(at(source, "spec"), {
      interval: settings.interval,
      url: settings.repoUrl,
      ref: { branch: settings.branch },
      secretRef: { name: at(only(deployKey.run, "kubernetes:core/v1:Secret"), "metadata", "name") },
    });
  });

  it("reconciles ./clusters/<cluster> with prune, substituting from cluster-vars", () => {
    const root = kubernetesObject(deployKey.run, "Kustomization");
    assert.strictEqual(at(root, "spec", "path"), "./clusters/development");
    assert.strictEqual(at(root, "spec", "prune"), true);
    assert.deepStrictEqual(at(root, "spec", "sourceRef"), { kind: "GitRepository", name: at(kubernetesObject(deployKey.run, "GitRepository"), "metadata", "name") });
    assert.deepStrictEqual(at(root, "spec", "postBuild", "substituteFrom"), [{ kind: "ConfigMap", name: "cluster-vars" }]);
  });

  it("supplies every variable it promises in cluster-vars, with the cluster's values", () => {
    const vars = kubernetesObject(deployKey.run, "ConfigMap");
    assert.strictEqual(at(vars, "metadata", "name"), "cluster-vars");
    assert.strictEqual(at(vars, "metadata", "namespace"), "flux-system");
    assert.deepStrictEqual(Object.keys(at(vars, "data") as object).sort(), [...CLUSTER_VARS].sort());
    assert.deepStrictEqual(at(vars, "data"), {
      CLUSTER_NAME: "acme-development",
      ENVIRONMENT: "development",
      AWS_REGION: "eu-west-1",
      VPC_ID: "vpc-0abc1234def567890",
      NODE_ROLE_ARN: "arn:aws:iam::123456789012:role/nodes",
      NODE_ROLE_NAME: "nodes",
    });
  });

  it("stores a generated ED25519 key and GitHub's pinned host keys in the credentials Secret", () => {
    assert.strictEqual(only(deployKey.run, "tls:index/privateKey:PrivateKey").inputs.algorithm, "ED25519");
    const data = deployKey.secretData;
    assert.ok(data);
    assert.deepStrictEqual(Object.keys(data).sort(), ["identity", "identity.pub", "known_hosts"]);
    assert.match(data.identity, /^-----BEGIN OPENSSH PRIVATE KEY-----/);
    assert.match(data["identity.pub"], /^ssh-ed25519 /);
    assert.strictEqual(data.known_hosts, GITHUB_KNOWN_HOSTS);
  });

  it("pins exactly the host keys GitHub publishes (by their SHA256 fingerprints)", () => {
    // https://docs.github.com/en/authentication/keeping-your-account-and-data-secure/githubs-ssh-key-fingerprints
    const published = new Map([
      ["ssh-ed25519", "+DiY3wvvV6TuJJhbpZisF/zLDA0zPMSvHdkr4UvCOqU"],
      ["ecdsa-sha2-nistp256", "p2QAMXNIC1TJYWeIOttrVc98/R1BUFWu3/LiyKgUfQM"],
      ["ssh-rsa", "uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s"],
    ]);
    const lines = GITHUB_KNOWN_HOSTS.split("\n");
    assert.strictEqual(lines.length, published.size);
    for (const line of lines) {
      const [host, type, key] = line.split(" ");
      assert.strictEqual(host, "github.com");
      const fingerprint = createHash("sha256").update(Buffer.from(key, "base64")).digest("base64").replace(/=+$/, "");
      assert.strictEqual(fingerprint, published.get(type), `${type} key does not match GitHub's fingerprint`);
    }
  });

  it("registers the public key on GitHub read-only", () => {
    const key = only(deployKey.run, "github:index/repositoryDeployKey:RepositoryDeployKey");
    assert.strictEqual(key.inputs.readOnly, true);
    assert.strictEqual(key.inputs.repository, "gitops");
    assert.match(key.inputs.key as string, /^ssh-ed25519 /);
    assert.strictEqual(only(deployKey.run, "pulumi:providers:github").inputs.owner, "acme");
  });

  it("keeps the private key and the kubeconfig secret in every resource input", () => {
    assert.strictEqual(only(deployKey.run, "kubernetes:core/v1:Secret").inputs.stringData, "[secret]");
    assert.strictEqual(only(deployKey.run, "pulumi:providers:kubernetes").inputs.kubeconfig, "[secret]");
    const everything = JSON.stringify(deployKey.run);
    assert.doesNotMatch(everything, /PRIVATE KEY|https:\/\/example/);
  });

  it("makes the Kubernetes provider, which every Kubernetes object uses, depend on what FluxBootstrap depends on", () => {
    const nodes = only(deployKey.run, "aws:ec2/launchTemplate:LaunchTemplate");
    assert.deepStrictEqual(only(deployKey.run, "gitops-cluster:index:FluxBootstrap").dependsOn, [nodes.urn]);
    assert.deepStrictEqual(only(deployKey.run, "pulumi:providers:kubernetes").dependsOn, [nodes.urn]);
  });

  it("uses an existing Secret as is: no key is generated or registered", async () => {
    const { run } = await bootstrap({ ...settings, credentials: { kind: "existingSecret", secretName: "gitops-ssh" } });
    for (const type of ["tls:index/privateKey:PrivateKey", "kubernetes:core/v1:Secret", "github:index/repositoryDeployKey:RepositoryDeployKey"]) {
      assert.strictEqual(ofType(run, type).length, 0, `unexpected ${type}`);
    }
    assert.deepStrictEqual(at(kubernetesObject(run, "GitRepository"), "spec", "secretRef"), { name: "gitops-ssh" });
  });

  it("generates a key without registering it when the repository is not named on GitHub", async () => {
    const { run } = await bootstrap({ ...settings, credentials: { kind: "deployKey" } });
    assert.strictEqual(ofType(run, "tls:index/privateKey:PrivateKey").length, 1);
    assert.strictEqual(ofType(run, "github:index/repositoryDeployKey:RepositoryDeployKey").length, 0);
  });

  it("refuses a deploy key for a host whose SSH keys it cannot pin, naming flux.repoUrl", async () => {
    await assert.rejects(
      bootstrap({ ...settings, repoUrl: "ssh://git@gitlab.com/acme/gitops.git" }),
      /flux\.repoUrl must be an ssh:\/\/ URL on github\.com .*got "ssh:\/\/git@gitlab\.com\/acme\/gitops\.git"/,
    );
  });

  describe("deploy key rotation (flux.deployKeyGeneration)", () => {
    const byUrn = (run: ProgramRun) => new Map(run.resources.map((r) => [r.urn, r]));
    let older: Bootstrap;
    let newer: Bootstrap;
    before(async () => {
      older = await bootstrap({ ...settings, deployKeyGeneration: "1" });
      newer = await bootstrap({ ...settings, deployKeyGeneration: "2026-11-30" });
    });

    it("keeps the names of a stack without a generation, so upgrading rotates nothing", async () => {
      const plain = await bootstrap(settings);
      assert.deepStrictEqual(ofType(plain.run, "tls:index/privateKey:PrivateKey").map((r) => r.name), ["flux-deploy-key"]);
      assert.deepStrictEqual(ofType(plain.run, "github:index/repositoryDeployKey:RepositoryDeployKey").map((r) => r.name), ["flux-deploy-key"]);
    });

    it("changes the key, the GitHub deploy key and the Secret's content, and nothing else", () => {
      const [was, now] = [byUrn(older.run), byUrn(newer.run)];
      const gone = [...was.keys()].filter((urn) => !now.has(urn)).map((urn) => was.get(urn)!.name).sort();
      const added = [...now.keys()].filter((urn) => !was.has(urn)).map((urn) => now.get(urn)!.name).sort();
      // New names: Pulumi creates them first and deletes the old ones at the end of the update.
      assert.deepStrictEqual(gone, ["flux-deploy-key-1", "flux-deploy-key-1"]);
      assert.deepStrictEqual(added, ["flux-deploy-key-2026-11-30", "flux-deploy-key-2026-11-30"]);
      const changed = [...now.keys()]
        .filter((urn) => was.has(urn) && !isDeepStrictEqual({ ...was.get(urn)!, id: undefined }, { ...now.get(urn)!, id: undefined }))
        .map((urn) => now.get(urn)!.name);
      // The Secret keeps its name (updated in place); only its dependency on the registered key moved.
      assert.deepStrictEqual(changed, ["flux-git-credentials"]);
      assert.notStrictEqual(older.secretData!.identity, newer.secretData!.identity);
      const newKey = only(newer.run, "github:index/repositoryDeployKey:RepositoryDeployKey");
      assert.strictEqual(newer.secretData!["identity.pub"], newKey.inputs.key);
      assert.strictEqual(newKey.inputs.title, "flux acme-development (generation 2026-11-30)");
      assert.strictEqual(newKey.inputs.readOnly, true);
    });

    it("writes the new key into the Secret only after GitHub has registered it", () => {
      const secret = only(newer.run, "kubernetes:core/v1:Secret");
      assert.deepStrictEqual(secret.dependsOn, [only(newer.run, "github:index/repositoryDeployKey:RepositoryDeployKey").urn]);
    });
  });
});
