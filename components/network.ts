import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { ExistingNetwork } from "../stacks/types";

export interface NetworkArgs {
  /**
   * EKS cluster name the subnets are tagged for (`kubernetes.io/cluster/<name>=shared`).
   * Required. https://docs.aws.amazon.com/eks/latest/userguide/network-reqs.html#network-requirements-subnets
   */
  clusterName: string;
  /**
   * IPv4 CIDR of the VPC; the subnets are carved from it deterministically (see `planSubnets`).
   * Default "10.0.0.0/16". https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html
   */
  vpcCidr?: string;
  /**
   * Availability zones to spread the subnets over, the first N available in the region.
   * Default 2 (EKS requires subnets in at least two zones).
   * https://docs.aws.amazon.com/eks/latest/userguide/network-reqs.html
   */
  zoneCount?: number;
  /**
   * "single": one NAT gateway for all private subnets (cheaper; a zone outage cuts egress);
   * "perZone": one per zone. Default "single".
   * https://docs.aws.amazon.com/vpc/latest/userguide/vpc-nat-gateway.html
   */
  natGateways?: "single" | "perZone";
  /** When set, nothing is created: the outputs are these ids. Default: create a network. */
  existing?: ExistingNetwork;
  /** Tags on every resource, besides the `Name` and Kubernetes tags. Default none. */
  tags?: Record<string, string>;
  /**
   * Pulumi `protect` on the VPC and subnets, so a stray `pulumi destroy` cannot take the
   * cluster's network. Default false. https://www.pulumi.com/docs/iac/concepts/options/protect/
   */
  protect?: boolean;
}

/** Subnet CIDRs per zone, index i for zone i. */
export interface SubnetPlan {
  public: string[];
  private: string[];
}

function parseIpv4Cidr(cidr: string): { base: number; prefix: number } {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  const octets = match ? match.slice(1, 5).map(Number) : [];
  const prefix = match ? Number(match[5]) : NaN;
  if (!match || octets.some((o) => o > 255) || prefix > 32) {
    throw new Error(`network.vpcCidr must be an IPv4 CIDR such as "10.0.0.0/16" (got "${cidr}")`);
  }
  const base = octets.reduce((acc, o) => acc * 256 + o, 0);
  if (base % 2 ** (32 - prefix) !== 0) {
    throw new Error(`network.vpcCidr "${cidr}" has host bits set; did you mean ${formatCidr(base - (base % 2 ** (32 - prefix)), prefix)}?`);
  }
  return { base, prefix };
}

function formatCidr(base: number, prefix: number): string {
  const octets = [24, 16, 8, 0].map((shift) => Math.floor(base / 2 ** shift) % 256);
  return `${octets.join(".")}/${prefix}`;
}

/**
 * Splits the VPC into 2^k blocks (the smallest k with one block per zone plus one to spare):
 * private subnet i is block i, large because every pod takes a VPC address with the VPC CNI
 * (https://docs.aws.amazon.com/eks/latest/best-practices/ip-opt.html); the last block is split
 * the same way again for the public subnets, which hold only load balancers and NAT gateways.
 * The same CIDR and zone count always give the same plan, so re-planning never moves a subnet.
 */
export function planSubnets(vpcCidr: string, zoneCount: number): SubnetPlan {
  const { base, prefix } = parseIpv4Cidr(vpcCidr);
  if (!Number.isInteger(zoneCount) || zoneCount < 2) {
    throw new Error(`network.zoneCount must be an integer >= 2: EKS needs subnets in two zones (got ${zoneCount})`);
  }
  const bits = Math.ceil(Math.log2(zoneCount + 1));
  const privatePrefix = prefix + bits;
  const publicPrefix = prefix + 2 * bits;
  // AWS subnets are /16 to /28: https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html
  if (publicPrefix > 28) {
    throw new Error(`network.vpcCidr ${vpcCidr} is too small for ${zoneCount} zones: public subnets would be /${publicPrefix}, AWS allows at most /28; use /${28 - 2 * bits} or larger`);
  }
  const privateSize = 2 ** (32 - privatePrefix);
  const publicSize = 2 ** (32 - publicPrefix);
  const publicBlock = base + (2 ** bits - 1) * privateSize;
  const zones = [...Array(zoneCount).keys()];
  return {
    private: zones.map((i) => formatCidr(base + i * privateSize, privatePrefix)),
    public: zones.map((i) => formatCidr(publicBlock + i * publicSize, publicPrefix)),
  };
}

/**
 * Zone ids where EKS does not place a cluster's control-plane network interfaces, so a cluster
 * with a subnet there fails with UnsupportedAvailabilityZoneException. Ids, not names: names are
 * shuffled per account, ids are not. The first three are listed in the EKS user guide's subnet
 * requirements (https://docs.aws.amazon.com/eks/latest/userguide/network-reqs.html); cnn1-az4 is
 * the one eksctl also avoids (eksctl-io/eksctl pkg/az/az.go).
 */
export const EKS_UNSUPPORTED_ZONE_IDS = ["use1-az3", "usw1-az2", "cac1-az3", "cnn1-az4"];

const defaults = { vpcCidr: "10.0.0.0/16", zoneCount: 2, natGateways: "single" as const, tags: {}, protect: false };

