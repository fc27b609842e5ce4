import * as assert from "assert";
import { SourceIgnore } from "../../gitops/read/sourceignore";
import { Repo } from "../../gitops/read/repo";
import { writeRepo } from "./helpers";

/** Every file and directory of the repository, as [path, isDirectory]. */
function everyPath(repo: Repo, dir = "", out: Array<[string, boolean]> = []): Array<[string, boolean]> {
  for (const e of repo.list(dir)) {
    out.push([e.path, e.isDirectory]);
    if (e.isDirectory) everyPath(repo, e.path, out);
  }
  return out;
}

/**
 * The name-glob fast path against the full go-git matcher on every path of the tree (and the same
 * paths asked as the other kind of entry): the verdicts must be equal. Returns the topmost ignored paths.
 */
function compareBoth(files: Record<string, string>, ignore?: string): { fast: boolean; ignored: string[] } {
  const repo = new Repo(writeRepo(files));
  const options = ignore === undefined ? {} : { ignore };
  const fast = new SourceIgnore(repo, options);
  const full = new SourceIgnore(repo, options, false);
  assert.strictEqual(full.decidedByName, false);
  const ignored: string[] = [];
  for (const [p, isDirectory] of everyPath(repo)) {
    for (const asDirectory of [isDirectory, !isDirectory]) {
      assert.strictEqual(fast.ignored(p, asDirectory), full.ignored(p, asDirectory), `${p}${asDirectory ? "/" : ""}`);
    }
    // The topmost ignored entries only: what is below an ignored directory is left out with it.
    const parent = p.includes("/") ? p.slice(0, p.lastIndexOf("/")) : "";
    if (fast.ignored(p, isDirectory) && !fast.ignored(parent, true)) ignored.push(p + (isDirectory ? "/" : ""));
  }
  return { fast: fast.decidedByName, ignored: ignored.sort() };
}

const tree: Record<string, string> = {
  ".git/config": "",
  ".gitignore": "",
  ".github/workflows/ci.yaml": "",
  "apps/a.yaml": "",
  "apps/.git": "a file named .git, not a directory",
  "apps/logo.PNG": "",
  "apps/logo.png.yaml": "",
  "apps/bundle.tar.gz": "",
  "apps/cloudbuild.yaml": "",
  "apps/nested/.flux.yaml": "",
  "apps/nested/.sops.yaml": "",
  "apps/nested/keep.yaml": "",
  "apps/images.png/inside.yaml": "",
  "apps/drafts/b.yaml": "",
  "apps/drafts/deeper/c.yaml": "",
  "apps/c.draft.yaml": "",
  "apps/x.yaml": "",
  "apps/xy.yaml": "",
  "apps/tmp/t.yaml": "",
  "infra/tmp": "a file named tmp",
  "infra/drafts.yaml": "",
};

