/**
 * Writes change only what they mean to (issue 12): inject --write works on bytes, refuses what it
 * cannot rewrite exactly with exit 2 naming the file, writes all files or none, and a kill in the
 * middle of a multi-file write is finished by the next run without leaving temp files.
 */
import * as assert from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { main } from "../../cli/main";
import { JOURNAL_NAME, WriteStep, applyWriteSet, recoverWriteSet } from "../../gitops/edit/write-set";
import { DEV_OVERLAY, DEV_ROLE, captureIO, copyFixture, makeTemp, readTree, removeTemps } from "../overlays/helpers";

async function inject(cwd: string, args: string[]) {
  const capture = captureIO(cwd);
  const code = await main(["inject", ...args], capture.io);
  return { code, out: capture.out(), err: capture.err() };
}

/** Every file under `root` as bytes, to compare trees byte for byte. */
function bytesTree(root: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (rel: string): void => {
    for (const entry of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(child);
      else files.set(child, fs.readFileSync(path.join(root, child)).toString("base64"));
    }
  };
  walk("");
  return files;
}

const NAMESPACES = `${DEV_OVERLAY}/namespaces.yaml`;
const OBSERVABILITY = `${DEV_OVERLAY}/observability/namespaces.yml`;
const WRITE = ["--repo", ".", "--env", "development", "--role-arn", DEV_ROLE.arn, "--write"];

