/**
 * Writes a synthetic GitOps repository in the seed's layout for the verify benchmark: a platform
 * (`sources`, `cert-manager-install`) and tenants, each a Flux Kustomization in
 * `clusters/bench/` whose path holds the tenant's own Kustomizations: namespaces, a Helm install
 * (a chart from the provider table, `wait: true`), CRDs of the tenant's own API group, and apps
 * that use custom resources of all three, chained by dependsOn. Exactly `kustomizations`
 * Kustomizations and 10 manifests per Kustomization; the same inputs give the same bytes.
 *
 *   node bin/run-ts.js bench/generate.ts DIR [--kustomizations 2000]
 */
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";

export const MANIFESTS_PER_KUSTOMIZATION = 10;
export const BENCH_CLUSTER = "clusters/bench";

export interface GeneratedRepository {
  dir: string;
  kustomizations: number;
  /** Kubernetes manifest files (kustomization.yaml files not counted). */
  manifests: number;
  /** Every file written, manifests and kustomization.yaml files. */
  files: number;
}

/** Charts whose CRDs the tenants install, with a custom resource of each for the apps to use. */
const CHARTS: Array<{ chart: string; values: string; cr: (name: string) => string }> = [
  {
    chart: "kube-prometheus-stack",
    values: "    crds:\n      enabled: true\n",
    cr: (n) => `apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata:\n  name: ${n}\nspec:\n  selector:\n    matchLabels:\n      app: ${n}\n  endpoints:\n    - port: http\n      interval: 30s\n`,
  },
  {
    chart: "external-secrets",
    values: "    installCRDs: true\n",
    cr: (n) => `apiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\nmetadata:\n  name: ${n}\nspec:\n  refreshInterval: 1h\n  secretStoreRef:\n    kind: ClusterSecretStore\n    name: aws-secrets-manager\n  target:\n    name: ${n}\n  dataFrom:\n    - extract:\n        key: bench/${n}\n`,
  },
  {
    chart: "flagger",
    values: "    meshProvider: kubernetes\n",
    cr: (n) => `apiVersion: flagger.app/v1beta1\nkind: Canary\nmetadata:\n  name: ${n}\nspec:\n  provider: kubernetes\n  targetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: ${n}\n  service:\n    port: 80\n  analysis:\n    interval: 1m\n    threshold: 2\n    iterations: 5\n`,
  },
  {
    chart: "velero",
    values: "    upgradeCRDs: true\n",
    cr: (n) => `apiVersion: velero.io/v1\nkind: Schedule\nmetadata:\n  name: ${n}\nspec:\n  schedule: "0 3 * * *"\n  template:\n    includedNamespaces:\n      - "*"\n    ttl: 168h0m0s\n`,
  },
  {
    chart: "kyverno",
    values: "    crds:\n      install: true\n",
    cr: (n) => `apiVersion: kyverno.io/v1\nkind: Policy\nmetadata:\n  name: ${n}\nspec:\n  validationFailureAction: Audit\n  rules:\n    - name: require-labels\n      match:\n        any:\n          - resources:\n              kinds: [Pod]\n      validate:\n        message: "label app is required"\n        pattern:\n          metadata:\n            labels:\n              app: "?*"\n`,
  },
  {
    chart: "traefik",
    values: "    ingressRoute:\n      dashboard:\n        enabled: false\n",
    cr: (n) => `apiVersion: traefik.io/v1alpha1\nkind: IngressRoute\nmetadata:\n  name: ${n}\nspec:\n  entryPoints: [web]\n  routes:\n    - match: PathPrefix(\`/${n}\`)\n      kind: Rule\n      services:\n        - name: ${n}\n          port: 80\n`,
  },
];

const APPS_PER_TENANT = 16;
/** namespaces, install, crds, and the tenant's root Kustomization. */
const FIXED_PER_TENANT = 4;

