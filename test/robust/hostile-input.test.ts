/**
 * Hostile input never hangs or crashes (issue 12): one regression test per class the fuzzing
 * found. Each asserts the bounded outcome (a GitopsInputError naming file:line, or an ending walk),
 * not merely "no exception".
 */
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { Budget } from "../../gitops/read/budget";
import { GitopsInputError } from "../../gitops/read/errors";
import { Repo } from "../../gitops/read/repo";
import { verifyRepository } from "../../gitops/verify";
import { parseYamlDocuments, MAX_YAML_DEPTH } from "../../gitops/read/yaml";
import { makeTemp, removeTemps } from "../overlays/helpers";

const EXAMPLE = path.join(__dirname, "..", "..", "examples", "gitops");
const CLUSTER = "clusters/development";

function exampleCopy(): string {
  const dir = makeTemp();
  fs.cpSync(EXAMPLE, dir, { recursive: true });
  return dir;
}

function inputError(work: () => unknown, where: RegExp, what: RegExp): void {
  assert.throws(work, (err: unknown) => {
    assert.ok(err instanceof GitopsInputError, `expected a GitopsInputError, got ${(err as Error)?.stack ?? err}`);
    assert.match(err.message, where);
    assert.match(err.message, what);
    return true;
  });
}

const CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n";