describe("writes change only what they mean to", () => {
  afterEach(removeTemps);

  it("a file that is not valid UTF-8 (Latin-1 bytes) is refused at its line and left untouched, and so is every other file", async () => {
    const repo = copyFixture("annotations/input");
    const file = path.join(repo, NAMESPACES);
    const text = fs.readFileSync(file, "utf8").replace("# set by hand", "# caf\u00e9 set by hand");
    const latin1 = Buffer.from(text, "latin1");
    fs.writeFileSync(file, latin1);
    const before = bytesTree(repo);
    const { code, err } = await inject(repo, WRITE);
    assert.strictEqual(code, 2, err);
    const line = text.slice(0, text.indexOf("caf")).split("\n").length;
    assert.match(err, new RegExp(`${NAMESPACES.replace(/\//g, "\\/")}:${line}: is not valid UTF-8 \\(byte 0xe9`));
    assert.deepStrictEqual(bytesTree(repo), before);
  });

  it("a UTF-8 BOM and CRLF line ends survive a rewrite byte for byte", async () => {
    const repo = copyFixture("annotations/input");
    const file = path.join(repo, NAMESPACES);
    const original = fs.readFileSync(file, "utf8");
    fs.writeFileSync(file, `\uFEFF${original.replace(/\n/g, "\r\n")}`);
    const { code, err } = await inject(repo, WRITE);
    assert.strictEqual(code, 0, err);
    const after = fs.readFileSync(file);
    assert.deepStrictEqual([...after.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
    assert.ok(!/[^\r]\n/.test(after.toString("utf8")), "every line still ends in CRLF");
    assert.match(after.toString("utf8"), new RegExp(DEV_ROLE.arn.replace(/[/.]/g, "\\$&")));
  });

  it("a read-only file fails the whole write before any file is written", async () => {
    const repo = copyFixture("annotations/input");
    fs.chmodSync(path.join(repo, OBSERVABILITY), 0o444);
    const before = bytesTree(repo);
    const { code, err } = await inject(repo, WRITE);
    assert.strictEqual(code, 2, err);
    assert.match(err, /observability\/namespaces\.yml: is read-only; nothing was written/);
    assert.deepStrictEqual(bytesTree(repo), before);
  });

  for (const env of ["../../..", "..", "development/../production", "a/b"]) {
    it(`--env ${env} is refused: an environment is one directory name`, async () => {
      const repo = copyFixture("annotations/input");
      const before = bytesTree(repo);
      const { code, err } = await inject(repo, ["--repo", ".", "--env", env, "--role-arn", DEV_ROLE.arn, "--write"]);
      assert.strictEqual(code, 2, err);
      assert.match(err, /--env must be one directory name/);
      assert.deepStrictEqual(bytesTree(repo), before);
    });
  }

  it("an empty value followed by a comment gets the value before the comment", async () => {
    const repo = copyFixture("annotations/input");
    const file = path.join(repo, NAMESPACES);
    const text = fs.readFileSync(file, "utf8");
    fs.writeFileSync(file, text.replace(/iam_role: arn:\S+/, "iam_role:  # set after cluster creation"));
    for (const action of [[], ["--write"]]) {
      const { code, err } = await inject(repo, ["--repo", ".", "--env", "development", "--role-arn", DEV_ROLE.arn, ...action]);
      assert.strictEqual(code, 0, err);
    }
    assert.match(fs.readFileSync(file, "utf8"), /iam_role: {2}development-node-role # set after cluster creation\n/);
    const check = await inject(repo, ["--repo", ".", "--env", "development", "--role-arn", DEV_ROLE.arn, "--check"]);
    assert.strictEqual(check.code, 0, check.out + check.err);
  });

  it("a file the splice cannot rewrite exactly is refused with exit 2 naming it, not an internal error", async () => {
    const repo = copyFixture("annotations/input");
    const before = bytesTree(repo);
    // Not a Namespace value the role can replace: an anchor shared with a different key.
    const file = path.join(repo, NAMESPACES);
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace(/iam_role: arn:\S+/, "iam_role: {a: 1}"));
    const { code, err } = await inject(repo, WRITE);
    assert.strictEqual(code, 2, err);
    assert.match(err, /namespaces\.yaml:\d+: .*must be a string/);
    assert.doesNotMatch(err, /internal error/);
    assert.notDeepStrictEqual(bytesTree(repo), before); // only our own edit above
  });

  describe("a multi-file write survives a kill", () => {
    const writes = (repo: string) =>
      ["a.yaml", "b.yaml", "c.yaml"].map((file) => ({ file, before: fs.readFileSync(path.join(repo, file)), after: Buffer.from(`${file}: new\n`) }));

    function repoWithFiles(): string {
      const repo = makeTemp();
      for (const f of ["a.yaml", "b.yaml", "c.yaml"]) fs.writeFileSync(path.join(repo, f), `${f}: old\n`);
      return repo;
    }

    /** Runs applyWriteSet in a child process that SIGKILLs itself right after `step` number `index`. */
    function killedAt(repo: string, step: WriteStep, index: number): void {
      const script = `
        require(${JSON.stringify(path.join(__dirname, "..", "..", "bin", "ts-cache.js"))}).register();
        const { applyWriteSet } = require(${JSON.stringify(path.join(__dirname, "..", "..", "gitops", "edit", "write-set.ts"))});
        const fs = require("fs"), path = require("path");
        const repo = ${JSON.stringify(repo)};
        const writes = ["a.yaml", "b.yaml", "c.yaml"].map((file) => ({ file, before: fs.readFileSync(path.join(repo, file)), after: Buffer.from(file + ": new\\n") }));
        applyWriteSet(repo, writes, (step, i) => { if (step === ${JSON.stringify(step)} && i === ${index}) process.kill(process.pid, "SIGKILL"); });
      `;
      const result = spawnSync(process.execPath, ["-e", script], { encoding: "utf8" });
      assert.strictEqual(result.signal, "SIGKILL", result.stderr);
    }

    const contents = (repo: string) => ["a.yaml", "b.yaml", "c.yaml"].map((f) => fs.readFileSync(path.join(repo, f), "utf8"));
    const leftovers = (repo: string) => fs.readdirSync(repo).filter((f) => f.endsWith(".tmp") || f === JOURNAL_NAME);

    it("killed between two renames: the next run finishes the set, no temp file is left", () => {
      const repo = repoWithFiles();
      killedAt(repo, "renamed", 0);
      assert.deepStrictEqual(contents(repo), ["a.yaml: new\n", "b.yaml: old\n", "c.yaml: old\n"]);
      assert.ok(leftovers(repo).length > 0);
      assert.deepStrictEqual(recoverWriteSet(repo), { outcome: "completed", files: ["a.yaml", "b.yaml", "c.yaml"] });
      assert.deepStrictEqual(contents(repo), ["a.yaml: new\n", "b.yaml: new\n", "c.yaml: new\n"]);
      assert.deepStrictEqual(leftovers(repo), []);
    });

    it("killed while staging: the next run drops the staged files and the originals stand", () => {
      const repo = repoWithFiles();
      killedAt(repo, "staged", 1);
      assert.deepStrictEqual(recoverWriteSet(repo), { outcome: "discarded", files: ["a.yaml", "b.yaml", "c.yaml"] });
      assert.deepStrictEqual(contents(repo), ["a.yaml: old\n", "b.yaml: old\n", "c.yaml: old\n"]);
      assert.deepStrictEqual(leftovers(repo), []);
    });

    it("inject --write finishes an interrupted set before it plans", async () => {
      const repo = repoWithFiles();
      killedAt(repo, "committed", 0);
      fs.mkdirSync(path.join(repo, DEV_OVERLAY), { recursive: true });
      const { code, err } = await inject(repo, WRITE);
      assert.strictEqual(code, 0, err);
      assert.match(err, /an interrupted write was completed: a\.yaml, b\.yaml, c\.yaml/);
      assert.deepStrictEqual(contents(repo), ["a.yaml: new\n", "b.yaml: new\n", "c.yaml: new\n"]);
      assert.deepStrictEqual(leftovers(repo), []);
    });

    it("a file changed since the plan, or a failed staging, writes nothing and leaves no temp file", () => {
      const repo = repoWithFiles();
      const planned = writes(repo);
      fs.writeFileSync(path.join(repo, "c.yaml"), "c.yaml: edited\n");
      assert.throws(() => applyWriteSet(repo, planned), /c\.yaml: changed since the plan was made; nothing was written/);
      assert.deepStrictEqual(contents(repo), ["a.yaml: old\n", "b.yaml: old\n", "c.yaml: edited\n"]);
      assert.deepStrictEqual(leftovers(repo), []);
    });
  });

  it("immutable files (chattr +i) fail the whole write, when the file system supports it", async function () {
    const repo = copyFixture("annotations/input");
    const target = path.join(repo, OBSERVABILITY);
    try {
      execFileSync("chattr", ["+i", target], { stdio: "ignore" });
    } catch {
      this.skip(); // needs root and a file system with the flag
    }
    try {
      const before = readTree(repo);
      const { code, err } = await inject(repo, WRITE);
      assert.strictEqual(code, 2, err);
      assert.match(err, /observability\/namespaces\.yml: cannot be written: operation not permitted/);
      assert.deepStrictEqual(readTree(repo), before);
    } finally {
      execFileSync("chattr", ["-i", target], { stdio: "ignore" });
    }
  });
});
