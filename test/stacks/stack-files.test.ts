import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { CONTROL_PLANE_LOG_TYPES, defaultsFor } from "../../stacks/defaults";
import { CONFIG_KEYS, parseSettings, readStackConfig, readStackConfigFile } from "../../stacks/settings";
import type { Settings } from "../../stacks/types";
import { PROJECT_DIR, minimalConfig, problemsOf } from "./helpers";

const STACKS = ["development", "production"] as const;

function settingsOfStackFile(stack: string): Settings {
  const awsRegion = readStackConfig(PROJECT_DIR, stack)["aws:region"];
  return parseSettings(readStackConfigFile(PROJECT_DIR, stack), stack, "gitops-cluster", awsRegion as string);
}

interface DeclaredKey {
  type?: string;
  items?: { type: string };
  default?: unknown;
  value?: unknown;
  description?: string;
}

function projectConfig(): Record<string, DeclaredKey> {
  const project = YAML.parse(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), "utf8"));
  return project.config;
}

describe("stack files", () => {
  for (const stack of STACKS) {
    it(`Pulumi.${stack}.yaml gives valid ${stack} settings with the values it states`, () => {
      const settings = settingsOfStackFile(stack);
      const file = readStackConfig(PROJECT_DIR, stack);
      assert.equal(settings.environment, stack);
      assert.equal(settings.region, file["aws:region"]);
      assert.equal(settings.cluster.name, (file["gitops-cluster:cluster"] as { name: string }).name);
      assert.equal(settings.flux.repoUrl, "ssh://git@github.com/acme/gitops.git");
      assert.deepEqual(settings.flux.credentials, { kind: "deployKey", github: { owner: "acme", repository: "gitops" } });
    });

    it(`Pulumi.${stack}.yaml points at a cluster and an overlay directory the example repository has`, () => {
      const { gitops, flux, injection } = settingsOfStackFile(stack);
      const repo = path.join(PROJECT_DIR, gitops.repoDir);
      assert.ok(fs.statSync(path.join(repo, gitops.clusterPath)).isDirectory(), gitops.clusterPath);
      assert.ok(fs.statSync(path.join(repo, injection.overlayDir)).isDirectory(), injection.overlayDir);
      assert.equal(flux.path, `./clusters/${stack}`);
    });
  }

  it("production is protected, encrypted, logged, spread and sized beyond development", () => {
    const development = settingsOfStackFile("development");
    const production = settingsOfStackFile("production");
    assert.deepEqual(
      [development.cluster.secretsEncryption, development.cluster.protect],
      [false, false],
    );
    assert.deepEqual([production.cluster.secretsEncryption, production.cluster.protect], [true, true]);
    assert.deepEqual(production.cluster.logTypes, [...CONTROL_PLANE_LOG_TYPES]);
    assert.deepEqual(
      [development.network.zoneCount, production.network.zoneCount],
      [2, 3],
    );
    assert.deepEqual([development.network.natGateways, production.network.natGateways], ["single", "perZone"]);
    assert.ok(!production.cluster.publicAccessCidrs.includes("0.0.0.0/0"));
    assert.ok(production.nodeGroups.every((group) => group.capacityType === "ON_DEMAND" && group.minSize >= 3));
    assert.equal(development.nodeGroups[0].capacityType, "SPOT");
  });
});

