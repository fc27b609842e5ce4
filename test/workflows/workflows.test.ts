import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { main } from "../../cli/main";
import { CommandIO } from "../../cli/command";
import { githubFilterToRegExp, matchesGithubFilter } from "./github-glob";

const ROOT = path.join(__dirname, "..", "..");
const WORKFLOWS = path.join(ROOT, ".github", "workflows");

interface Step { uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string>; if?: string; "continue-on-error"?: unknown }
interface Job {
  "runs-on"?: string | string[];
  permissions?: Record<string, string> | string;
  strategy?: { matrix?: Record<string, unknown[]> };
  steps: Step[];
  needs?: string | string[];
  "continue-on-error"?: unknown;
  environment?: string | { name: string };
  if?: string;
}
interface Workflow { name: string; on: Record<string, any>; permissions?: Record<string, string> | string; concurrency?: { group: string; "cancel-in-progress"?: boolean }; jobs: Record<string, Job> }

function load(file: string): Workflow {
  const text = fs.readFileSync(path.join(WORKFLOWS, file), "utf8");
  return parse(text, { prettyErrors: true }) as Workflow;
}

const files = fs.readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f)).sort();
const workflows = Object.fromEntries(files.map((f) => [f, load(f)]));
const allSteps = (w: Workflow) => Object.values(w.jobs).flatMap((j) => j.steps);
const pulumiSteps = (w: Workflow) => allSteps(w).filter((s) => s.uses?.startsWith("pulumi/actions@"));

/** Names of the subcommands `gitops-cluster --help` lists: the dispatcher itself, not a copy. */
async function cliSubcommands(): Promise<Set<string>> {
  let out = "";
  const io: CommandIO = { stdout: (t) => { out += t; }, stderr: () => undefined, cwd: ROOT, env: {} };
  await main(["--help"], io);
  const listed = out.split("commands:")[1] ?? "";
  return new Set(listed.split("\n").map((l) => /^ {2}(\S+)\s/.exec(l)?.[1]).filter((n): n is string => !!n));
}

/** Stacks of the project: one Pulumi.<stack>.yaml each. */
function projectStacks(): string[] {
  return fs.readdirSync(ROOT).map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1]).filter((s): s is string => !!s).sort();
}

/**
 * The runner labels a `runs-on` value picks, for a matrix stack and repository variables. The
 * workflows use only `==`, `&&`, `||`, quoted strings, `fromJSON`, `vars.*` and `matrix.*`,
 * whose GitHub meaning (https://docs.github.com/en/actions/reference/evaluate-expressions-in-workflows-and-actions)
 * is JavaScript's: an unset variable is '' and falsy, `a && b || c` picks b or c.
 */