function fluxKustomization(o: {
  name: string;
  namespace: string;
  path: string;
  dependsOn?: Array<{ name: string; namespace?: string }>;
  wait?: boolean;
  substitute?: Record<string, string>;
}): string {
  let s =
    `apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: ${o.name}\n  namespace: ${o.namespace}\n` +
    `spec:\n  interval: 10m\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n    namespace: flux-system\n` +
    `  path: ${o.path}\n  prune: true\n`;
  if (o.dependsOn && o.dependsOn.length > 0) {
    s += "  dependsOn:\n";
    for (const d of o.dependsOn) s += `    - name: ${d.name}\n${d.namespace ? `      namespace: ${d.namespace}\n` : ""}`;
  }
  if (o.wait) s += "  wait: true\n  timeout: 10m\n";
  if (o.substitute) {
    s += "  postBuild:\n    substitute:\n";
    for (const [k, v] of Object.entries(o.substitute)) s += `      ${k}: "${v}"\n`;
  }
  return s;
}

function crd(group: string, kind: string): string {
  const plural = `${kind.toLowerCase()}s`;
  return (
    `apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: ${plural}.${group}\n` +
    `spec:\n  group: ${group}\n  names:\n    kind: ${kind}\n    plural: ${plural}\n    singular: ${kind.toLowerCase()}\n` +
    `  scope: Namespaced\n  versions:\n    - name: v1\n      served: true\n      storage: true\n      schema:\n` +
    `        openAPIV3Schema:\n          type: object\n          x-kubernetes-preserve-unknown-fields: true\n`
  );
}

/** The files of one app, `count` of them: the workload, its custom resources, then ConfigMaps to fill. */
function appFiles(app: string, ns: string, chartCr: (n: string) => string, ownGroup: string, count: number): Array<[string, string]> {
  const files: Array<[string, string]> = [
    [
      "deployment.yaml",
      `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${app}\n  namespace: ${ns}\n  labels:\n    app: ${app}\nspec:\n  selector:\n    matchLabels:\n      app: ${app}\n  template:\n    metadata:\n      labels:\n        app: ${app}\n    spec:\n      serviceAccountName: ${app}\n      containers:\n        - name: app\n          image: ghcr.io/example/${app}:1.0.0\n          ports:\n            - name: http\n              containerPort: 8080\n          envFrom:\n            - configMapRef:\n                name: ${app}-settings\n          resources:\n            requests:\n              cpu: 50m\n              memory: 64Mi\n`,
    ],
    [
      "service.yaml",
      `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${app}-http\n  namespace: ${ns}\nspec:\n  selector:\n    app: ${app}\n  ports:\n    - name: http\n      port: 80\n      targetPort: http\n`,
    ],
    ["service-account.yaml", `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ${app}\n  namespace: ${ns}\n`],
    [
      "hpa.yaml",
      `apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: ${app}\n  namespace: ${ns}\nspec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: ${app}\n  minReplicas: 2\n  maxReplicas: 6\n  metrics:\n    - type: Resource\n      resource:\n        name: cpu\n        target:\n          type: Utilization\n          averageUtilization: 75\n`,
    ],
    [
      "settings.yaml",
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${app}-settings\n  namespace: ${ns}\ndata:\n  ENVIRONMENT: "\${APP_ENV}"\n  LOG_LEVEL: info\n`,
    ],
    [
      "certificate.yaml",
      `apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: ${app}\n  namespace: ${ns}\nspec:\n  secretName: ${app}-tls\n  dnsNames:\n    - ${app}.${ns}.example.com\n  issuerRef:\n    kind: ClusterIssuer\n    name: letsencrypt\n`,
    ],
    ["chart-resource.yaml", chartCr(app).replace("metadata:\n", `metadata:\n  namespace: ${ns}\n`)],
    [
      "widget.yaml",
      `apiVersion: ${ownGroup}/v1\nkind: Widget\nmetadata:\n  name: ${app}\n  namespace: ${ns}\nspec:\n  size: 3\n  owner: ${app}\n`,
    ],
  ];
  for (let i = 0; files.length < count; i++) {
    files.push([
      `config-${i}.yaml`,
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${app}-config-${i}\n  namespace: ${ns}\ndata:\n  feature-${i}.properties: |\n    enabled=true\n    rollout=${(i * 7) % 100}\n`,
    ]);
  }
  if (files.length > count) throw new Error(`an app needs at least ${files.length} files, got ${count}`);
  return files;
}