describe("environment defaults", () => {
  // The least a stack can say: what differs comes from the environment's defaults alone.
  const development = parseSettings(minimalConfig(), "development");
  const production = parseSettings(minimalConfig(), "production");

  it("give production three zones with a NAT gateway each, development two sharing one", () => {
    assert.deepEqual(development.network, { vpcCidr: "10.10.0.0/16", zoneCount: 2, natGateways: "single" });
    assert.deepEqual(production.network, { vpcCidr: "10.20.0.0/16", zoneCount: 3, natGateways: "perZone" });
  });

  it("give production a private endpoint, KMS secrets, protection and all five log types", () => {
    const pick = ({ cluster }: Settings) => ({
      endpointPublicAccess: cluster.endpointPublicAccess,
      endpointPrivateAccess: cluster.endpointPrivateAccess,
      secretsEncryption: cluster.secretsEncryption,
      protect: cluster.protect,
      logTypes: cluster.logTypes,
    });
    assert.deepEqual(pick(development), {
      endpointPublicAccess: true,
      endpointPrivateAccess: true,
      secretsEncryption: false,
      protect: false,
      logTypes: ["api", "audit"],
    });
    assert.deepEqual(pick(production), {
      endpointPublicAccess: false,
      endpointPrivateAccess: true,
      secretsEncryption: true,
      protect: true,
      logTypes: ["api", "audit", "authenticator", "controllerManager", "scheduler"],
    });
  });

  it("give production on-demand nodes, at least three, with larger disks; development Spot", () => {
    const [dev] = development.nodeGroups;
    const [prod] = production.nodeGroups;
    assert.deepEqual([dev.capacityType, prod.capacityType], ["SPOT", "ON_DEMAND"]);
    assert.ok(prod.minSize >= 3 && dev.minSize < prod.minSize, `${dev.minSize} vs ${prod.minSize}`);
    assert.ok(prod.diskSize > dev.diskSize);
    assert.ok(dev.minSize <= dev.desiredSize && dev.desiredSize <= dev.maxSize);
    assert.ok(prod.minSize <= prod.desiredSize && prod.desiredSize <= prod.maxSize);
  });

  it("reconcile development faster than production, from the environment's own directories", () => {
    assert.deepEqual(
      [development.flux.interval, production.flux.interval],
      ["1m", "5m"],
    );
    for (const settings of [development, production]) {
      const env = settings.environment;
      assert.equal(settings.gitops.repoDir, "examples/gitops");
      assert.equal(settings.gitops.clusterPath, `clusters/${env}`);
      assert.equal(settings.flux.path, `./clusters/${env}`);
      assert.equal(settings.injection.overlayDir, `infrastructure/kustomized/overlays/${env}`);
      assert.deepEqual(
        [settings.injection.mode, settings.injection.key, settings.injection.valueForm],
        ["substitute", "iam_role", "auto"],
      );
    }
  });

  it("give production nodes encrypted root volumes, and both hop limit 2 for the EBS CSI node plugin", () => {
    assert.deepEqual(
      [production.cluster.nodeMetadataHopLimit, production.cluster.encryptNodeVolumes],
      [2, true],
    );
    assert.deepEqual([development.cluster.nodeMetadataHopLimit, development.cluster.encryptNodeVolumes], [2, false]);
    assert.deepEqual([development.cluster.pipelineRoles, production.cluster.pipelineRoles], [{}, {}]);
  });

  it("pin concrete Flux and flux-operator chart versions: Flux 2.9.4", () => {
    for (const settings of [development, production]) {
      assert.equal(settings.flux.version, "2.9.4");
      assert.match(settings.flux.version, /^2\.\d+\.\d+$/);
      assert.match(settings.flux.operatorChartVersion, /^\d+\.\d+\.\d+$/);
    }
  });

  it("are copies: changing what one caller got does not change the next", () => {
    defaultsFor("production").cluster.logTypes.pop();
    assert.equal(defaultsFor("production").cluster.logTypes.length, 5);
  });

  it("each pass their own validation", () => {
    // Production defaults must satisfy the production rules without help from the stack file.
    for (const stack of STACKS) assert.doesNotThrow(() => parseSettings(minimalConfig(), stack));
  });
});

