/**
 * The CrossGuard policy pack: `pulumi preview --policy-pack policy` (or `pulumi up`) runs it
 * against the stack. The policies live in ./policies.ts; they apply to production stacks only.
 */
import { PolicyPack } from "@pulumi/policy";
import { productionPolicies } from "./policies";

new PolicyPack("gitops-cluster-production", {
  description: "Production guardrails for the gitops-cluster EKS stack: secrets encryption, a restricted API endpoint, IMDSv2 and private subnets for nodes, and protection on the cluster.",
  enforcementLevel: "mandatory",
  policies: productionPolicies,
});
