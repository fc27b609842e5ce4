import * as assert from "assert";
import { cloudCheckFromPreview, classifyFailure } from "../../drift/cloud";
import { PreviewParseError, driftedResources, parsePreviewJson, splitUrn } from "../../drift/preview";
import { parsePropertyPath, valueAtPath } from "../../drift/property-path";
import { containsSecret, maskSecrets } from "../../drift/secrets";
import { readPreviewFixture } from "./helpers";

const SIG = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

function drifted(name: string) {
  return driftedResources(parsePreviewJson(readPreviewFixture(name)));
}

describe("drift: reading pulumi preview --json", () => {
  it("finds nothing to change in a preview of only same/refresh steps", () => {
    assert.deepStrictEqual(drifted("no-changes"), []);
    const check = cloudCheckFromPreview({ stdout: readPreviewFixture("no-changes"), stderr: "", exitCode: 0 });
    assert.strictEqual(check.checked, true);
    assert.strictEqual(check.drift, false);
  });

  it("reports an update with each changed property, cloud value -> program value", () => {
    const [nodeGroup, subnet] = drifted("update");
    assert.strictEqual(nodeGroup.op, "update");
    assert.strictEqual(nodeGroup.type, "aws:eks/nodeGroup:NodeGroup");
    assert.strictEqual(nodeGroup.name, "production-system");
    const byPath = Object.fromEntries(nodeGroup.properties.map((p) => [p.path, [p.old, p.new]]));
    assert.deepStrictEqual(byPath, {
      "scalingConfig.desiredSize": [2, 5],
      "scalingConfig.minSize": [2, 3],
      "tags.team": ["payments", "platform"],
    });
    assert.deepStrictEqual(subnet.properties, [
      { path: 'tags["kubernetes.io/role/elb"]', kind: "add", secret: false, new: "1" },
    ]);
  });

  it("shows a replacement once, under `replace`, with the property that forces it", () => {
    const resources = drifted("replace");
    assert.strictEqual(resources.length, 1);
    assert.strictEqual(resources[0].op, "replace");
    assert.deepStrictEqual(resources[0].properties, [
      { path: "metadataOptions.httpTokens", kind: "update-replace", secret: false, old: "optional", new: "required" },
    ]);
  });

  it("reports a create and a delete with their resource types", () => {
    assert.deepStrictEqual(drifted("create").map((r) => [r.op, r.type, r.name]), [
      ["create", "kubernetes:core/v1:ConfigMap", "development-cluster-vars"],
    ]);
    assert.deepStrictEqual(drifted("delete").map((r) => [r.op, r.type, r.name]), [
      ["delete", "aws:eks/nodeGroup:NodeGroup", "development-batch"],
    ]);
  });

  it("masks secret values in either form the engine writes them, and inside secrets", () => {
    const [provider, gitSecret] = drifted("secret");
    assert.deepStrictEqual(provider.properties, [
      { path: "kubeconfig", kind: "update", secret: true, old: "[secret]", new: "[secret]" },
    ]);
    assert.deepStrictEqual(gitSecret.properties, [
      { path: "stringData.identity", kind: "update", secret: true, old: "[secret]", new: "[secret]" },
    ]);
    assert.ok(!JSON.stringify([provider, gitSecret]).includes("TOPSECRET"));
  });

  it("counts a refresh step only when it carries a difference the program does not set", () => {
    const urn = "urn:pulumi:production::gitops-cluster::aws:ec2/securityGroup:SecurityGroup::nodes";
    const state = (description: string) => ({ type: "aws:ec2/securityGroup:SecurityGroup", inputs: {}, outputs: { description } });
    const digest = {
      steps: [
        { op: "refresh", urn, oldState: state("nodes"), newState: state("nodes"), detailedDiff: null },
        { op: "refresh", urn: `${urn}-2`, oldState: state("nodes"), newState: state("edited in the console"), diffReasons: ["description"], detailedDiff: { description: { kind: "update", inputDiff: false } } },
      ],
    };
    assert.deepStrictEqual(driftedResources(digest).map((r) => [r.op, r.name, r.properties.map((p) => [p.path, p.old, p.new])]), [
      ["refresh", "nodes-2", [["description", "nodes", "edited in the console"]]],
    ]);
  });

  it("marks a changing diagnostic-free preview with a non-zero exit as drift (--expect-no-changes)", () => {
    const check = cloudCheckFromPreview({ stdout: readPreviewFixture("update"), stderr: "error: no changes were expected but changes were proposed\n", exitCode: 255 });
    assert.strictEqual(check.checked, true);
    assert.strictEqual(check.drift, true);
    assert.deepStrictEqual(check.summary, { same: 1, update: 2 });
  });

  it("names missing AWS credentials from the error diagnostics", () => {
    const check = cloudCheckFromPreview({ stdout: readPreviewFixture("no-credentials"), stderr: "", exitCode: 255 });
    assert.strictEqual(check.checked, false);
    assert.strictEqual(check.problem?.kind, "credentials");
    assert.match(check.problem!.message, /no usable AWS credentials/);
    assert.match(check.problem!.message, /No valid credential sources found/);
  });

  it("names a missing Pulumi login from stderr when no JSON was printed", () => {
    const check = cloudCheckFromPreview({ stdout: "", stderr: "error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions\n", exitCode: 255 });
    assert.strictEqual(check.problem?.kind, "login");
  });

  it("treats a non-zero exit with no changes and an unknown message as a failed preview, quoting it", () => {
    const problem = classifyFailure([], "error: an unhandled error occurred: program exited with code 1\n", 255);
    assert.strictEqual(problem.kind, "preview-failed");
    assert.match(problem.message, /program exited with code 1/);
    const check = cloudCheckFromPreview({ stdout: readPreviewFixture("no-changes"), stderr: "boom\n", exitCode: 1 });
    assert.strictEqual(check.checked, false);
    assert.match(check.problem!.message, /boom/);
  });

  it("rejects output that is not the preview document with a message, not a stack", () => {
    assert.throws(() => parsePreviewJson(""), (e: Error) => e instanceof PreviewParseError && /no JSON/.test(e.message));
    assert.throws(() => parsePreviewJson("Previewing update (production)"), /not JSON/);
    assert.throws(() => parsePreviewJson("[1]"), /not an object/);
    assert.throws(() => parsePreviewJson('{"steps":[{"urn":"x"}]}'), /steps\[0\] lacks a string op/);
    const check = cloudCheckFromPreview({ stdout: "{trunc", stderr: "", exitCode: 255 });
    assert.strictEqual(check.problem?.kind, "preview-failed");
    assert.match(check.problem!.message, /not JSON/);
  });
});