describe("hostile input: bounded work", () => {
  afterEach(removeTemps);

  describe("directory walks end", () => {
    for (const [name, target] of [
      ["up", ".."],
      ["self", "."],
      ["root", "<absolute root>"],
    ] as const) {
      it(`a symlink to an ancestor (${name} -> ${target}) is left out of the walk`, () => {
        const repo = exampleCopy();
        const link = path.join(repo, CLUSTER, name);
        fs.symlinkSync(target === "<absolute root>" ? repo : target, link);
        const plain = verifyRepository(EXAMPLE, CLUSTER);
        const looped = verifyRepository(repo, CLUSTER);
        assert.deepStrictEqual(looped.summary, plain.summary);
        assert.ok(!new Repo(repo).list(CLUSTER).some((e) => e.name === name));
      });
    }

    it("a cycle through two symlinks (a -> b, b/back -> ../a) ends too", () => {
      const root = makeTemp();
      fs.mkdirSync(path.join(root, "b"));
      fs.writeFileSync(path.join(root, "b", "x.yaml"), "a: 1\n");
      fs.symlinkSync("b", path.join(root, "a"));
      fs.symlinkSync("../a", path.join(root, "b", "back"));
      const repo = new Repo(root);
      const seen: string[] = [];
      const walk = (dir: string): void => {
        for (const e of repo.list(dir)) (e.isDirectory ? walk(e.path) : seen.push(e.path));
      };
      walk("");
      assert.deepStrictEqual(seen.sort(), ["a/x.yaml", "b/x.yaml"]);
    });

    it("a path of thousands of segments is refused by length, not by the stack", () => {
      const repo = new Repo(makeTemp());
      inputError(() => repo.isFile("a/".repeat(30_000) + "x"), /path "a\/a\//, /characters long; the longest path is 4096/);
      assert.strictEqual(repo.isFile("a/".repeat(1_000) + "x"), false);
    });
  });

  describe("YAML is parsed with caps", () => {
    it("an undefined alias is an input error at its line", () => {
      inputError(() => parseYamlDocuments(`${CONFIGMAP}  x: *nope\n`, "bad.yaml"), /^bad\.yaml:6: /, /alias \*nope refers to no anchor/);
    });

    it("an alias inside its own anchor (a value containing itself) is an input error", () => {
      inputError(() => parseYamlDocuments(`${CONFIGMAP}  x: &a [ *a ]\n`, "bad.yaml"), /^bad\.yaml:6: /, /inside the node its anchor names/);
      inputError(() => parseYamlDocuments("a: &m\n  b: *m\n", "bad.yaml"), /^bad\.yaml:2: /, /inside the node/);
    });

    it("a billion-laughs expansion stops at the alias cap", () => {
      const levels = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
      for (let i = 1; i < 8; i++) levels.push(`${"abcdefgh"[i]}: &${"abcdefgh"[i]} [${Array(10).fill(`*${"abcdefgh"[i - 1]}`).join(", ")}]`);
      inputError(() => parseYamlDocuments(`${levels.join("\n")}\n`, "laughs.yaml"), /^laughs\.yaml:1: /, /Excessive alias count/);
    });

    it("nesting 3,000 deep (block and flow) is an input error, not a stack overflow", () => {
      let block = CONFIGMAP;
      for (let i = 0; i < 3000; i++) block += `${" ".repeat(2 + 2 * i)}k:\n`;
      inputError(() => parseYamlDocuments(block, "deep.yaml"), /^deep\.yaml:\d+: /, /nested|Maximum call stack/);
      const flow = `${CONFIGMAP}  x: ${"[".repeat(3000)}${"]".repeat(3000)}\n`;
      inputError(() => parseYamlDocuments(flow, "flow.yaml"), /^flow\.yaml:6: /, /nested|Maximum call stack/);
    });

    it(`nesting past ${MAX_YAML_DEPTH} that the parser survives is refused at the line where it goes too deep`, () => {
      const flow = `${CONFIGMAP}  x: ${"[".repeat(MAX_YAML_DEPTH + 10)}${"]".repeat(MAX_YAML_DEPTH + 10)}\n`;
      inputError(() => parseYamlDocuments(flow, "deep.yaml"), /^deep\.yaml:6: /, new RegExp(`nested more than ${MAX_YAML_DEPTH} levels`));
    });

    it("a mapping of 80,000 keys parses in linear time; a duplicate key still names its line", () => {
      const keys = Array.from({ length: 80_000 }, (_, i) => `  k${i}: v`).join("\n");
      const started = Date.now();
      const [doc] = parseYamlDocuments(`data:\n${keys}\n`, "big.yaml");
      // eemeli/yaml's own unique-key check took two minutes here.
      assert.ok(Date.now() - started < 20_000, `took ${Date.now() - started} ms`);
      assert.strictEqual(Object.keys((doc.data as { data: object }).data).length, 80_000);
      inputError(() => parseYamlDocuments("a: 1\nb: 2\na: 3\n", "dup.yaml"), /^dup\.yaml:3: /, /Map keys must be unique/);
    });
  });

  describe("graph work is linear", () => {
    it("a Kustomization with 50,000 dependsOn entries is verified, each missing one reported", () => {
      const repo = exampleCopy();
      const entries = Array.from({ length: 50_000 }, (_, i) => `    - name: dep-${i}`).join("\n");
      fs.writeFileSync(
        path.join(repo, CLUSTER, "big.yaml"),
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: big\n  namespace: flux-system\n" +
          `spec:\n  interval: 1m\n  path: ./apps\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n  dependsOn:\n${entries}\n`,
      );
      const result = verifyRepository(repo, CLUSTER);
      assert.strictEqual(result.findings.filter((f) => f.rule === "missing-dependency").length, 50_000);
    });
  });

  describe("the budget is the last line of defence", () => {
    it("a run past its time budget stops with a message naming the setting", () => {
      const budget = new Budget(0.001);
      const started = Date.now();
      while (Date.now() - started < 5);
      inputError(() => budget.checkTime(), /gave up after/, /GITOPS_CLUSTER_TIME_BUDGET/);
    });

    it("reading past the size budget stops at the file that passes it", () => {
      const repo = exampleCopy();
      inputError(() => verifyRepository(repo, CLUSTER, {}) && new Repo(repo, new Budget(60, 0.000_5)).readText("README.md"), /^README\.md: /, /size budget/);
    });
  });

  describe("unreadable files name the file", () => {
    it("EACCES on a manifest is an input error naming it (verify)", () => {
      const repo = exampleCopy();
      // The module object itself: `import * as` gives a read-only view of it. Both ways of opening
      // a file by name are denied (Repo opens, then reads from the descriptor).
      const realFs = require("fs") as { readFileSync: typeof fs.readFileSync; openSync: typeof fs.openSync };
      const originals = { readFileSync: realFs.readFileSync, openSync: realFs.openSync };
      const denied = fs.realpathSync(path.join(repo, CLUSTER));
      for (const name of ["readFileSync", "openSync"] as const) {
        (realFs as Record<string, unknown>)[name] = function (this: unknown, file: fs.PathOrFileDescriptor, ...rest: unknown[]) {
          if (typeof file === "string" && file.startsWith(denied + path.sep)) {
            throw Object.assign(new Error(`EACCES: permission denied, open '${file}'`), { code: "EACCES", syscall: "open", path: file });
          }
          return (originals[name] as (...a: unknown[]) => unknown).call(this, file, ...rest);
        };
      }
      try {
        inputError(() => verifyRepository(repo, CLUSTER), /^clusters\/development\/[^:]+: /, /cannot be read: permission denied/);
      } finally {
        Object.assign(realFs, originals);
      }
    });

    it("a .sourceignore line of 100,000 characters is refused at its line without printing it", () => {
      const repo = exampleCopy();
      fs.writeFileSync(path.join(repo, ".sourceignore"), `# ok\n${"a(".repeat(50_000)}\n`);
      assert.throws(
        () => verifyRepository(repo, CLUSTER),
        (err: Error) => err instanceof GitopsInputError && /^\.sourceignore:2: pattern is 100000 characters long/.test(err.message) && err.message.length < 200,
      );
    });
  });
});
