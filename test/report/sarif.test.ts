import * as assert from "assert";
import { renderSarif, renderText, RULE_DESCRIPTIONS } from "../../gitops/report";
import { brokenResult, node, result } from "./sample";
import { RuleId } from "../../gitops/model";

/** The members SARIF 2.1.0 requires and GitHub code scanning reads, checked by hand (no schema validator is installed). */
function assertUploadable(log: any): void {
  assert.strictEqual(log.version, "2.1.0");
  assert.match(log.$schema, /sarif-2\.1\.0/);
  assert.ok(Array.isArray(log.runs) && log.runs.length === 1);
  const driver = log.runs[0].tool.driver;
  assert.strictEqual(typeof driver.name, "string");
  assert.match(driver.informationUri, /^https:\/\//);
  assert.strictEqual(typeof driver.version, "string");
  const ids = driver.rules.map((r: any) => r.id);
  assert.strictEqual(new Set(ids).size, ids.length, "rule ids are unique");
  for (const rule of driver.rules) {
    assert.ok(rule.shortDescription.text.length > 0);
    assert.ok(rule.fullDescription.text.length > 0);
    assert.ok(rule.help.text.length > 0);
    assert.ok(["error", "warning", "note"].includes(rule.defaultConfiguration.level));
  }
  for (const r of log.runs[0].results) {
    assert.strictEqual(typeof r.ruleId, "string");
    assert.strictEqual(driver.rules[r.ruleIndex].id, r.ruleId, "ruleIndex points at the rule of ruleId");
    assert.ok(["error", "warning", "note"].includes(r.level));
    assert.ok(r.message.text.length > 0);
    for (const loc of r.locations) {
      const uri: string = loc.physicalLocation.artifactLocation.uri;
      assert.ok(!uri.startsWith("/") && !/^[a-z]+:/.test(uri), `URI ${uri} must be relative to the checkout`);
      if (loc.physicalLocation.region) assert.ok(Number.isInteger(loc.physicalLocation.region.startLine) && loc.physicalLocation.region.startLine >= 1);
    }
  }
}

describe("renderSarif", () => {
  it("produces a log code scanning accepts", () => {
    assertUploadable(JSON.parse(renderSarif(brokenResult())));
  });

  it("turns every finding into a result with its rule, level, file and line", () => {
    const broken = brokenResult();
    const run = JSON.parse(renderSarif(broken)).runs[0];
    assert.strictEqual(run.results.length, broken.findings.length);
    broken.findings.forEach((f, i) => {
      const r = run.results[i];
      assert.strictEqual(r.ruleId, f.rule);
      assert.strictEqual(run.tool.driver.rules[r.ruleIndex].id, f.rule);
      assert.strictEqual(r.level, f.severity);
      assert.strictEqual(r.locations[0].physicalLocation.artifactLocation.uri, f.file);
      assert.strictEqual(r.locations[0].physicalLocation.region.startLine, f.line);
      assert.ok(r.message.text.includes(f.message) && r.message.text.includes(f.fix), "message carries the fix");
      assert.strictEqual(r.locations[0].logicalLocations[0].fullyQualifiedName, f.kustomization);
    });
  });

  it("lists each rule that has findings once, described from the rule table", () => {
    const driver = JSON.parse(renderSarif(brokenResult())).runs[0].tool.driver;
    assert.deepStrictEqual(driver.rules.map((r: any) => r.id), ["missing-dependency", "consumer-without-provider", "unknown-group"]);
    const consumer = driver.rules[1];
    assert.strictEqual(consumer.shortDescription.text, RULE_DESCRIPTIONS["consumer-without-provider"].short);
    assert.strictEqual(consumer.fullDescription.text, RULE_DESCRIPTIONS["consumer-without-provider"].full);
    assert.strictEqual(consumer.name, "ConsumerWithoutProvider");
    assert.strictEqual(driver.rules[2].defaultConfiguration.level, "warning");
  });

  it("describes a rule id the table does not know, rather than failing", () => {
    const log = JSON.parse(renderSarif(result([node({ name: "a" })], [
      { rule: "brand-new-rule" as RuleId, severity: "note", message: "m", file: "a.yaml", line: 2, fix: "f" },
    ])));
    assertUploadable(log);
    assert.strictEqual(log.runs[0].tool.driver.rules[0].shortDescription.text, "brand new rule.");
  });

  it("prefixes URIs with the repository's place in the checkout and percent-encodes them", () => {
    const withSpace = result([node({ name: "a" })], [
      { rule: "missing-path", severity: "error", message: "m", file: "clusters/dev env/a#1.yaml", line: 4, fix: "f" },
    ]);
    const r = JSON.parse(renderSarif(withSpace, { uriPrefix: "examples/gitops" })).runs[0].results[0];
    assert.strictEqual(r.locations[0].physicalLocation.artifactLocation.uri, "examples/gitops/clusters/dev%20env/a%231.yaml");
  });

  it("leaves out the region of a finding with no line, since SARIF lines start at 1", () => {
    const whole = result([node({ name: "a" })], [
      { rule: "unresolved-reference", severity: "note", message: "m", file: "apps/x.yaml", line: 0, fix: "f" },
    ]);
    const log = JSON.parse(renderSarif(whole));
    assertUploadable(log);
    assert.strictEqual(log.runs[0].results[0].locations[0].physicalLocation.region, undefined);
  });

  it("fingerprints a finding the same when only its line moves, and separates clusters by category", () => {
    const a = brokenResult();
    const b = brokenResult();
    b.findings[1].line = 40;
    b.cluster = "clusters/production";
    const [ra, rb] = [a, b].map((x) => JSON.parse(renderSarif(x)).runs[0]);
    assert.deepStrictEqual(ra.results[1].partialFingerprints, rb.results[1].partialFingerprints);
    assert.notDeepStrictEqual(ra.results[0].partialFingerprints, ra.results[1].partialFingerprints);
    assert.notStrictEqual(ra.automationDetails.id, rb.automationDetails.id);
  });

  it("is a valid log with no results and no rules for a clean repository", () => {
    const log = JSON.parse(renderSarif(result([node({ name: "a" })], [])));
    assertUploadable(log);
    assert.deepStrictEqual(log.runs[0].results, []);
    assert.deepStrictEqual(log.runs[0].tool.driver.rules, []);
  });
});

describe("renderSarif and renderText on a finding with no file", () => {
  it("place it at the cluster path", () => {
    const nowhere = result([node({ name: "a" })], [
      { rule: "dependency-cycle", severity: "error", message: "m", file: "", line: 0, fix: "f" },
    ]);
    const log = JSON.parse(renderSarif(nowhere));
    assert.strictEqual(log.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri, "clusters/development");
    assert.match(renderText(nowhere), /^1 of 1 Kustomization read\nclusters\/development  error  dependency-cycle  m\n/);
  });
});