function runnerLabels(runsOn: string | string[] | undefined, context: { stack?: string; vars?: Record<string, string> }): string[] {
  if (runsOn === undefined) return [];
  if (Array.isArray(runsOn)) return runsOn;
  const expression = /^\$\{\{(.*)\}\}$/s.exec(runsOn.trim());
  if (!expression) return [runsOn];
  const js = expression[1]
    .replace(/\bfromJSON\(/g, "JSON.parse(")
    .replace(/\bvars\.([A-Za-z_][A-Za-z0-9_]*)/g, (_m, name: string) => `(vars[${JSON.stringify(name)}] ?? "")`)
    .replace(/==/g, "===");
  assert.doesNotMatch(js.replace(/'[^']*'/g, "''"), /[^\w\s.()[\]"'|&=?:]|\b(?!JSON\b|parse\b|vars\b|matrix\b|stack\b)[A-Za-z_]\w*\(/, `unexpected expression ${runsOn}`);
  const value = new Function("vars", "matrix", `return (${js});`)(context.vars ?? {}, { stack: context.stack ?? "" });
  return Array.isArray(value) ? value : [String(value)];
}

/** The environment a job runs in, if any. */
const environmentOf = (job: Job): string | undefined => (typeof job.environment === "object" ? job.environment.name : job.environment);

/** GitHub-hosted runner labels: https://docs.github.com/en/actions/using-github-hosted-runners/about-github-hosted-runners */
const isHostedLabel = (label: string) => /^(ubuntu|windows|macos)-/.test(label);

describe("GitHub filter patterns (test helper)", () => {
  it("follows GitHub's meaning of *, **, +, ? and [..]", () => {
    assert.ok(matchesGithubFilter("releases/*", "releases/v1"));
    assert.ok(!matchesGithubFilter("releases/*", "releases/v1/hotfix"));
    assert.ok(matchesGithubFilter("releases/**", "releases/v1/hotfix"));
    assert.ok(matchesGithubFilter("v2?", "v"), "? makes the preceding character optional");
    assert.ok(!matchesGithubFilter("v[0-9]+", "v"), "+ needs one or more");
    assert.ok(!matchesGithubFilter("v1.0", "v1x0"), ". is literal");
    assert.throws(() => githubFilterToRegExp("v[0-9"), /unclosed/);
  });
});

describe("workflows", () => {
  it("exist and parse as YAML", () => {
    assert.deepStrictEqual(files, ["drift.yml", "pull-request.yml", "release.yml"]);
  });

  for (const file of files) {
    describe(file, () => {
      const workflow = workflows[file];

      it("pins every action to a major version or a commit", () => {
        for (const step of allSteps(workflow).filter((s) => s.uses)) {
          assert.match(step.uses!, /^[\w.-]+\/[\w./-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/, `${file}: ${step.uses}`);
        }
      });

      it("grants only contents: read by default, and write scopes only to jobs that need them", () => {
        assert.deepStrictEqual(workflow.permissions, { contents: "read" });
        for (const [name, job] of Object.entries(workflow.jobs)) {
          const granted = typeof job.permissions === "object" ? job.permissions : {};
          assert.notStrictEqual(job.permissions, "write-all", `${file} ${name}`);
          const uses = job.steps.map((s) => s.uses ?? "");
          const writes = Object.entries(granted).filter(([, level]) => level === "write").map(([scope]) => scope).sort();
          const needed = [
            uses.some((u) => u.startsWith("aws-actions/configure-aws-credentials@")) && "id-token",
            uses.some((u) => u.startsWith("github/codeql-action/upload-sarif@")) && "security-events",
            job.steps.some((s) => s.with?.["comment-on-pr"] === true) && "pull-requests",
          ].filter((s): s is string => !!s).sort();
          assert.deepStrictEqual(writes, needed, `${file} job ${name}: write scopes`);
        }
      });

      it("gives `up` the write tokens in the production environment, and previews and drift read-only tokens", () => {
        const runsStack = (s: Step) => (!!s.uses?.startsWith("pulumi/actions@") && !!s.with?.command) || /gitops-cluster drift/.test(s.run ?? "");
        const jobs = Object.entries(workflow.jobs).filter(([, job]) => job.steps.some(runsStack));
        assert.ok(jobs.length > 0, `${file} runs the stack somewhere`);
        for (const [name, job] of jobs) {
          const writes = job.steps.some((s) => s.with?.command === "up");
          for (const step of job.steps.filter(runsStack)) {
            assert.deepStrictEqual(
              { pulumi: step.env?.PULUMI_ACCESS_TOKEN, gitops: step.env?.GITHUB_TOKEN },
              writes
                ? { pulumi: "${{ secrets.PULUMI_ACCESS_TOKEN }}", gitops: "${{ secrets.GITOPS_REPO_TOKEN }}" }
                : { pulumi: "${{ secrets.PULUMI_PREVIEW_TOKEN }}", gitops: "${{ secrets.GITOPS_REPO_READ_TOKEN }}" },
              `${file} job ${name}`,
            );
          }
          assert.strictEqual(environmentOf(job), writes ? "production" : undefined, `${file} job ${name}: environment`);
        }
      });

      it("keeps write credentials (deploy role, write tokens) to jobs of the production environment", () => {
        for (const [name, job] of Object.entries(workflow.jobs)) {
          if (environmentOf(job) === "production") continue;
          const text = JSON.stringify(job);
          assert.doesNotMatch(text, /secrets\.(PULUMI_ACCESS_TOKEN|GITOPS_REPO_TOKEN)\b|vars\.AWS_DEPLOY_ROLE_ARN/, `${file} job ${name}`);
        }
      });

      it("installs the project before any npx gitops-cluster (npx would otherwise fetch a package of that name)", () => {
        for (const [name, job] of Object.entries(workflow.jobs)) {
          const runs = job.steps.map((s) => s.run ?? "");
          const install = runs.indexOf("npm ci");
          runs.forEach((run, i) => {
            if (/\bnpx gitops-cluster\b/.test(run)) assert.ok(install >= 0 && install < i, `${file} job ${name}: "${run}" before npm ci`);
          });
        }
      });

      it("runs only npm scripts that package.json defines and real gitops-cluster subcommands", async () => {
        const scripts = Object.keys(JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts);
        const subcommands = await cliSubcommands();
        assert.ok(subcommands.has("drift") && subcommands.has("verify"), `subcommands read from --help: ${[...subcommands]}`);
        for (const run of allSteps(workflow).map((s) => s.run).filter((r): r is string => !!r)) {
          for (const [, script] of run.matchAll(/\bnpm run(?:-script)? (?:--\S+ )*([\w:-]+)/g)) {
            assert.ok(scripts.includes(script), `${file}: "npm run ${script}" is not a script in package.json`);
          }
          for (const [, script] of run.matchAll(/\bnpm (test|start)\b/g)) {
            assert.ok(scripts.includes(script), `${file}: "npm ${script}" has no script in package.json`);
          }
          for (const [, sub] of run.matchAll(/\bnpx gitops-cluster (\S+)/g)) {
            assert.ok(subcommands.has(sub), `${file}: "gitops-cluster ${sub}" is not a subcommand`);
          }
        }
      });
    });
  }

  describe("pull-request.yml", () => {
    const workflow = workflows["pull-request.yml"];

    it("runs on pull requests to main", () => {
      assert.deepStrictEqual(Object.keys(workflow.on), ["pull_request"]);
      assert.deepStrictEqual(workflow.on.pull_request.branches, ["main"]);
    });

    it("installs with npm ci on Node 20 and runs the tests", () => {
      const test = workflow.jobs.test.steps;
      assert.ok(test.some((s) => s.uses?.startsWith("actions/setup-node@") && s.with?.["node-version"] === 20));
      assert.deepStrictEqual(test.filter((s) => s.run).map((s) => s.run), ["npm ci", "npm run typecheck", "npm test"]);
    });

    it("verifies every cluster as SARIF and uploads it to code scanning even when verify fails", () => {
      const verify = workflow.jobs.verify;
      assert.deepStrictEqual(verify.strategy?.matrix?.cluster, ["development", "production"]);
      const run = verify.steps.find((s) => s.run?.includes("gitops-cluster verify"))!;
      assert.match(run.run!, /--cluster clusters\/\$\{\{ matrix\.cluster \}\} --format sarif > \S+/);
      const sarifFile = /> (.+)$/.exec(run.run!.trim())![1];
      const upload = verify.steps.find((s) => s.uses?.startsWith("github/codeql-action/upload-sarif@"))!;
      assert.strictEqual(upload.with?.sarif_file, sarifFile);
      assert.strictEqual(upload.if, "${{ !cancelled() }}");
    });

    it("previews every stack with pulumi/actions and comments on the PR, never `up`", () => {
      const preview = workflow.jobs.preview;
      assert.deepStrictEqual(preview.strategy?.matrix?.stack, projectStacks().length ? projectStacks() : ["development", "production"]);
      const steps = pulumiSteps(workflow);
      assert.strictEqual(steps.length, 1);
      assert.deepStrictEqual(
        { command: steps[0].with?.command, stack: steps[0].with?.["stack-name"], comment: steps[0].with?.["comment-on-pr"] },
        { command: "preview", stack: "${{ matrix.stack }}", comment: true },
      );
      const steplist = preview.steps.map((s) => s.uses ?? s.run);
      assert.ok(steplist.indexOf("npm ci") < steplist.findIndex((s) => s?.startsWith("pulumi/actions@")), "dependencies before the preview");
      assert.ok(steplist.some((s) => s?.startsWith("aws-actions/configure-aws-credentials@")));
    });

    it("previews as the preview role and never for a pull request from a fork (its code would run on the production runner)", () => {
      const preview = workflow.jobs.preview;
      const credentials = preview.steps.find((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"))!;
      assert.strictEqual(credentials.with?.["role-to-assume"], "${{ vars.AWS_PREVIEW_ROLE_ARN }}");
      // Both spellings of "not a fork" GitHub gives a pull_request event, joined by &&.
      const condition = (preview.if ?? "").replace(/\s+/g, " ");
      assert.match(condition, /(^|&& )github\.event\.pull_request\.head\.repo\.full_name == github\.repository( &&|$)/);
      assert.match(condition, /(^|&& )!github\.event\.pull_request\.head\.repo\.fork( &&|$)/);
      assert.doesNotMatch(condition, /\|\|/, "no alternative lets a fork through");
      assert.deepStrictEqual(Object.keys(workflow.on), ["pull_request"], "never pull_request_target, which runs with the base's secrets");
    });
  });

  describe("release.yml", () => {
    const workflow = workflows["release.yml"];
    const patterns: string[] = workflow.on.push?.tags ?? [];

    it("runs only on pushed tags", () => {
      assert.deepStrictEqual(Object.keys(workflow.on), ["push"]);
      assert.deepStrictEqual(Object.keys(workflow.on.push), ["tags"]);
      assert.ok(patterns.length > 0);
    });

    const matches = (tag: string) => patterns.some((p) => matchesGithubFilter(p, tag));
    for (const tag of ["v1.2.3", "v0.1.0", "v10.20.300"]) {
      it(`releases ${tag}`, () => assert.ok(matches(tag), `${patterns} should match ${tag}`));
    }
    for (const tag of ["v1.2", "latest", "v1.2.3-rc1", "1.2.3", "v1.2.3.4", "v1.2.x", "release/v1.2.3"]) {
      it(`does not release ${tag}`, () => assert.ok(!matches(tag), `${patterns} should not match ${tag}`));
    }

    it("runs `up` on production only, after the verify job", () => {
      const steps = pulumiSteps(workflow);
      assert.deepStrictEqual(steps.map((s) => [s.with?.command, s.with?.["stack-name"]]), [["up", "production"]]);
      const upJob = Object.values(workflow.jobs).find((j) => j.steps.some((s) => s.with?.command === "up"))!;
      assert.strictEqual(upJob.needs, "verify");
      assert.ok(workflow.jobs.verify.steps.some((s) => s.run?.includes("gitops-cluster verify") && s.run.includes("clusters/production")));
    });

    it("deploys as the deploy role in the production environment, for long enough to finish a first up or a destroy", () => {
      const up = workflow.jobs.up;
      assert.strictEqual(environmentOf(up), "production");
      const credentials = up.steps.find((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"))!;
      assert.strictEqual(credentials.with?.["role-to-assume"], "${{ vars.AWS_DEPLOY_ROLE_ARN }}");
      const seconds = Number(credentials.with?.["role-duration-seconds"]);
      // A first up is ~20 min, a destroy waits up to 15 min per Kustomization level; IAM allows 1-12 h.
      assert.ok(seconds >= 7200 && seconds <= 43200, `role-duration-seconds ${credentials.with?.["role-duration-seconds"]}`);
    });

    it("never runs two releases at once and never cancels one midway", () => {
      assert.ok(workflow.concurrency?.group, "a concurrency group");
      assert.ok(!workflow.concurrency.group.includes("${{"), "one group for every release, not one per tag");
      assert.strictEqual(workflow.concurrency["cancel-in-progress"], false);
    });

    it("commits and pushes nothing back, and deploys only tags that are on main", () => {
      const runs = allSteps(workflow).map((s) => s.run ?? "").join("\n");
      assert.doesNotMatch(runs, /git (commit|push|tag)/);
      assert.match(runs, /git merge-base --is-ancestor "\$GITHUB_SHA" origin\/main/);
    });

    it("no other workflow runs `up`", () => {
      for (const [file, w] of Object.entries(workflows).filter(([f]) => f !== "release.yml")) {
        assert.ok(!pulumiSteps(w).some((s) => s.with?.command === "up" || s.with?.command === "update"), file);
        assert.doesNotMatch(allSteps(w).map((s) => s.run ?? "").join("\n"), /pulumi up\b/, file);
      }
    });
  });

  describe("runners of the jobs that reach a cluster", () => {
    /** Jobs that run pulumi preview/up or drift, with the stacks they reach. */
    const clusterJobs = Object.entries(workflows).flatMap(([file, w]) =>
      Object.entries(w.jobs)
        .filter(([, job]) => job.steps.some((s) => s.uses?.startsWith("pulumi/actions@") && s.with?.command) || job.steps.some((s) => s.run?.includes("gitops-cluster drift")))
        .map(([name, job]) => {
          const stackName = job.steps.find((s) => s.with?.["stack-name"])?.with?.["stack-name"] as string | undefined;
          const stacks = (job.strategy?.matrix?.stack as string[] | undefined) ?? (stackName ? [stackName] : []);
          return { where: `${file} ${name}`, job, stacks };
        }),
    );

    it("covers the preview, up and drift jobs", () => {
      assert.deepStrictEqual(clusterJobs.map((j) => j.where).sort(), ["drift.yml drift", "pull-request.yml preview", "release.yml up"]);
    });

    for (const name of ["drift.yml drift", "pull-request.yml preview", "release.yml up"]) {
      it(`${name}: production never runs on a GitHub-hosted runner unless vars.PRODUCTION_RUNNER says so`, () => {
        const { job, stacks } = clusterJobs.find((j) => j.where === name)!;
        assert.ok(stacks.includes("production"), `${name} reaches production`);
        const byDefault = runnerLabels(job["runs-on"], { stack: "production" });
        assert.deepStrictEqual(byDefault, ["self-hosted", "gitops-production"]);
        assert.ok(!byDefault.some(isHostedLabel), byDefault.join(","));
        // A runner whose egress CIDR is in publicAccessCidrs, named by the repository variable.
        assert.deepStrictEqual(runnerLabels(job["runs-on"], { stack: "production", vars: { PRODUCTION_RUNNER: '["acme-static-egress"]' } }), ["acme-static-egress"]);
        assert.deepStrictEqual(runnerLabels(job["runs-on"], { stack: "production", vars: { PRODUCTION_RUNNER: '"ubuntu-latest"' } }), ["ubuntu-latest"]);
        if (stacks.includes("development")) {
          assert.deepStrictEqual(runnerLabels(job["runs-on"], { stack: "development" }), ["ubuntu-latest"], "development's endpoint is public");
        }
      });
    }
  });

  describe("drift.yml", () => {
    const workflow = workflows["drift.yml"];

    it("runs on a schedule and on demand", () => {
      assert.deepStrictEqual(Object.keys(workflow.on).sort(), ["schedule", "workflow_dispatch"]);
      for (const { cron } of workflow.on.schedule) assert.strictEqual(cron.trim().split(/\s+/).length, 5, cron);
    });

    it("runs the drift command for each stack and fails on drift", () => {
      const job = workflow.jobs.drift;
      assert.deepStrictEqual(job.strategy?.matrix?.stack, projectStacks().length ? projectStacks() : ["development", "production"]);
      const drift = job.steps.filter((s) => s.run?.includes("gitops-cluster drift"));
      assert.deepStrictEqual(drift.map((s) => s.run!.trim()), ["npx gitops-cluster drift --stack ${{ matrix.stack }}"]);
      assert.strictEqual(drift[0]["continue-on-error"], undefined, "a non-zero exit must fail the job");
      assert.strictEqual(job["continue-on-error"], undefined);
      const order = job.steps.map((s) => s.uses ?? s.run ?? "");
      assert.ok(order.findIndex((s) => s.startsWith("pulumi/actions@")) < order.indexOf(drift[0].run!), "the Pulumi CLI is installed first");
    });
  });
});
