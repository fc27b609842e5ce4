import * as assert from "node:assert/strict";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { asPulumiConfig, parseSettings, readStackConfig, readStackConfigFile } from "../../stacks/settings";
import type { Settings } from "../../stacks/types";
import { PROJECT_DIR } from "./helpers";

interface Loaded {
  settings?: Settings;
  error?: { name: string; message: string };
}

const productionFile = asPulumiConfig(readStackConfig(PROJECT_DIR, "production"));

/** What the Pulumi CLI adds for declared keys a stack leaves out: the Pulumi.yaml defaults. */
function projectDefaults(): Record<string, unknown> {
  const { config } = YAML.parse(fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), "utf8"));
  return Object.fromEntries(
    Object.entries(config as Record<string, { default?: unknown }>)
      .filter(([, declaration]) => declaration.default !== undefined)
      .map(([key, declaration]) => [`gitops-cluster:${key}`, declaration.default]),
  );
}

const CASES = {
  productionFile: { project: "gitops-cluster", stack: "production", config: productionFile },
  developmentAsCliPassesIt: {
    project: "gitops-cluster",
    stack: "development",
    config: asPulumiConfig({ ...projectDefaults(), ...readStackConfig(PROJECT_DIR, "development") }),
  },
  setByCli: {
    project: "acme-platform",
    stack: "team-a",
    config: {
      "aws:region": "eu-central-1",
      "gitops-cluster:environment": "development",
      "gitops-cluster:nodeGroups": JSON.stringify([{ name: "general", minSize: "2", maxSize: "4" }]),
      "gitops-cluster:flux": JSON.stringify({ repoUrl: "ssh://git@github.com/acme/gitops.git" }),
      "gitops-cluster:cluster": JSON.stringify({ protect: "true" }),
    },
  },
  bad: {
    project: "gitops-cluster",
    stack: "development",
    config: {
      "aws:region": "eu-west-1",
      "gitops-cluster:cluster": "acme",
      "gitops-cluster:nodeGroups": JSON.stringify([{ name: "general", minSize: 3, maxSize: 1 }]),
      "gitops-cluster:flux": JSON.stringify({ repoUrl: "ssh://git@github.com/acme/gitops.git" }),
      "gitops-cluster:regoin": "eu-west-1",
    },
  },
};

describe("loadSettings under the Pulumi runtime", function () {
  // One Node process, which loads ts-node and the Pulumi SDK, runs every case in turn.
  this.timeout(60_000);
  const loaded = {} as Record<keyof typeof CASES, Loaded>;

  before(() => {
    const names = Object.keys(CASES) as (keyof typeof CASES)[];
    const output = execFileSync(
      process.execPath,
      [
        "-r",
        "ts-node/register/transpile-only",
        path.join(__dirname, "load-settings.child.ts"),
        JSON.stringify(names.map((name) => CASES[name])),
      ],
      { cwd: PROJECT_DIR, encoding: "utf8" },
    );
    const results = JSON.parse(output) as Loaded[];
    names.forEach((name, index) => (loaded[name] = results[index]));
  });

  it("reads Pulumi.production.yaml as the engine passes it, with the same result as parseSettings", () => {
    assert.equal(typeof productionFile["gitops-cluster:nodeGroups"], "string", "structured values travel as JSON text");
    const { settings, error } = loaded.productionFile;
    assert.equal(error, undefined, error?.message);
    const expected = parseSettings(readStackConfigFile(PROJECT_DIR, "production"), "production", "gitops-cluster", "eu-west-1");
    assert.deepEqual(settings, expected);
  });

  it("reads Pulumi.development.yaml with the Pulumi.yaml defaults the CLI adds, region from aws:region", () => {
    const { config } = CASES.developmentAsCliPassesIt;
    assert.deepEqual([config["gitops-cluster:region"], config["gitops-cluster:network"]], ["", "{}"]);
    const { settings, error } = loaded.developmentAsCliPassesIt;
    assert.equal(error, undefined, error?.message);
    const expected = parseSettings(readStackConfigFile(PROJECT_DIR, "development"), "development", "gitops-cluster", "eu-west-1");
    assert.deepEqual(settings, expected);
  });

  it("takes scalars as the strings `pulumi config set` stores, project and stack from the runtime, the region from aws:region", () => {
    const { settings, error } = loaded.setByCli;
    assert.equal(error, undefined, error?.message);
    assert.deepEqual(
      [settings?.project, settings?.stack, settings?.environment, settings?.region, settings?.cluster.name],
      ["acme-platform", "team-a", "development", "eu-central-1", "acme-platform-team-a"],
    );
    const [group] = settings?.nodeGroups ?? [];
    assert.deepEqual([group?.minSize, group?.maxSize, settings?.cluster.protect], [2, 4, true]);
  });

  it("reports bad config as a SettingsError naming each key, including a structured value that is not JSON", () => {
    const { error } = loaded.bad;
    assert.equal(error?.name, "SettingsError");
    assert.deepEqual(error?.message.split("\n"), [
      'gitops-cluster:regoin is not a known key (got "eu-west-1"); did you mean gitops-cluster:region?',
      'gitops-cluster:cluster must be an object with keys name, kubernetesVersion, endpointPublicAccess, endpointPrivateAccess, publicAccessCidrs, endpointAccess, secretsEncryption, logTypes, adminPrincipalArns, protect, pipelineRoles, creatorPrincipalArn, nodeMetadataHopLimit, encryptNodeVolumes (got "acme")',
      "gitops-cluster:nodeGroups[0].maxSize must be >= minSize (got 1 < 3)",
    ]);
  });
});
