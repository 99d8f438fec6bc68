"""List prices (USD per hour, on-demand, no discounts) of the instance types the stacks use, for the cost estimate.

The estimate is an upper bound: every node pool at ``maxNodes`` and spot priced as on-demand (spot is usually
60–90% cheaper, but can be reclaimed and refilled on-demand). Sources: the providers' public price pages,
DigitalOcean monthly prices / 672 hours (their hourly cap), AWS eu-west-1 Linux on-demand, November 2025.
An instance type missing here fails the preview: add its price rather than guess.
"""

from __future__ import annotations

from infra.config import ConfigError

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
AWS: dict[str, float] = {
    # EC2 (EKS nodes)
    "m6i.large": 0.107,
    "m6i.xlarge": 0.214,
    "m6i.2xlarge": 0.428,
    "c6i.2xlarge": 0.38,
    "c6i.4xlarge": 0.76,
    "c6a.4xlarge": 0.6876,
    "c5.4xlarge": 0.768,
    # ElastiCache
    "cache.t4g.small": 0.036,
    "cache.t4g.medium": 0.072,
    "cache.m7g.large": 0.176,
}
AWS_EKS_CONTROL_PLANE = 0.10
AWS_NAT_GATEWAY = 0.048


def price(table: dict[str, float], key: str, instance_type: str) -> float:
    try:
        return table[instance_type]
    except KeyError:
        raise ConfigError(
            key,
            f"no list price known for instance type {instance_type!r} (the cost estimate needs "
            "one): add it to infra/platforms/prices.py",
        ) from None
