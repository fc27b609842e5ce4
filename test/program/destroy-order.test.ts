/**
 * `pulumi destroy` deletes a resource only after everything that depends on it is gone: its
 * dependents (the engine's recorded dependencies, explicit or carried by Outputs), its children,
 * and the resources its provider manages. The recorded graph of the real program, read in reverse
 * topological order, is the order destroy follows.
 */
import * as assert from "assert";
import { ProgramRun, RecordedResource, runProgram } from "../../offline/program";

/** The URNs of known resources that appear in a resource's inputs (resource references). */
function referencesIn(value: unknown, urns: Set<string>, out: Set<string>): Set<string> {
  if (typeof value === "string" && urns.has(value)) out.add(value);
  else if (Array.isArray(value)) for (const v of value) referencesIn(v, urns, out);
  else if (value !== null && typeof value === "object") for (const v of Object.values(value)) referencesIn(v, urns, out);
  return out;
}

/**
 * Edges "a needs b" as the engine sees them for deletes: dependencies, parent, provider. A remote
 * component (@pulumi/eks's ManagedNodeGroup) is registered with resource references excluded from
 * its dependencies: the provider's children carry them (its NodeGroup uses the cluster's name),
 * and the mocks run no provider, so a reference in its inputs stands for those children's edges.
 */
function needs(run: ProgramRun): Map<string, Set<string>> {
  const urns = new Set(run.resources.map((r) => r.urn));
  const edges = new Map<string, Set<string>>();
  for (const r of run.resources) {
    const set = new Set<string>(r.dependencies);
    if (r.parent) set.add(r.parent);
    if (r.provider) set.add(r.provider);
    if (r.type.startsWith("eks:index:")) referencesIn(r.inputs, urns, set);
    set.delete(r.urn);
    edges.set(r.urn, set);
  }
  return edges;
}

/** Every resource `urn` transitively needs. */
function closure(edges: Map<string, Set<string>>, urn: string): Set<string> {
  const seen = new Set<string>();
  const stack = [...(edges.get(urn) ?? [])];
  while (stack.length > 0) {
    const next = stack.pop()!;
    if (seen.has(next)) continue;
    seen.add(next);
    stack.push(...(edges.get(next) ?? []));
  }
  return seen;
}

/** A destroy order: repeatedly delete what nothing remaining needs (Kahn on the reversed graph), custom resources only. */
function destroyOrder(run: ProgramRun): string[] {
  const edges = needs(run);
  const neededBy = new Map<string, number>();
  for (const r of run.resources) neededBy.set(r.urn, 0);
  for (const deps of edges.values()) for (const d of deps) neededBy.set(d, (neededBy.get(d) ?? 0) + 1);
  const ready = run.resources.filter((r) => neededBy.get(r.urn) === 0).map((r) => r.urn);
  const order: string[] = [];
  while (ready.length > 0) {
    const urn = ready.shift()!;
    order.push(urn);
    for (const d of edges.get(urn) ?? []) {
      const left = neededBy.get(d)! - 1;
      neededBy.set(d, left);
      if (left === 0) ready.push(d);
    }
  }
  assert.strictEqual(order.length, run.resources.length, "the recorded graph has a cycle");
  return order;
}

function pick(run: ProgramRun, test: (r: RecordedResource) => boolean, what: string): RecordedResource[] {
  const found = run.resources.filter(test);
  assert.ok(found.length > 0, `no ${what} in the plan`);
  return found;
}

for (const stack of ["development", "production"]) {
  describe(`destroy order of the ${stack} stack (recorded graph, reverse topological)`, () => {
    let run: ProgramRun;
    let order: string[];
    before(async () => {
      run = await runProgram(stack);
      order = destroyOrder(run);
    });
    const position = (r: RecordedResource) => order.indexOf(r.urn);
    const last = (rs: RecordedResource[]) => Math.max(...rs.map(position));
    const first = (rs: RecordedResource[]) => Math.min(...rs.map(position));

    const tiers = () => {
      const root = pick(run, (r) => r.inputs.kind === "Kustomization" && r.type.startsWith("kubernetes:"), "root Kustomization");
      const instance = pick(run, (r) => r.inputs.kind === "FluxInstance", "FluxInstance");
      const controller = pick(run, (r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.chart === "aws-load-balancer-controller", "Load Balancer Controller");
      const addons = pick(run, (r) => r.type === "aws:eks/addon:Addon", "EKS add-on");
      const onNodes = addons.filter((a) => a.inputs.addonName === "coredns" || a.inputs.addonName === "aws-ebs-csi-driver");
      const associations = pick(run, (r) => r.type === "aws:eks/podIdentityAssociation:PodIdentityAssociation", "Pod Identity association");
      const nodeGroups = pick(run, (r) => r.type === "eks:index:ManagedNodeGroup", "node group");
      const cluster = pick(run, (r) => r.type === "eks:index:Cluster", "EKS cluster");
      const vpc = pick(run, (r) => r.type === "aws:ec2/vpc:Vpc", "VPC");
      const subnets = pick(run, (r) => r.type === "aws:ec2/subnet:Subnet", "subnet");
      return { root, instance, controller, addons, onNodes, associations, nodeGroups, cluster, network: [...vpc, ...subnets] };
    };

    it("deletes the root Kustomization before the FluxInstance, the Load Balancer Controller and every add-on", () => {
      const t = tiers();
      assert.ok(last(t.root) < first([...t.instance, ...t.controller, ...t.addons, ...t.associations]));
    });

    it("the root depends on them for real: each is in its dependency closure (so no order of deletion could differ)", () => {
      const t = tiers();
      const reach = closure(needs(run), t.root[0].urn);
      for (const r of [...t.instance, ...t.controller, ...t.addons, ...t.associations]) assert.ok(reach.has(r.urn), `${r.type} ${r.name}`);
    });

    it("deletes the FluxInstance, the Load Balancer Controller and the add-ons that run on nodes before the node groups", () => {
      const t = tiers();
      assert.ok(last([...t.instance, ...t.controller, ...t.onNodes]) < first(t.nodeGroups));
      const reach = closure(needs(run), t.controller[0].urn);
      for (const g of t.nodeGroups) assert.ok(reach.has(g.urn), `the controller does not wait for ${g.name}`);
    });

    it("keeps the Load Balancer Controller's credentials until it is gone: its association and the agent go after it", () => {
      const t = tiers();
      const agent = t.addons.filter((a) => a.inputs.addonName === "eks-pod-identity-agent");
      const own = t.associations.filter((a) => a.inputs.serviceAccount === "aws-load-balancer-controller");
      assert.ok(position(t.controller[0]) < first([...agent, ...own]));
    });

    it("deletes the node groups before the cluster, and the cluster before the network", () => {
      const t = tiers();
      assert.ok(last(t.nodeGroups) < first(t.cluster));
      assert.ok(last([...t.addons, ...t.associations]) < first(t.cluster));
      assert.ok(last(t.cluster) < first(t.network));
    });
  });
}