/**
 * The cluster's VPC: a public and a private subnet per zone, an internet gateway, NAT gateways
 * and routes, with the subnet tags the AWS Load Balancer Controller uses to place load
 * balancers. Given existing subnet ids, it creates nothing and passes them through.
 *
 * @example
 * const network = new Network("network", { clusterName: "dev", zoneCount: 2, natGateways: "single" });
 * new Cluster("cluster", { ..., vpcId: network.vpcId, privateSubnetIds: network.privateSubnetIds });
 */
export class Network extends pulumi.ComponentResource {
  public readonly vpcId: pulumi.Output<string>;
  public readonly publicSubnetIds: pulumi.Output<string[]>;
  public readonly privateSubnetIds: pulumi.Output<string[]>;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("gitops-cluster:index:Network", name, {}, opts);
    const { clusterName, vpcCidr, zoneCount, natGateways, existing, tags, protect } = { ...defaults, ...args };

    if (existing) {
      this.vpcId = pulumi.output(existing.vpcId);
      this.publicSubnetIds = pulumi.output(existing.publicSubnetIds);
      this.privateSubnetIds = pulumi.output(existing.privateSubnetIds);
    } else {
      const plan = planSubnets(vpcCidr, zoneCount);
      const child = { parent: this };
      const named = (role: string, extra: Record<string, string> = {}) => ({ ...tags, Name: `${clusterName}-${role}`, ...extra });
      const clusterTag = { [`kubernetes.io/cluster/${clusterName}`]: "shared" };

      // Only the region's own zones: Local and Wavelength Zones are opt-in, and EKS does not run
      // a control plane in them. https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeAvailabilityZones.html
      const zones = aws.getAvailabilityZonesOutput({
        state: "available",
        excludeZoneIds: EKS_UNSUPPORTED_ZONE_IDS,
        filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }],
      }, child).names.apply((names) => {
        if (names.length < zoneCount) {
          throw new Error(`network.zoneCount is ${zoneCount} but the region has only ${names.length} zones available to EKS (${names.join(", ")})`);
        }
        return names.slice(0, zoneCount);
      });

      // EKS needs DNS hostnames and resolution in the VPC for nodes to find a private endpoint:
      // https://docs.aws.amazon.com/eks/latest/userguide/network-reqs.html#network-requirements-vpc
      const vpc = new aws.ec2.Vpc(`${name}-vpc`, { cidrBlock: vpcCidr, enableDnsHostnames: true, enableDnsSupport: true, tags: named("vpc") }, { ...child, protect });
      const internetGateway = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: named("igw") }, child);

      // Load balancer placement by subnet tag:
      // https://docs.aws.amazon.com/eks/latest/userguide/network-load-balancing.html#subnet-tagging-for-load-balancers
      const zoneIndexes = [...Array(zoneCount).keys()];
      const subnets = (tier: "public" | "private", cidrs: string[], roleTag: string) =>
        zoneIndexes.map(
          (i) =>
            new aws.ec2.Subnet(`${name}-${tier}-${i + 1}`, {
              vpcId: vpc.id,
              cidrBlock: cidrs[i],
              availabilityZone: zones[i],
              tags: named(`${tier}-${i + 1}`, { ...clusterTag, [roleTag]: "1" }),
            }, { ...child, protect }),
        );
      const publicSubnets = subnets("public", plan.public, "kubernetes.io/role/elb");
      const privateSubnets = subnets("private", plan.private, "kubernetes.io/role/internal-elb");

      const publicRoutes = new aws.ec2.RouteTable(`${name}-public`, {
        vpcId: vpc.id,
        routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: internetGateway.id }],
        tags: named("public"),
      }, child);
      publicSubnets.forEach(
        (subnet, i) => new aws.ec2.RouteTableAssociation(`${name}-public-${i + 1}`, { subnetId: subnet.id, routeTableId: publicRoutes.id }, child),
      );

      const natZones = natGateways === "perZone" ? zoneIndexes : [0];
      const nats = natZones.map((i) => {
        const eip = new aws.ec2.Eip(`${name}-nat-${i + 1}`, { domain: "vpc", tags: named(`nat-${i + 1}`) }, child);
        // A NAT gateway needs the internet gateway attached before it can route:
        // https://docs.aws.amazon.com/vpc/latest/userguide/nat-gateway-working-with.html
        return new aws.ec2.NatGateway(`${name}-nat-${i + 1}`, {
          allocationId: eip.id,
          subnetId: publicSubnets[i].id,
          tags: named(`nat-${i + 1}`),
        }, { ...child, dependsOn: [internetGateway] });
      });
      privateSubnets.forEach((subnet, i) => {
        const routes = new aws.ec2.RouteTable(`${name}-private-${i + 1}`, {
          vpcId: vpc.id,
          routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nats[natGateways === "perZone" ? i : 0].id }],
          tags: named(`private-${i + 1}`),
        }, child);
        new aws.ec2.RouteTableAssociation(`${name}-private-${i + 1}`, { subnetId: subnet.id, routeTableId: routes.id }, child);
      });

      this.vpcId = vpc.id;
      this.publicSubnetIds = pulumi.all(publicSubnets.map((s) => s.id));
      this.privateSubnetIds = pulumi.all(privateSubnets.map((s) => s.id));
    }

    this.registerOutputs({ vpcId: this.vpcId, publicSubnetIds: this.publicSubnetIds, privateSubnetIds: this.privateSubnetIds });
  }
}
