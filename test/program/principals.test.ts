import * as assert from "assert";
import { PREVIEW_GROUP } from "../../components/access-entries";
import { DRY_RUN_ONLY } from "../../components/preview-access";
import { PROJECT_DIR, ProgramRun, runProgram } from "../../offline/program";
import { readStackConfigFile } from "../../stacks/settings";
import { ofType, only } from "../components/helpers";

const ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry";
/** Not an admin of either stack file; the tests add it as a person with an admin grant. */
const ONCALL = "arn:aws:iam::123456789012:user/oncall";

interface ClusterConfig {
  adminPrincipalArns: string[];
  creatorPrincipalArn?: string;
  pipelineRoles: { deploy: string; preview: string };
  [key: string]: unknown;
}

/** An assumed-role session of `roleArn`, as sts:GetCallerIdentity prints it; users are their own ARN. */
function session(principalArn: string, name: string): string {
  const role = /^arn:aws:iam::(\d{12}):role\/(.+)$/.exec(principalArn);
  return role ? `arn:aws:sts::${role[1]}:assumed-role/${role[2].split("/").pop()}/${name}` : principalArn;
}

/** The part of a plan that an `up` would act on: every resource, its inputs and edges. */
function planOf(run: ProgramRun) {
  return run.resources.map((r) => ({ urn: r.urn, inputs: r.inputs, dependencies: r.dependencies, provider: r.provider, parent: r.parent }));
}

for (const stack of ["development", "production"] as const) {
  describe(`${stack}: one plan for every principal`, () => {
    const file = readStackConfigFile(PROJECT_DIR, stack) as { cluster: ClusterConfig };
    const cluster: ClusterConfig = { ...file.cluster, adminPrincipalArns: [...file.cluster.adminPrincipalArns, ONCALL] };
    const creator = cluster.creatorPrincipalArn ?? cluster.pipelineRoles.deploy;
    const callers: Record<string, string> = {
      creator: session(creator, "first-up"),
      "deploy role": session(cluster.pipelineRoles.deploy, "GitHubActions"),
      "preview role": session(cluster.pipelineRoles.preview, "GitHubActions"),
      "a person with an admin grant": ONCALL,
    };
    const runs: Record<string, ProgramRun> = {};
    before(async () => {
      for (const [who, caller] of Object.entries(callers)) runs[who] = await runProgram(stack, { config: { cluster }, caller });
    });

    it("declares the same resources with the same inputs, whoever runs it", () => {
      const [first, ...rest] = Object.keys(callers);
      for (const who of rest) assert.deepStrictEqual(planOf(runs[who]), planOf(runs[first]), `${who} plans differently from the ${first}`);
    });

    it("declares an entry for every grant but the creator's, the preview role's in the dry-run group", () => {
      const run = runs.creator;
      const principals = ofType(run, ACCESS_ENTRY).map((e) => e.inputs.principalArn).sort();
      const granted = [...new Set([...cluster.adminPrincipalArns, cluster.pipelineRoles.deploy, cluster.pipelineRoles.preview])];
      assert.deepStrictEqual(principals, granted.filter((p) => p !== creator).sort());
      const preview = ofType(run, ACCESS_ENTRY).find((e) => e.inputs.principalArn === cluster.pipelineRoles.preview)!;
      assert.deepStrictEqual(preview.inputs.kubernetesGroups, [PREVIEW_GROUP]);
    });

    it("lets the preview group dry-run writes and refuses any write of it that would persist", () => {
      const run = runs.creator;
      const policy = only(run, "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy").inputs.spec as {
        matchConditions: { expression: string }[];
        validations: { expression: string }[];
        matchConstraints: { resourceRules: { operations: string[]; resources: string[] }[] };
      };
      assert.deepStrictEqual(policy.validations.map((v) => v.expression), [DRY_RUN_ONLY]);
      assert.ok(policy.matchConditions[0].expression.includes(`'${PREVIEW_GROUP}'`));
      assert.deepStrictEqual(policy.matchConstraints.resourceRules[0].resources, ["*"]);
      const binding = only(run, "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding").inputs.spec as { validationActions: string[] };
      assert.deepStrictEqual(binding.validationActions, ["Deny"]);
      const role = only(run, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole").inputs.rules as { apiGroups: string[]; verbs: string[] }[];
      // The role can never lift the policy: no verb on admission configuration, and no delete.
      assert.ok(role.every((rule) => !rule.apiGroups.includes("admissionregistration.k8s.io") && !rule.verbs.includes("delete")));
    });

    it("refuses a principal with no grant, naming who may run it", async () => {
      const stranger = "arn:aws:sts::123456789012:assumed-role/Developer/mallory";
      await assert.rejects(runProgram(stack, { config: { cluster }, caller: stranger }), (err: Error) => {
        assert.match(err.message, /^gitops-cluster:cluster: arn:aws:iam::123456789012:role\/Developer has no access entry in this stack; run as one of: /);
        assert.ok(err.message.includes(`${creator} (cluster.creatorPrincipalArn)`), err.message);
        return true;
      });
    });

    it("lets the preview role preview but not `up`", async () => {
      await assert.rejects(runProgram(stack, { config: { cluster }, caller: callers["preview role"], dryRun: false }), /is the preview role \(cluster\.pipelineRoles\.preview\): it may run `pulumi preview`, not `pulumi up`/);
    });
  });
}