describe("Pulumi.yaml config schema", () => {
  let declared: Record<string, DeclaredKey>;
  before(() => (declared = projectConfig()));

  it("declares exactly the keys the program reads, each with a type Pulumi supports and a description", () => {
    assert.deepEqual(Object.keys(declared).sort(), Object.keys(CONFIG_KEYS).sort());
    for (const [key, type] of Object.entries(CONFIG_KEYS)) {
      assert.equal(declared[key].type, type, key);
      assert.ok((declared[key].description ?? "").length > 20, `${key} needs a description`);
    }
  });

  it("follows Pulumi's rules for project config: arrays name their items, defaults fit the type, no value", () => {
    const fits: Record<string, (value: unknown) => boolean> = {
      string: (value) => typeof value === "string",
      object: (value) => typeof value === "object" && value !== null && !Array.isArray(value),
      array: Array.isArray,
      boolean: (value) => typeof value === "boolean",
      integer: Number.isInteger,
    };
    for (const [key, declaration] of Object.entries(declared)) {
      assert.ok(["string", "integer", "boolean", "array", "object"].includes(declaration.type ?? ""), key);
      assert.equal(declaration.value, undefined, `${key}: a project-namespaced key takes a default, not a value`);
      if (declaration.type === "array") assert.ok(declaration.items?.type, `${key} must declare items`);
      if (declaration.default !== undefined) assert.ok(fits[declaration.type!](declaration.default), key);
    }
  });

  it("leaves without a default exactly the keys the program requires", () => {
    // The Pulumi CLI refuses a stack that lacks a declared key without a default; the program
    // must require the same keys, or the two would disagree about what a stack needs.
    const withoutDefault = Object.keys(declared).filter((key) => declared[key].default === undefined);
    const problems = problemsOf({}, "development", "eu-west-1");
    const required = problems
      .filter((problem) => / is required /.test(problem))
      .map((problem) => problem.replace(/^gitops-cluster:(\S+) .*$/, "$1"));
    assert.deepEqual(required.sort(), withoutDefault.sort());
  });

  it("defaults mean 'the environment's defaults': a stack given them settles the same", () => {
    // The CLI fills keys a stack leaves out with the Pulumi.yaml default before the program runs.
    const projectDefaults = Object.fromEntries(
      Object.entries(declared)
        .filter(([, declaration]) => declaration.default !== undefined)
        .map(([key, declaration]) => [key, declaration.default]),
    );
    for (const stack of STACKS) {
      const withDefaults = parseSettings({ ...projectDefaults, ...minimalConfig() }, stack);
      assert.deepEqual(withDefaults, parseSettings(minimalConfig(), stack));
    }
  });

  it("declares every gitops-cluster key the stack files use, and they use no other namespace than aws", () => {
    for (const stack of STACKS) {
      const file = readStackConfig(PROJECT_DIR, stack);
      for (const key of Object.keys(file)) {
        const [namespace, name] = key.split(":");
        assert.ok(namespace === "gitops-cluster" || namespace === "aws", `${stack}: ${key}`);
        if (namespace === "gitops-cluster") assert.ok(name in declared, `${stack}: ${key} is not declared`);
      }
    }
  });
});

describe("readStackConfigFile", () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "stack-file-"))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("returns the gitops-cluster keys without their prefix, and nothing else", () => {
    fs.writeFileSync(
      path.join(dir, "Pulumi.demo.yaml"),
      "config:\n  aws:region: eu-west-1\n  gitops-cluster:region: eu-west-1\n  gitops-cluster:network:\n    zoneCount: 3\n",
    );
    assert.deepEqual(readStackConfigFile(dir, "demo"), { region: "eu-west-1", network: { zoneCount: 3 } });
  });

  it("names the file and line of bad YAML", () => {
    fs.writeFileSync(
      path.join(dir, "Pulumi.broken.yaml"),
      "config:\n  gitops-cluster:region: eu-west-1\n  gitops-cluster:region: eu-west-2\n",
    );
    assert.throws(() => readStackConfigFile(dir, "broken"), {
      name: "SettingsError",
      message: /^Pulumi\.broken\.yaml:3: YAML parse error: Map keys must be unique/,
    });
  });

  it("says which stack file is missing and where it looked", () => {
    assert.throws(() => readStackConfigFile(dir, "staging"), {
      name: "SettingsError",
      message: `Pulumi.staging.yaml: not found in ${dir} (expected the settings file of stack "staging")`,
    });
  });

  it("refuses a file that is not a map", () => {
    fs.writeFileSync(path.join(dir, "Pulumi.list.yaml"), "- config\n");
    assert.throws(() => readStackConfigFile(dir, "list"), {
      message: 'Pulumi.list.yaml: must be a map with a config: key (got ["config"])',
    });
  });

  it("refuses a config that is not a map", () => {
    fs.writeFileSync(path.join(dir, "Pulumi.list.yaml"), "config:\n  - gitops-cluster:region\n");
    assert.throws(() => readStackConfigFile(dir, "list"), {
      message: 'Pulumi.list.yaml: config must be a map of namespace:key to value (got ["gitops-cluster:region"])',
    });
  });

  it("returns nothing for a stack file without config", () => {
    fs.writeFileSync(path.join(dir, "Pulumi.empty.yaml"), "# no settings yet\n");
    assert.deepEqual(readStackConfigFile(dir, "empty"), {});
  });
});
