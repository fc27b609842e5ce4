/**
 * The two components that read the GitOps repository, run inside the whole program: the ordering
 * check stops the run before anything is created, and the injection declares every overlay file
 * that carries the node role, with the content it should have, whether the checkout is stale or not.
 */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { NODE_MANAGED_POLICIES } from "../../components/node-role";
import { PROJECT_DIR, ProgramRun, runProgram } from "../../offline/program";
import { ofType, only } from "../components/helpers";

const ROLE_ARN = "arn:aws:iam::123456789012:role/acme-development-nodes";
const GPU_ROLE_ARN = "arn:aws:iam::123456789012:role/acme-development-gpu-nodes";
const STALE_ARN = "arn:aws:iam::123456789012:role/eksctl-dev-eks-core-nodegroup-ng-NodeInstanceRole-1IXH5OLFJVNQO";
const OVERLAYS = "infrastructure/kustomized/overlays/development";

/** A scratch copy of the example repository whose development overlays are rewritten by `edit`. */
const made: string[] = [];
after(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function exampleRepoWith(edit: (overlayDir: string) => void): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gitops-"));
  made.push(dir);
  fs.cpSync(path.join(PROJECT_DIR, "examples/gitops"), dir, { recursive: true });
  edit(path.join(dir, OVERLAYS));
  return dir;
}

function namespace(name: string, role: string): string {
  return `# ${name}: its pods run on the default node group\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n  annotations:\n    iam_role: ${role}\n`;
}

/** Overlays as the seed's teams keep them: literal roles, here one stale and one already right. */
function literalOverlays(overlayDir: string): void {
  for (const file of fs.readdirSync(overlayDir)) {
    const full = path.join(overlayDir, file);
    if (/\.ya?ml$/.test(file)) fs.writeFileSync(full, fs.readFileSync(full, "utf8").replaceAll("${NODE_ROLE_ARN}", STALE_ARN));
  }
  fs.writeFileSync(path.join(overlayDir, "namespace-billing.yaml"), namespace("billing", STALE_ARN));
  fs.writeFileSync(path.join(overlayDir, "namespace-search.yaml"), namespace("search", ROLE_ARN));
}

function commitMode(repoDir: string): Record<string, unknown> {
  return {
    gitops: { repoDir, clusterPath: "clusters/development" },
    injection: { mode: "commit", commit: { owner: "acme", repository: "gitops", branch: "main" } },
  };
}

const repositoryFiles = (run: ProgramRun) => run.resources.filter((r) => r.type === "github:index/repositoryFile:RepositoryFile");

