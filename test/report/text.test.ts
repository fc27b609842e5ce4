import * as assert from "assert";
import { renderText } from "../../gitops/report";
import { brokenResult, node, result } from "./sample";

describe("renderText", () => {
  it("prints each finding as file:line, severity, rule and message, with its fix below", () => {
    const broken = brokenResult();
    const lines = renderText(broken).split("\n");
    for (const f of broken.findings) {
      const i = lines.findIndex((l) => l.startsWith(`${f.file}:${f.line} `));
      assert.ok(i >= 0, `no line for ${f.file}:${f.line}`);
      assert.match(lines[i], new RegExp(`^${f.file}:${f.line} +${f.severity} +${f.rule} +${escape(f.message)}$`));
      assert.strictEqual(lines[i + 1].trim(), `fix: ${f.fix}`);
    }
  });

  it("lists errors first, then by file and line", () => {
    const broken = brokenResult();
    // A warning early in the alphabet must still come after the errors.
    broken.findings[2].file = "a-first.yaml";
    const locations = renderText(broken)
      .split("\n")
      .filter((l) => /^\S+:\d+ /.test(l))
      .map((l) => l.split(" ")[0]);
    assert.deepStrictEqual(locations, [
      "clusters/development/apps.yaml:9",
      "infrastructure/kustomized/overlays/development/issuer.yaml:3",
      "a-first.yaml:1",
    ]);
  });

  it("aligns the severity and rule columns", () => {
    const findingLines = renderText(brokenResult()).split("\n").filter((l) => /^\S+:\d+ /.test(l));
    const ruleColumns = new Set(findingLines.map((l) => l.search(/(missing-dependency|consumer-without-provider|unknown-group)/)));
    assert.strictEqual(ruleColumns.size, 1);
  });

  it("ends with the summary, singular and plural as the counts need", () => {
    const text = renderText(brokenResult());
    assert.ok(text.endsWith("2 errors, 1 warning in 4 Kustomizations (4 objects)\n"), text);
  });

  it("prints only what was read and the summary when there is nothing to report", () => {
    const clean = result([node({ name: "sources" })], []);
    assert.strictEqual(renderText(clean), "1 of 1 Kustomization read\n0 errors, 0 warnings in 1 Kustomization (0 objects)\n");
  });

  it("says first how many Kustomizations stay unread, so a blind run cannot pass for a proof", () => {
    const blind = result([node({ name: "a" }), node({ name: "b" })], []);
    blind.summary.unread = 1;
    assert.match(renderText(blind), /^1 of 2 Kustomizations read \(1 behind sources this check cannot read: map them with --source KIND\/NAMESPACE\/NAME=DIR\)\n/);
  });

  it("keeps a message of several lines under its message column, and has no colour codes", () => {
    const cycle = result([node({ name: "a" }), node({ name: "b" })], [
      {
        rule: "dependency-cycle",
        severity: "error",
        kustomization: "flux-system/a",
        message: "dependency cycle:\na -> b\nb -> a",
        file: "clusters/development/a.yaml",
        line: 8,
        fix: "remove one of the dependsOn entries of the cycle",
      },
    ]);
    const text = renderText(cycle);
    const lines = text.split("\n");
    const column = lines[0].indexOf("dependency cycle:");
    assert.strictEqual(lines[1].indexOf("a -> b"), column);
    assert.strictEqual(lines[2].indexOf("b -> a"), column);
    assert.ok(!text.includes("\u001b["));
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
