/**
 * Settings of a development and a production stack, built directly (not read from config) so the
 * component tests do not depend on stacks/settings.ts.
 */
import type { Settings } from "../../stacks/types";

export function developmentSettings(): Settings {
  return {
    project: "gitops-cluster",
    stack: "development",
    environment: "development",
    region: "eu-west-1",
    tags: { project: "gitops-cluster", environment: "development" },
    network: { vpcCidr: "10.10.0.0/16", zoneCount: 2, natGateways: "single" },
    cluster: {
      name: "gitops-development",
      kubernetesVersion: "1.35",
      endpointPublicAccess: true,
      endpointPrivateAccess: true,
      publicAccessCidrs: ["0.0.0.0/0"],
      privateEndpointAccess: { cidrs: [], securityGroupIds: [] },
      secretsEncryption: false,
      logTypes: ["api", "audit"],
      adminPrincipalArns: ["arn:aws:iam::123456789012:role/platform-admin"],
      protect: false,
      pipelineRoles: {},
      nodeMetadataHopLimit: 2,
      encryptNodeVolumes: false,
    },
    nodeGroups: [
      {
        name: "general",
        instanceTypes: ["t3.large", "t3a.large"],
        capacityType: "SPOT",
        minSize: 1,
        maxSize: 3,
        desiredSize: 2,
        diskSize: 30,
        labels: { workload: "general" },
        taints: [],
        dedicatedRole: false,
      },
      {
        name: "batch",
        instanceTypes: ["c7i.xlarge"],
        capacityType: "ON_DEMAND",
        minSize: 0,
        maxSize: 4,
        desiredSize: 1,
        diskSize: 80,
        labels: { workload: "batch" },
        taints: [{ key: "dedicated", value: "batch", effect: "NO_SCHEDULE" }],
        dedicatedRole: false,
      },
    ],
    flux: {
      version: "2.9.4",
      operatorChartVersion: "0.60.0",
      repoUrl: "ssh://git@github.com/acme/gitops.git",
      branch: "main",
      path: "./clusters/development",
      interval: "1m",
      credentials: { kind: "deployKey", github: { owner: "acme", repository: "gitops" } },
      deletionTimeout: "15m",
    },
    gitops: { repoDir: "examples/gitops", clusterPath: "clusters/development", extraProviders: [], preinstalledGroups: [], sources: [], bootstrapFiles: [] },
    injection: {
      mode: "substitute",
      key: "iam_role",
      valueForm: "auto",
      overlayDir: "infrastructure/kustomized/overlays/development",
      namespaceNodeGroups: {},
    },
    addons: {
      vpcCni: true, kubeProxy: true, coredns: true, podIdentityAgent: true, ebsCsiDriver: true, loadBalancerController: true, metricsServer: true,
      versions: {}, hostedZoneIds: ["Z0EXAMPLE1234567"],
    },
    podIdentities: [],
    decommission: false,
  };
}

export function productionSettings(): Settings {
  const dev = developmentSettings();
  return {
    ...dev,
    stack: "production",
    environment: "production",
    tags: { project: "gitops-cluster", environment: "production" },
    network: { vpcCidr: "10.20.0.0/16", zoneCount: 3, natGateways: "perZone" },
    cluster: {
      ...dev.cluster,
      name: "gitops-production",
      endpointPublicAccess: false,
      publicAccessCidrs: [],
      privateEndpointAccess: { cidrs: [], securityGroupIds: [] },
      secretsEncryption: true,
      logTypes: ["api", "audit", "authenticator", "controllerManager", "scheduler"],
      protect: true,
      nodeMetadataHopLimit: 1,
      encryptNodeVolumes: true,
    },
    nodeGroups: [{ ...dev.nodeGroups[0], instanceTypes: ["m7i.large"], capacityType: "ON_DEMAND", minSize: 3, maxSize: 6, desiredSize: 3, diskSize: 50 }],
    flux: { ...dev.flux, path: "./clusters/production", interval: "5m" },
    gitops: { ...dev.gitops, clusterPath: "clusters/production" },
  };
}
