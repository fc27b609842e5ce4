import { strict as assert } from "assert";
import { parseConstraints, parseVersion, resolveVersion, satisfies } from "../../gitops/charts/semver";

/** Cases worked out from Masterminds/semver v3 constraints.go (commit 71f2b39), operator by operator. */
const CASES: [string, string, boolean][] = [
  ["1.x", "1.9.3", true], ["1.x", "2.0.0", false], ["1.x", "1.0.0-rc.1", false],
  ["~1.2", "1.2.9", true], ["~1.2", "1.3.0", false], ["~1.2.3", "1.2.2", false], ["~1", "1.9.0", true], ["~1", "2.0.0", false],
  ["^1.2", "1.9.0", true], ["^1.2", "2.0.0", false], ["^0.2.3", "0.2.9", true], ["^0.2.3", "0.3.0", false],
  ["^0.0.3", "0.0.3", true], ["^0.0.3", "0.0.4", false], ["^0.0", "0.0.9", true], ["^0.0", "0.1.0", false],
  // A comma, or a space, is AND; || is OR.
  [">= 1.2, < 2", "1.5.0", true], [">= 1.2, < 2", "2.0.0", false], [">=1.2 <2", "1.9.9", true],
  ["<1.0.0 || >=3", "3.1.0", true], ["<1.0.0 || >=3", "2.0.0", false],
  ["1.2.3 - 1.4.5", "1.4.5", true], ["1.2.3 - 1.4.5", "1.4.6", false],
  // A bare version is exact; a partial one is a tilde.
  ["1.2.3", "1.2.3", true], ["1.2.3", "1.2.4", false], ["1.2", "1.2.7", true], ["=1.2", "1.3.0", false],
  ["*", "4.5.6", true], ["*", "1.0.0-beta", false],
  // Prereleases only when the AND group names one.
  [">=1.0.0-0", "1.0.1-rc.1", true], ["<2.0.0-0 || ^3", "3.0.0-rc.1", false], [">=1.0.0-0 || ^3", "3.0.0-rc.1", true], ["^2.0.0-rc.1", "2.0.0-rc.2", true],
  ["!=1.2.3", "1.2.4", true], ["!=1.2.3", "1.2.3", false], ["!=1.x", "1.5.0", false], ["!=1.x", "2.0.0", true],
  [">1.2", "1.2.9", false], [">1.2", "1.3.0", true], [">1", "1.9.9", false], ["<=1.2", "1.2.9", true], ["<=1.2", "1.3.0", false],
  ["v1.2.x", "1.2.0", true], ["~>1.2", "1.2.5", true],
];

describe("Masterminds/semver constraints (as source-controller resolves chart versions)", () => {
  for (const [constraint, version, want] of CASES) {
    it(`"${constraint}" ${want ? "accepts" : "refuses"} ${version}`, () => {
      const c = parseConstraints(constraint);
      assert.notEqual(typeof c, "string", String(c));
      const v = parseVersion(version);
      assert.ok(v !== undefined);
      assert.equal(satisfies(v!, c as Exclude<typeof c, string>), want);
    });
  }

  it("refuses what Masterminds refuses, with its message", () => {
    assert.match(parseConstraints(">= 1.2 ,, < 2") as string, /improper constraint/);
    assert.match(parseConstraints("latest") as string, /improper constraint/);
    assert.match(parseConstraints("x".repeat(5000)) as string, /longer than/);
  });

  it("only strict semver (a leading v allowed) is a candidate, as fluxcd/pkg version.ParseVersion", () => {
    assert.equal(parseVersion("1.2"), undefined);
    assert.equal(parseVersion("01.2.3"), undefined);
    assert.deepEqual(parseVersion("v1.16.2")?.minor, 16);
  });

  it("an empty version and * are the latest stable release; an exact string match wins first", () => {
    const available = ["2.0.0-rc.1", "1.10.0", "1.9.0", "v1.2.0", "junk"];
    assert.deepEqual(resolveVersion(available, ""), { version: "1.10.0" });
    assert.deepEqual(resolveVersion(available, "*"), { version: "1.10.0" });
    assert.deepEqual(resolveVersion(available, "2.0.0-rc.1"), { version: "2.0.0-rc.1" });
    assert.deepEqual(resolveVersion(available, "junk"), { version: "junk" });
    assert.deepEqual(resolveVersion(available, "~1.2"), { version: "v1.2.0" });
    assert.match((resolveVersion(available, ">= 3") as { error: string }).error, /no version matching/);
  });
});
