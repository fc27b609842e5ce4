import * as assert from "assert";
import { Network, planSubnets } from "../../components/network";
import type { ProgramRun, RecordedResource } from "../../offline/program";
import { at, ofType, only, underMocks } from "./helpers";

const SUBNET = "aws:ec2/subnet:Subnet";
const NAT = "aws:ec2/natGateway:NatGateway";
const ROUTE_TABLE = "aws:ec2/routeTable:RouteTable";

function tags(r: RecordedResource): Record<string, string> {
  return (r.inputs.tags ?? {}) as Record<string, string>;
}

function ipRange(cidr: string): [number, number] {
  const [ip, prefix] = cidr.split("/");
  const base = ip.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
  return [base, base + 2 ** (32 - Number(prefix)) - 1];
}

describe("Network", () => {
  describe("planSubnets", () => {
    it("gives every zone a public and a private subnet inside the VPC, none overlapping", () => {
      for (const zones of [2, 3, 4, 6]) {
        const plan = planSubnets("10.20.0.0/16", zones);
        assert.strictEqual(plan.public.length, zones);
        assert.strictEqual(plan.private.length, zones);
        const ranges = [...plan.public, ...plan.private].map(ipRange);
        const [vpcStart, vpcEnd] = ipRange("10.20.0.0/16");
        for (const [start, end] of ranges) assert.ok(start >= vpcStart && end <= vpcEnd, `${zones} zones: outside the VPC`);
        const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
        sorted.slice(1).forEach(([start], i) => assert.ok(start > sorted[i][1], `${zones} zones: subnets overlap`));
      }
    });

    it("gives private subnets (where pods take VPC addresses) more room than public ones", () => {
      const plan = planSubnets("10.10.0.0/16", 2);
      assert.deepStrictEqual(plan.private, ["10.10.0.0/18", "10.10.64.0/18"]);
      assert.deepStrictEqual(plan.public, ["10.10.192.0/20", "10.10.208.0/20"]);
    });

    it("rejects a malformed CIDR, host bits, and a VPC too small for the zones, naming network.vpcCidr", () => {
      assert.throws(() => planSubnets("10.0.0/16", 2), /network\.vpcCidr must be an IPv4 CIDR such as "10\.0\.0\.0\/16" \(got "10\.0\.0\/16"\)/);
      assert.throws(() => planSubnets("10.0.0.1/16", 2), /network\.vpcCidr "10\.0\.0\.1\/16" has host bits set; did you mean 10\.0\.0\.0\/16\?/);
      assert.throws(() => planSubnets("10.0.0.0/26", 3), /network\.vpcCidr 10\.0\.0\.0\/26 is too small for 3 zones/);
      assert.throws(() => planSubnets("10.0.0.0/16", 1), /network\.zoneCount must be an integer >= 2/);
    });
  });

  describe("a new VPC over two zones with one NAT gateway", () => {
    let run: ProgramRun;
    before(async () => {
      run = await underMocks(() => {
        const network = new Network("network", { clusterName: "demo", vpcCidr: "10.10.0.0/16", zoneCount: 2, natGateways: "single", tags: { team: "platform" } });
        return { vpcId: network.vpcId, publicSubnetIds: network.publicSubnetIds, privateSubnetIds: network.privateSubnetIds };
      });
    });

    it("tags public subnets for internet-facing load balancers and private ones for internal ones", () => {
      const subnets = ofType(run, SUBNET);
      const publics = subnets.filter((s) => s.name.includes("public"));
      const privates = subnets.filter((s) => s.name.includes("private"));
      assert.strictEqual(publics.length, 2);
      assert.strictEqual(privates.length, 2);
      for (const s of publics) {
        assert.strictEqual(tags(s)["kubernetes.io/role/elb"], "1");
        assert.strictEqual(tags(s)["kubernetes.io/role/internal-elb"], undefined);
      }
      for (const s of privates) {
        assert.strictEqual(tags(s)["kubernetes.io/role/internal-elb"], "1");
        assert.strictEqual(tags(s)["kubernetes.io/role/elb"], undefined);
      }
      for (const s of subnets) {
        assert.strictEqual(tags(s)["kubernetes.io/cluster/demo"], "shared");
        assert.strictEqual(tags(s).team, "platform");
      }
    });

    it("spreads each tier over distinct availability zones", () => {
      for (const tier of ["public", "private"]) {
        const zones = ofType(run, SUBNET).filter((s) => s.name.includes(tier)).map((s) => s.inputs.availabilityZone);
        assert.deepStrictEqual(zones, ["eu-west-1a", "eu-west-1b"]);
      }
    });

    it("routes every private subnet through the one NAT gateway, which sits in a public subnet", () => {
      const nat = only(run, NAT);
      const publicIds = ofType(run, SUBNET).filter((s) => s.name.includes("public")).map((s) => s.id);
      assert.ok(publicIds.includes(nat.inputs.subnetId as string));
      const privateRoutes = ofType(run, ROUTE_TABLE).filter((r) => r.name.includes("private"));
      assert.strictEqual(privateRoutes.length, 2);
      for (const table of privateRoutes) assert.strictEqual(at(table, "routes", 0, "natGatewayId"), nat.id);
      assert.strictEqual(ofType(run, "aws:ec2/eip:Eip").length, 1);
    });

    it("sends public traffic to the internet gateway", () => {
      const igw = only(run, "aws:ec2/internetGateway:InternetGateway");
      assert.strictEqual(at(only(run, ROUTE_TABLE, "network-public"), "routes", 0, "gatewayId"), igw.id);
      assert.strictEqual(ofType(run, "aws:ec2/routeTableAssociation:RouteTableAssociation").length, 4);
    });

    it("outputs the ids of the subnets it created, per tier", () => {
      const idsOf = (tier: string) => ofType(run, SUBNET).filter((s) => s.name.includes(tier)).map((s) => s.id);
      assert.deepStrictEqual(run.outputs.publicSubnetIds, idsOf("public"));
      assert.deepStrictEqual(run.outputs.privateSubnetIds, idsOf("private"));
      assert.strictEqual(run.outputs.vpcId, only(run, "aws:ec2/vpc:Vpc").id);
    });
  });

  describe("a new VPC over three zones with a NAT gateway per zone, protected", () => {
    let run: ProgramRun;
    before(async () => {
      run = await underMocks(() => {
        new Network("network", { clusterName: "prod", vpcCidr: "10.20.0.0/16", zoneCount: 3, natGateways: "perZone", protect: true });
      });
    });

    it("gives each zone its own NAT gateway and routes each private subnet through its zone's", () => {
      const nats = ofType(run, NAT);
      assert.strictEqual(nats.length, 3);
      assert.strictEqual(new Set(nats.map((n) => n.inputs.subnetId)).size, 3, "NAT gateways share a subnet");
      const targets = ofType(run, ROUTE_TABLE)
        .filter((r) => r.name.includes("private"))
        .map((r) => at(r, "routes", 0, "natGatewayId"));
      assert.deepStrictEqual(targets, nats.map((n) => n.id));
    });

    it("protects the VPC and the subnets from deletion", () => {
      assert.ok(only(run, "aws:ec2/vpc:Vpc").protect);
      for (const s of ofType(run, SUBNET)) assert.ok(s.protect, `${s.name} is not protected`);
    });
  });

  it("creates nothing for existing subnets and passes their ids through", async () => {
    const existing = { vpcId: "vpc-0abc1234def567890", publicSubnetIds: ["subnet-0aaa1111bbbb22223"], privateSubnetIds: ["subnet-0ccc3333dddd44445", "subnet-0eee5555ffff66667"] };
    const run = await underMocks(() => {
      const network = new Network("network", { clusterName: "demo", existing });
      return { vpcId: network.vpcId, publicSubnetIds: network.publicSubnetIds, privateSubnetIds: network.privateSubnetIds };
    });
    assert.deepStrictEqual(run.resources.filter((r) => r.custom).map((r) => r.type), []);
    assert.deepStrictEqual(run.outputs, existing);
  });

  it("fails with a message naming network.zoneCount when the region has too few zones", async () => {
    await assert.rejects(
      underMocks(() => void new Network("network", { clusterName: "demo", zoneCount: 5 })),
      /network\.zoneCount is 5 but the region has only 4 zones available to EKS/,
    );
  });

  it("skips opt-in zones and the zone ids EKS does not support (us-east-1: use1-az3)", async () => {
    // The mocked us-east-1 has zones a-d with ids use1-az1..az4 and an opt-in Local Zone.
    const run = await underMocks(() => void new Network("network", { clusterName: "demo", vpcCidr: "10.20.0.0/16", zoneCount: 3 }), "us-east-1");
    const zones = ofType(run, SUBNET).filter((s) => s.name.includes("private")).map((s) => s.inputs.availabilityZone);
    assert.deepStrictEqual(zones, ["us-east-1a", "us-east-1b", "us-east-1d"]);
    await assert.rejects(
      underMocks(() => void new Network("network", { clusterName: "demo", zoneCount: 4 }), "us-east-1"),
      /network\.zoneCount is 4 but the region has only 3 zones available to EKS \(us-east-1a, us-east-1b, us-east-1d\)/,
    );
  });
});