/** Writes the repository into `dir` (which must not exist or be empty). */
export function generateRepository(dir: string, kustomizations: number): GeneratedRepository {
  const platform = 2; // sources, cert-manager-install
  const perTenant = FIXED_PER_TENANT + APPS_PER_TENANT;
  if (!Number.isInteger(kustomizations) || kustomizations < platform + perTenant) {
    throw new Error(`--kustomizations must be an integer >= ${platform + perTenant}, got ${kustomizations}`);
  }
  let files = 0;
  let manifests = 0;
  const write = (rel: string, text: string, isManifest = true) => {
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    files++;
    if (isManifest) manifests++;
  };

  // Tenants get FIXED_PER_TENANT Kustomizations plus as many apps as the total leaves (the last
  // tenant may have fewer apps, never fewer than one).
  const tenantApps: number[] = [];
  for (let left = kustomizations - platform; left > 0; ) {
    const apps = Math.min(APPS_PER_TENANT, left - FIXED_PER_TENANT);
    if (apps < 1) {
      tenantApps[tenantApps.length - 1] += left; // too few for another tenant: widen the last one
      break;
    }
    tenantApps.push(apps);
    left -= FIXED_PER_TENANT + apps;
  }

  const manifestBudget = kustomizations * MANIFESTS_PER_KUSTOMIZATION;
  // The platform.
  write(`${BENCH_CLUSTER}/sources.yaml`, fluxKustomization({ name: "sources", namespace: "flux-system", path: "./infrastructure/sources", wait: true }));
  write(
    `${BENCH_CLUSTER}/cert-manager-install.yaml`,
    fluxKustomization({ name: "cert-manager-install", namespace: "flux-system", path: "./infrastructure/cert-manager", dependsOn: [{ name: "sources" }], wait: true }),
  );
  const repositories = ["jetstack", ...CHARTS.map((c) => c.chart)];
  repositories.forEach((r) =>
    write(`infrastructure/sources/${r}.yaml`, `apiVersion: source.toolkit.fluxcd.io/v1\nkind: HelmRepository\nmetadata:\n  name: ${r}\n  namespace: flux-system\nspec:\n  interval: 1h\n  url: https://charts.example.com/${r}\n`),
  );
  write(
    "infrastructure/cert-manager/helm-release.yaml",
    `apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: cert-manager\n  namespace: cert-manager\nspec:\n  interval: 30m\n  chart:\n    spec:\n      chart: cert-manager\n      version: v1.16.2\n      sourceRef:\n        kind: HelmRepository\n        name: jetstack\n        namespace: flux-system\n  values:\n    crds:\n      enabled: true\n`,
  );
  write("infrastructure/cert-manager/namespace.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: cert-manager\n");

  // Tenants: everything but the apps' files first, so the apps can take what the budget leaves.
  const apps: Array<{ dir: string; app: string; ns: string; chart: (typeof CHARTS)[number]; group: string; kustomizationFile: boolean }> = [];
  tenantApps.forEach((appCount, t) => {
    const tenant = `tenant-${String(t).padStart(3, "0")}`;
    const ns = tenant;
    const chart = CHARTS[t % CHARTS.length];
    const group = `${tenant}.bench.example.com`;
    const base = `tenants/${tenant}`;
    // Tenants are onboarded one after the other: each root waits for the previous one.
    write(
      `${BENCH_CLUSTER}/${tenant}.yaml`,
      fluxKustomization({
        name: tenant,
        namespace: "flux-system",
        path: `./${base}/flux`,
        dependsOn: t === 0 ? [{ name: "cert-manager-install" }] : [{ name: `tenant-${String(t - 1).padStart(3, "0")}` }],
      }),
    );
    write(`${base}/flux/namespaces.yaml`, fluxKustomization({ name: "namespaces", namespace: ns, path: `./${base}/namespaces`, wait: true }));
    write(
      `${base}/flux/install.yaml`,
      fluxKustomization({ name: `${chart.chart}-install`, namespace: ns, path: `./${base}/install`, dependsOn: [{ name: "namespaces" }, { name: "sources", namespace: "flux-system" }], wait: true }),
    );
    write(`${base}/flux/crds.yaml`, fluxKustomization({ name: "crds", namespace: ns, path: `./${base}/crds`, wait: true }));
    write(`${base}/namespaces/namespace.yaml`, `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${ns}\n  labels:\n    tenant: ${tenant}\n`);
    write(
      `${base}/install/helm-release.yaml`,
      `apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: ${chart.chart}\n  namespace: ${ns}\nspec:\n  interval: 30m\n  chart:\n    spec:\n      chart: ${chart.chart}\n      version: "*"\n      sourceRef:\n        kind: HelmRepository\n        name: ${chart.chart}\n        namespace: flux-system\n  install:\n    remediation:\n      retries: 3\n  values:\n${chart.values}`,
    );
    write(`${base}/crds/widgets.yaml`, crd(group, "Widget"));
    write(`${base}/crds/gadgets.yaml`, crd(group, "Gadget"));
    for (let a = 0; a < appCount; a++) {
      const app = `app-${String(a).padStart(2, "0")}`;
      const dependsOn = [{ name: `${chart.chart}-install` }, { name: "crds" }, { name: "cert-manager-install", namespace: "flux-system" }];
      if (a > 0) dependsOn.push({ name: `app-${String(a - 1).padStart(2, "0")}` });
      write(
        `${base}/flux/${app}.yaml`,
        fluxKustomization({ name: app, namespace: ns, path: `./${base}/apps/${app}`, dependsOn, wait: a % 2 === 0, substitute: { APP_ENV: "bench" } }),
      );
      // Half the apps list their files in a kustomization.yaml, half leave it to Flux to generate one.
      apps.push({ dir: `${base}/apps/${app}`, app, ns, chart, group, kustomizationFile: a % 2 === 1 });
    }
  });

  let remaining = manifestBudget - manifests;
  apps.forEach(({ dir: appDir, app, ns, chart, group, kustomizationFile }, i) => {
    const share = Math.floor(remaining / (apps.length - i));
    remaining -= share;
    const appManifests = appFiles(app, ns, chart.cr, group, share);
    for (const [name, text] of appManifests) write(`${appDir}/${name}`, text);
    if (kustomizationFile) {
      const list = appManifests.map(([name]) => `  - ${name}\n`).join("");
      write(`${appDir}/kustomization.yaml`, `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n${list}`, false);
    }
  });
  return { dir, kustomizations, manifests, files };
}

// Run directly (`node bin/run-ts.js bench/generate.ts DIR`): bin/run-ts.js is then our parent.
if (require.main === module || module.parent === require.main) {
  const { values, positionals } = parseArgs({
    options: { kustomizations: { type: "string", default: "2000" } },
    allowPositionals: true,
  });
  if (positionals.length !== 1) {
    process.stderr.write("usage: generate.ts DIR [--kustomizations N]\n");
    process.exit(2);
  }
  const repo = generateRepository(path.resolve(positionals[0]), Number(values.kustomizations));
  process.stdout.write(`${repo.dir}: ${repo.kustomizations} Kustomizations, ${repo.manifests} manifests, ${repo.files} files\n`);
}