describe("SourceIgnore: name globs decided by name alone, with the full matcher's verdicts", () => {
  it("Flux's default and VCS exclusions (no pattern of the repository's own) take the fast path", () => {
    const { fast, ignored } = compareBoth(tree);
    assert.strictEqual(fast, true);
    // fluxcd/pkg sourceignore: *.png at any depth (and a directory so named, with its contents),
    // .git/ only as a directory, **/.sops.yaml and **/.flux.yaml at any depth, cloudbuild.yaml by
    // name. Case counts, as in go-git's matcher: logo.PNG is kept.
    assert.deepStrictEqual(ignored, [
      ".git/", ".github/", ".gitignore", "apps/bundle.tar.gz", "apps/cloudbuild.yaml", "apps/images.png/",
      "apps/nested/.flux.yaml", "apps/nested/.sops.yaml",
    ]);
  });

  it("nested .sourceignore files of name globs: scoped to their directory, `dir/` for directories only, `?` and `*` within a name, `**/` prefix", () => {
    const { fast, ignored } = compareBoth({
      ...tree,
      "apps/.sourceignore": "# drafts\ndrafts/\n*.draft.yaml\n?.yaml\n**/tmp\n",
      "infra/.sourceignore": "tmp/\n",
    });
    assert.strictEqual(fast, true);
    // Patterns replace the defaults: cloudbuild.yaml, *.png, .sops.yaml are kept; `.git/` still applies.
    assert.deepStrictEqual(ignored, [
      ".git/", ".gitignore", "apps/a.yaml", "apps/c.draft.yaml", "apps/drafts/", "apps/tmp/", "apps/x.yaml",
    ]);
  });

  it("case counts on both paths, as in go-git's matcher: `*.YAML` and `[A]pps/` leave apps/ alone", () => {
    // spec.ignore replaces the defaults, so only the patterns below decide apps/.
    for (const patterns of ["*.YAML\n", "[A]pps/\n*.YAML\n"]) {
      assert.deepStrictEqual(compareBoth(tree, patterns).ignored.filter((p) => p.startsWith("apps/")), [], patterns);
      assert.ok(compareBoth(tree, patterns.toLowerCase()).ignored.includes("apps/a.yaml") || compareBoth(tree, patterns.toLowerCase()).ignored.includes("apps/"), patterns.toLowerCase());
    }
  });

  it("a GitRepository's spec.ignore of name globs applies to the whole source", () => {
    const { fast, ignored } = compareBoth(tree, "*.yaml\n");
    assert.strictEqual(fast, true);
    assert.ok(ignored.includes("infra/drafts.yaml") && ignored.includes("apps/nested/keep.yaml") && !ignored.includes("apps/bundle.tar.gz"));
  });

  for (const [what, patterns, expectIgnored, expectKept] of [
    ["a negation `!`", "*.yaml\n!keep.yaml\n", "apps/a.yaml", "apps/nested/keep.yaml"],
    ["an anchored pattern `/x`", "/apps/a.yaml\n", "apps/a.yaml", "apps/x.yaml"],
    ["a pattern with an inner slash", "apps/drafts\n", "apps/drafts/", "infra/drafts.yaml"],
    ["`**` between segments", "apps/**/c.yaml\n", "apps/drafts/deeper/c.yaml", "apps/x.yaml"],
    ["a bracket class", "[xy].yaml\n", "apps/x.yaml", "apps/xy.yaml"],
    ["a trailing `**`", "apps/drafts/**\n", "apps/drafts/b.yaml", "infra/drafts.yaml"],
  ] as const) {
    it(`${what} sends the whole source to the full matcher`, () => {
      const { fast, ignored } = compareBoth({ ...tree, ".sourceignore": patterns });
      assert.strictEqual(fast, false);
      assert.ok(ignored.some((p) => p === expectIgnored || expectIgnored.startsWith(p)), `${expectIgnored} ignored: ${ignored.join(" ")}`);
      assert.ok(!ignored.includes(expectKept), `${expectKept} kept`);
    });
  }

  it("one group that is not name globs sends every path to the full matcher", () => {
    const { fast } = compareBoth({ ...tree, "apps/.sourceignore": "drafts/\n", "infra/.sourceignore": "/tmp\n" });
    assert.strictEqual(fast, false);
  });
});

describe("SourceIgnore: each path matched on its own, as source-controller archives (fluxcd/pkg artifact/storage/archive.go)", () => {
  const files = {
    "clusters/a/b/flux/ks.yaml": "", "clusters/a/other.yaml": "", "clusters/a/scratch/x.yaml": "",
    "docs/keep.yaml": "", "docs/drop.yaml": "",
  };

  it("`/*` then a negated `**`/flux/ keeps the files under any flux/ directory; a directory is out only when nothing below it is in", () => {
    const ignore = new SourceIgnore(new Repo(writeRepo({ ...files, ".sourceignore": "/*\n!**/flux/\n" })));
    assert.deepStrictEqual(
      ["clusters/a/b/flux/ks.yaml", "clusters/a/other.yaml", "docs/keep.yaml"].map((p) => ignore.ignored(p, false)), [false, true, true]);
    assert.deepStrictEqual(["clusters", "clusters/a/b/flux", "clusters/a/scratch", "docs"].map((p) => ignore.ignored(p, true)), [false, false, true, true]);
  });

  it("the last matching pattern wins, whatever the order of a file and its directory", () => {
    const ignore = new SourceIgnore(new Repo(writeRepo({ ...files, ".sourceignore": "!docs/keep.yaml\ndocs/\n!keep.yaml\n" })));
    assert.deepStrictEqual(["docs/keep.yaml", "docs/drop.yaml"].map((p) => ignore.ignored(p, false)), [false, true]);
  });
});
