"""List prices (USD per hour, on-demand, no discounts) of the instance types the stacks use, for the cost estimate.

The estimate is an upper bound: every node pool at its maximum size and spot priced as on-demand (spot is usually
60–90% cheaper, but can be reclaimed and refilled on-demand). Sources: the providers' public price pages,
DigitalOcean monthly prices / 672 hours (their hourly cap), AWS eu-west-1 Linux on-demand, November 2025 (AWS prices
the sizes of one family linearly in vCPUs, so the Karpenter instance table's types are priced per vCPU of their
family). An instance type missing here fails the preview: add its price rather than guess.
"""

from __future__ import annotations

from infra.config import StackConfigError

AWS_PER_VCPU: dict[str, float] = {
    "c6i": 0.0475,
    "c6a": 0.042975,
    "c7i": 0.049875,
    "m6i": 0.0535,
    "m6a": 0.04815,
    "m7i": 0.056175,
}
"""eu-west-1 on-demand USD/hour per vCPU of the families in infra/platforms/aws/instances.py."""
_AWS_SIZES = {"xlarge": 4, "2xlarge": 8, "4xlarge": 16, "8xlarge": 32, "12xlarge": 48, "16xlarge": 64}

DIGITALOCEAN: dict[str, float] = {
    # Droplets (DOKS nodes)
    "s-2vcpu-4gb": 0.03571,
    "s-4vcpu-8gb": 0.07143,
    "s-8vcpu-16gb": 0.14286,
    "c-4": 0.125,
    "c-8": 0.25,
    "c-16": 0.5,
    "g-4vcpu-16gb": 0.1875,
    "g-8vcpu-32gb": 0.375,
    # Managed databases (PostgreSQL / Valkey), single node
    "db-s-1vcpu-1gb": 0.02232,
    "db-s-1vcpu-2gb": 0.04464,
    "db-s-2vcpu-4gb": 0.08929,
    "db-s-4vcpu-8gb": 0.17857,
}
DIGITALOCEAN_LOAD_BALANCER = round(10.0 / 672, 5)
"""One regional load balancer of one node (the ingress's), USD/hour: USD 10.00 a month per node over DigitalOcean's
672-hour monthly cap. Checked December 2026: docs.digitalocean.com/products/networking/load-balancers ("Plans and
Pricing": USD 10.00 per month for each node; Let's Encrypt certificates at no additional cost)."""

AWS: dict[str, float] = {
    # EC2 (EKS nodes)
    "m6i.large": 0.107,
    "c5.4xlarge": 0.768,
    **{
        f"{family}.{size}": round(rate * vcpus, 6)
        for family, rate in AWS_PER_VCPU.items()
        for size, vcpus in _AWS_SIZES.items()
    },
    # ElastiCache
    "cache.t4g.small": 0.036,
    "cache.t4g.medium": 0.072,
    "cache.m7g.large": 0.176,
}
DIGITALOCEAN_SPACES = round(5.0 / 672, 4)
"""The Spaces subscription (USD 5 a month over DigitalOcean's 672-hour cap: 250 GiB stored and 1 TiB out included,
USD 0.02/GiB beyond; one subscription for all of an account's buckets), paid by a stack whose in-cluster TimescaleDB
archives to Spaces. Checked December 2026: DigitalOcean's answer on its community pages ("The subscription includes
250 GiB of data storage ... Additional storage beyond this allotment is $0.02 per GiB") and cloudtoolstack.com's
Spaces guide (USD 5/month, 250 GB, 1 TB)."""
AWS_EKS_CONTROL_PLANE = 0.10
AWS_EKS_CONTROL_PLANE_EXTENDED = 0.60
"""An EKS cluster on a minor in extended support: USD 0.60 per cluster-hour instead of 0.10 (Amazon EKS pricing
page, "Kubernetes version support"; six times standard)."""
AWS_NAT_GATEWAY = 0.048
"""Per NAT gateway hour in eu-west-1 (data processed, USD 0.048/GB, is not included). Checked December 2026: Amazon
VPC pricing, "NAT Gateway Pricing" (aws.amazon.com/vpc/pricing), Europe (Ireland) USD 0.048 per hour; US East
(N. Virginia) is USD 0.045 (cloudpipelines.pages.dev "AWS NAT Gateway pricing 2026" lists 0.045 for US East and
0.048–0.052 for Ireland/Frankfurt/London)."""
AWS_INTERFACE_ENDPOINT_AZ_HOUR = 0.011
"""Per interface VPC endpoint per availability zone per hour in eu-west-1 (data processed, USD 0.01/GB for the first
PB, is not included). AWS PrivateLink pricing (aws.amazon.com/privatelink/pricing) bills "for each hour that your VPC
endpoint remains provisioned in each Availability Zone" and renders the rate per region with its selector, which the
copies we could read do not show (US East: USD 0.01). Checked December 2026 against two eu-west-1 bills published in
public repositories (usage types ``EU-VpcEndpoint-Hours`` and ``EU-NatGateway-Hours``, ``EU`` being Ireland's
prefix): a Cost Explorer review of July 2026 (10 endpoint-zones) charges USD 42.24 for the endpoints and USD 18.43
for one NAT gateway, exactly 3,840 endpoint-zone hours at 0.011 and 384 NAT hours at 0.048, i.e. the same 16 days;
a cost report billed in euros charges 352.42 for 34,824 endpoint-zone hours, 525.68 for 11,904 NAT hours and 305.90
for 66,499 public IPv4 address-hours: the NAT (USD 0.048) and IPv4 (USD 0.005) rates give one exchange rate,
1.087 USD/EUR, at which the endpoint rate is USD 0.0110. Gateway endpoints (S3) have no hourly charge."""
AWS_ALB_HOUR = 0.0252
"""One Application Load Balancer hour in eu-west-1. Checked December 2026: Elastic Load Balancing pricing as
cal53.calculator.city's ALB calculator lists it by region (Europe (Ireland) USD 0.0252; US East USD 0.0225)."""
AWS_ALB_LCU_HOUR = 0.008
"""One load balancer capacity unit hour of an ALB (25 new connections/s, 3,000 active connections/min, 1 GB/h
processed, 1,000 rule evaluations/s; the largest dimension is billed). Checked December 2026 (aws.darcy-it.com's
summary of the ELB pricing page: USD 0.008 per LCU-hour)."""
AWS_ALB_LCUS = 1
"""LCUs the estimate allows the ingress ALB: an operators' API, Grafana and Ray dashboard stay far below one (more
traffic is billed per LCU-hour on top)."""
AWS_GP3_GB_MONTH = 0.088
"""EBS gp3 storage, USD per GB-month at the baseline 3,000 IOPS / 125 MB/s (no extra IOPS or throughput bought)."""
HOURS_PER_MONTH = 730
"""AWS bills monthly storage prices over 730 hours."""


def price(table: dict[str, float], key: str, instance_type: str) -> float:
    try:
        return table[instance_type]
    except KeyError:
        raise StackConfigError(
            key,
            f"no list price known for instance type {instance_type!r} (the cost estimate needs "
            "one): add it to infra/platforms/prices.py",
        ) from None
