import * as assert from "assert";
import * as path from "path";
import { goPlainScalar } from "../../gitops/read/go-yaml-scalars";
import { AS_KUSTOMIZE_READS } from "../../gitops/read/yaml";
import { hasKubectl } from "../kubectl";
import { differences, kubectlKustomize, ourBuild, parseStream } from "../kustomize-diff/harness";
import { writeRepo } from "./helpers";

// kustomize decodes resources with go-yaml v3, so a plain `0644` is 420 and a plain date is an
// RFC 3339 string by the time Flux applies them (gitops/read/go-yaml-scalars.ts).

const PLAIN = [
  "0644", "0755", "0400", "-0775", "00", "08", "09.5", "0o17", "0b101", "-0b11", "+0x1F", "0x_1F", "0x1f", "1_000", "1__0", "1_0.5",
  "1e3", "1.5e3", "1e400", "1E-3", ".5", "0.", "1.", "+12", "0", "-0", "12345", "2024-01-01", "2024-1-2", "2024-02-30", "2024-01-01T10:00:00Z",
  "2024-01-01t10:00:00.120+02:00", "2024-01-01 10:00:00.5", "2024-01-01T10:00:00", "2024-01-01 10:00:00Z", "1:30", "Yes", "on", "~", "null",
  "true", "False", "0xFFFFFFFFFFFFFFFFF", "9223372036854775807", "abc", "1.2.3", "v1.2", "2024", "20240101",
];

describe("resources read as kustomize reads them (go-yaml v3): plain scalars, merge keys", function () {
  this.timeout(60000);

  it("file modes are octal, dates are RFC 3339 strings, a float that overflows stays a string", () => {
    assert.deepStrictEqual(["0644", "0755", "2024-01-01", "2024-01-01t10:00:00.120+02:00", "1_000", "+0x1F", "1e400", "08"].map(goPlainScalar),
      [420, 493, "2024-01-01T00:00:00Z", "2024-01-01T10:00:00.12+02:00", 1000, 31, "1e400", 8]);
  });

  it("agrees with kubectl kustomize on whole bodies, plain and quoted, in resources and in patches", async function () {
    if (!hasKubectl()) this.skip();
    const values = (quote: boolean) => PLAIN.map((v, i) => `  k${i}: ${quote ? `'${v}'` : v}`).join("\n");
    const repo = writeRepo({
      "app/objects.yaml": `apiVersion: v1\nkind: X\nmetadata: {name: plain}\nspec:\n${values(false)}\n---\napiVersion: v1\nkind: X\nmetadata: {name: quoted}\nspec:\n${values(true)}\n`,
      "app/merged.yaml": [
        "apiVersion: v1", "kind: X", "metadata: {name: merged}", "spec:",
        "  base: &labels {app: web, tier: front}", "  more: &more {tier: back, zone: a}",
        "  selector:", "    <<: *labels", "    extra: yes", "  overridden:", "    <<: [*more, *labels]", "    zone: b", "",
      ].join("\n"),
      "app/patch.yaml": `apiVersion: v1\nkind: X\nmetadata: {name: quoted}\nspec:\n  fromPatch: 0600\n  date: 2025-12-31\n`,
      "app/kustomization.yaml": "resources: [objects.yaml, merged.yaml]\npatches:\n  - path: patch.yaml\n",
    });
    const [ours, theirs] = await Promise.all([ourBuild(repo, "app"), kubectlKustomize(path.join(repo, "app"))]);
    assert.ok(theirs.ok, theirs.stderr);
    assert.strictEqual(ours.code, 0, ours.stderr);
    // kubectl's output is YAML written for Go readers: read it as go-yaml does.
    const kube = parseStream(theirs.stdout, AS_KUSTOMIZE_READS);
    assert.deepStrictEqual(differences(parseStream(ours.stdout, AS_KUSTOMIZE_READS), kube), []);
    const spec = (name: string) => kube.find((b) => (b.metadata as Record<string, unknown>).name === name)?.spec as Record<string, unknown>;
    assert.deepStrictEqual([spec("plain").k0, spec("quoted").k0, spec("quoted").fromPatch, spec("quoted").date], [420, "0644", 384, "2025-12-31T00:00:00Z"]);
    assert.deepStrictEqual([spec("merged").selector, spec("merged").overridden], [{ app: "web", tier: "front", extra: "yes" }, { tier: "back", zone: "b", app: "web" }]);
  });
});