describe("the stack program and the GitOps repository", function () {
  describe("ordering check", () => {
    it("fails the run with the ordering error and the dependsOn to add when the install order is broken", async () => {
      const broken = path.join(PROJECT_DIR, "test/fixtures/ordering/consumer-without-provider/broken");
      await assert.rejects(
        runProgram("development", {
          config: {
            gitops: { repoDir: broken, clusterPath: "clusters/dev" },
            flux: { repoUrl: "ssh://git@github.com/acme/gitops.git", path: "./clusters/dev" },
          },
        }),
        (err: Error) => {
          assert.match(err.message, /Flux install order .* is broken; nothing was created/);
          assert.match(err.message, /consumer-without-provider/);
          assert.match(err.message, /fix: add `- name: [a-z-]+` to spec\.dependsOn/);
          return true;
        },
      );
    });

    it("reports an unreadable repository by its setting, not with a stack trace", async () => {
      await assert.rejects(
        runProgram("development", { config: { gitops: { repoDir: "/nonexistent/gitops", clusterPath: "clusters/development" } } }),
        /could not be checked: .*\n.*gitops-cluster:gitops\.repoDir/,
      );
    });
  });

  describe("injection, commit mode", () => {
    let literal: ProgramRun;
    let inSync: ProgramRun;
    before(async () => {
      // One checkout, before and after `git pull` brings the stack's commit.
      const checkout = exampleRepoWith(literalOverlays);
      literal = await runProgram("development", { config: commitMode(checkout) });
      const dir = path.join(checkout, OVERLAYS);
      for (const file of fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f))) {
        const full = path.join(dir, file);
        fs.writeFileSync(full, fs.readFileSync(full, "utf8").replaceAll(STALE_ARN, ROLE_ARN));
      }
      inSync = await runProgram("development", { config: commitMode(checkout) });
    });

    it("declares every overlay file that carries the key, with the rewritten content", () => {
      const files = repositoryFiles(literal);
      const committed = files.map((f) => f.inputs.file as string).sort();
      assert.ok(committed.includes(`${OVERLAYS}/namespace-billing.yaml`));
      assert.ok(committed.includes(`${OVERLAYS}/namespace-search.yaml`), "a file already carrying the role is declared too");
      for (const file of files) {
        const content = file.inputs.content as string;
        // A ${NODE_ROLE_NAME} placeholder is left for Flux (cluster-vars carries the default role).
        assert.ok((content.includes(ROLE_ARN) || content.includes("${NODE_ROLE_")) && !content.includes(STALE_ARN), `${file.inputs.file} carries the new role only`);
        assert.equal(file.inputs.repository, "gitops");
        assert.equal(file.inputs.branch, "main");
        assert.equal(file.inputs.overwriteOnCreate, true);
        assert.match(file.inputs.commitMessage as string, /^development: iam_role of the namespaces in /);
      }
      const billing = files.find((f) => f.inputs.file === `${OVERLAYS}/namespace-billing.yaml`)!;
      assert.equal(billing.inputs.content, namespace("billing", ROLE_ARN), "comments and layout survive");
    });

    it("commits as the configured owner, through the injection's own GitHub provider", () => {
      const providers = literal.resources.filter((r) => r.type === "pulumi:providers:github" && r.name === "overlays-github");
      assert.equal(providers.length, 1);
      assert.equal(providers[0].inputs.owner, "acme");
    });

    it("registers identical resources and inputs for a stale and an up-to-date checkout (a second up is a no-op)", () => {
      const registrations = (run: ProgramRun) => run.resources.map((r) => ({ urn: r.urn, parent: r.parent, dependsOn: r.dependsOn, inputs: r.inputs }));
      assert.ok(repositoryFiles(inSync).length > 0);
      assert.deepEqual(registrations(inSync), registrations(literal));
    });

    it("lists the edits only the stale checkout still lacks", () => {
      const edits = (run: ProgramRun) => (run.outputs.overlayInjection as { commits: { edits: unknown[] }[] }).commits.flatMap((c) => c.edits);
      assert.ok(edits(literal).length > 0);
      assert.deepEqual(edits(inSync), []);
    });

    it("lists what it commits in the stack outputs", () => {
      const injection = literal.outputs.overlayInjection as { mode: string; commits: { file: string }[] };
      assert.equal(injection.mode, "commit");
      assert.deepEqual(
        injection.commits.map((c) => c.file).sort(),
        repositoryFiles(literal).map((f) => f.inputs.file as string).sort(),
      );
    });
  });

  describe("several node roles", () => {
    /** A general group on the shared role and a gpu group on its own; billing runs on gpu, search is mapped to general. */
    function severalRoles(injection: Record<string, unknown>, repoDir: string): Record<string, unknown> {
      return {
        gitops: { repoDir, clusterPath: "clusters/development" },
        nodeGroups: [{ name: "general" }, { name: "gpu", dedicatedRole: true }],
        injection: { ...injection, namespaceNodeGroups: { billing: "gpu", search: "general" } },
      };
    }
    const commitToAcme = { mode: "commit", commit: { owner: "acme", repository: "gitops", branch: "main" } };

    let run: ProgramRun;
    before(async () => {
      run = await runProgram("development", { config: severalRoles(commitToAcme, exampleRepoWith(literalOverlays)) });
    });

    it("creates the gpu group's own node role, named for the cluster and group, with the four managed policies", () => {
      const component = only(run, "gitops-cluster:index:NodeRole", "node-role-gpu");
      const children = run.resources.filter((r) => r.parent === component.urn);
      assert.equal(children.find((r) => r.type === "aws:iam/role:Role")?.inputs.name, "acme-development-gpu-nodes");
      assert.deepEqual(
        children.filter((r) => r.type === "aws:iam/rolePolicyAttachment:RolePolicyAttachment").map((a) => a.inputs.policyArn).sort(),
        NODE_MANAGED_POLICIES.map((policy) => `arn:aws:iam::aws:policy/${policy}`).sort(),
      );
      assert.equal(ofType(run, "gitops-cluster:index:NodeRole").length, 2, "the shared role and the gpu role");
    });

    it("runs the gpu group as its own role and the general group as the shared one, and outputs both", () => {
      const roleOf = (group: string) => only(run, "eks:index:ManagedNodeGroup", `cluster-${group}`).inputs.nodeRoleArn;
      assert.equal(roleOf("gpu"), GPU_ROLE_ARN);
      assert.equal(roleOf("general"), ROLE_ARN);
      assert.deepEqual(run.outputs.nodeGroupRoles, { general: ROLE_ARN, gpu: GPU_ROLE_ARN });
      assert.equal(run.outputs.nodeRoleArn, ROLE_ARN);
    });

    it("commits the gpu role to the namespace mapped to gpu, and the default role to the others", () => {
      const content = (file: string) => repositoryFiles(run).find((f) => f.inputs.file === `${OVERLAYS}/${file}`)?.inputs.content;
      assert.equal(content("namespace-billing.yaml"), namespace("billing", GPU_ROLE_ARN));
      assert.match(content("namespace-podinfo.yaml") as string, new RegExp(`iam_role: ${ROLE_ARN}\n`), "unmapped: the default role");
      assert.equal(content("namespace-search.yaml"), namespace("search", ROLE_ARN), "mapped to the shared role, which it already carries");
    });

    describe("in substitute mode", () => {
      let warnings: string[];
      async function substituteRun(edit: (overlayDir: string) => void): Promise<ProgramRun> {
        const original = console.warn;
        warnings = [];
        console.warn = (...args: unknown[]) => void warnings.push(args.join(" "));
        try {
          return await runProgram("development", { config: severalRoles({ mode: "substitute" }, exampleRepoWith(edit)) });
        } finally {
          console.warn = original;
        }
      }

      it("warns, naming file:line, when a namespace mapped to the gpu group would get the default role from cluster-vars", async () => {
        const run = await substituteRun((dir) => fs.writeFileSync(path.join(dir, "namespace-billing.yaml"), namespace("billing", "${NODE_ROLE_ARN}")));
        assert.deepEqual(repositoryFiles(run), []);
        const about = warnings.filter((w) => w.includes("its own role"));
        assert.equal(about.length, 1, warnings.join("\n"));
        assert.ok(about[0].includes(`${OVERLAYS}/namespace-billing.yaml:7: namespace billing `), about[0]);
        assert.ok(about[0].includes(`must be ${GPU_ROLE_ARN} (got \${NODE_ROLE_ARN})`), about[0]);
      });

      it("stays quiet when that namespace already carries the gpu role as a literal value", async () => {
        await substituteRun((dir) => fs.writeFileSync(path.join(dir, "namespace-billing.yaml"), namespace("billing", GPU_ROLE_ARN)));
        assert.deepEqual(warnings.filter((w) => w.includes("its own role")), []);
      });
    });
  });

  describe("injection, substitute mode", () => {
    it("commits nothing and lists the placeholders Flux fills from cluster-vars", async () => {
      const run = await runProgram("development");
      assert.deepEqual(repositoryFiles(run), []);
      const injection = run.outputs.overlayInjection as { placeholders: { variable: string }[]; suppliedVariables: string[] };
      assert.ok(injection.placeholders.length > 0);
      for (const p of injection.placeholders) assert.ok(injection.suppliedVariables.includes(p.variable));
    });
  });
});