describe("drift: URNs, property paths and secrets", () => {
  it("takes type and name from the last segments of a URN", () => {
    assert.deepStrictEqual(
      splitUrn("urn:pulumi:prod::proj::a:index:Parent$eks:index:Cluster$aws:eks/cluster:Cluster::prod-eksCluster"),
      { type: "aws:eks/cluster:Cluster", name: "prod-eksCluster" },
    );
  });

  it("parses dotted, indexed and quoted property paths", () => {
    assert.deepStrictEqual(parsePropertyPath('vpcConfig.subnetIds[1]'), ["vpcConfig", "subnetIds", 1]);
    assert.deepStrictEqual(parsePropertyPath('tags["kubernetes.io/role/elb"].x'), ["tags", "kubernetes.io/role/elb", "x"]);
    assert.deepStrictEqual(parsePropertyPath('a["quo\\"te"]'), ["a", 'quo"te']);
    assert.strictEqual(valueAtPath({ vpcConfig: { subnetIds: ["s-1", "s-2"] } }, "vpcConfig.subnetIds[1]"), "s-2");
    assert.strictEqual(valueAtPath({ a: 1 }, "a.b.c"), undefined);
  });

  it("stops at a secret instead of reading inside it", () => {
    const wrapped = { [SIG]: SECRET_SIG, plaintext: '{"token":"abc"}' };
    assert.strictEqual(valueAtPath({ data: wrapped }, "data.token"), wrapped);
    assert.ok(containsSecret({ list: [1, { deep: wrapped }] }));
    assert.deepStrictEqual(maskSecrets({ a: [wrapped, "x"], b: "[secret]" }), { a: ["[secret]", "x"], b: "[secret]" });
  });
});
