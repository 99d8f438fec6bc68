"""Prod's egress under mocks: a NAT gateway per zone (or fewer, by config), each private subnet through its own
zone's gateway, and the AWS APIs the nodes need reached through VPC endpoints, all priced."""

from __future__ import annotations

import pulumi
import pytest

from infra.config import StackConfigError, parse
from infra.platforms.aws import cost, network
from infra.platforms.aws.network import VPC_CIDR
from infra.platforms.prices import AWS_INTERFACE_ENDPOINT_AZ_HOUR, AWS_NAT_GATEWAY

from .conftest import deploy, plain, stack_config

NAT = "aws:ec2/natGateway:NatGateway"
SUBNET = "aws:ec2/subnet:Subnet"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
ZONES = ("eu-west-1a", "eu-west-1b", "eu-west-1c")
INTERFACES = {"ecr.api", "ecr.dkr", "sts", "eks-auth", "sqs", "ec2"}


def prod_config(nat_gateways: object) -> dict:
    config = stack_config("prod")
    config["genepool:aws"] = {**config["genepool:aws"], "natGateways": nat_gateways}
    return config


def parsed(config: dict):
    return parse({key.split(":", 1)[1]: value for key, value in config.items()})


def egress_of(deployment) -> dict[str, str]:
    """Zone of each private subnet → zone of the NAT gateway its route table's default route goes to, read from
    what the engine would receive (association → route table → NAT gateway → public subnet)."""
    by_urn = deployment.by_urn()
    urn_of = {(r.type, r.name): r.urn for r in deployment.resources}
    result = {}
    for zone in ZONES:
        association = deployment.named(ASSOCIATION, f"private-{zone}")
        (table_urn,) = [u for u in association.dependencies if by_urn[u].type == ROUTE_TABLE]
        (nat_urn,) = [u for u in by_urn[table_urn].dependencies if by_urn[u].type == NAT]
        (subnet_urn,) = [u for u in by_urn[nat_urn].dependencies if by_urn[u].type == SUBNET]
        assert urn_of[(SUBNET, f"private-{zone}")] in association.dependencies
        result[zone] = by_urn[subnet_urn].inputs["availabilityZone"]
    return result


def test_prod_has_a_nat_gateway_in_each_zones_public_subnet(prod):
    gateways = prod.of_type(NAT)
    assert sorted(g.name for g in gateways) == [f"nat-{zone}" for zone in ZONES]


def test_each_private_subnet_egresses_through_its_own_zones_nat_gateway(prod):
    assert egress_of(prod) == {zone: zone for zone in ZONES}


def test_each_private_route_table_sends_the_default_route_to_a_nat_gateway(prod):
    for zone in ZONES:
        (route,) = plain(prod.named(ROUTE_TABLE, f"private-{zone}").inputs)["routes"]
        assert route["cidrBlock"] == "0.0.0.0/0" and "natGatewayId" in route


def test_a_single_nat_gateway_carries_every_zones_egress():
    deployment = deploy("prod", prod_config("single"))
    assert [g.name for g in deployment.of_type(NAT)] == ["nat-eu-west-1a"]
    assert egress_of(deployment) == dict.fromkeys(ZONES, "eu-west-1a")


def test_two_nat_gateways_leave_the_third_zone_on_the_first_zones_gateway():
    deployment = deploy("prod", prod_config(2))
    assert egress_of(deployment) == {"eu-west-1a": "eu-west-1a", "eu-west-1b": "eu-west-1b", "eu-west-1c": "eu-west-1a"}


def test_the_first_nat_gateway_and_route_table_keep_the_single_gateways_names_as_aliases():
    """An existing stack's one gateway and route table become the first zone's, not a replacement."""
    merged = network._first_keeps(0, "nat", pulumi.ResourceOptions())
    assert [alias.name for alias in merged.aliases] == ["nat"]
    assert not network._first_keeps(1, "nat", pulumi.ResourceOptions()).aliases


@pytest.mark.parametrize("value", ["perzone", "three", 0, 4, True, 1.5])
def test_an_invalid_nat_gateway_setting_fails_naming_the_key(value):
    with pytest.raises(
        StackConfigError, match=r"genepool:aws.natGateways: must be perZone, single or a count from 1 to 3"
    ):
        parsed(prod_config(value))


@pytest.mark.parametrize(("value", "count"), [("perZone", None), ("single", 1), (2, 2), ("3", 3)])
def test_nat_gateway_settings_parse_to_a_count(value, count):
    assert parsed(prod_config(value)).aws.nat_gateways == count


def test_s3_is_reached_through_a_gateway_endpoint_on_every_private_route_table(prod):
    s3 = prod.named(ENDPOINT, "s3")
    assert s3.inputs["vpcEndpointType"] == "Gateway"
    assert s3.inputs["serviceName"] == "com.amazonaws.eu-west-1.s3"
    tables = {prod.named(ROUTE_TABLE, f"private-{zone}").urn for zone in ZONES}
    assert tables <= s3.dependencies
    assert len(s3.inputs["routeTableIds"]) == 3


def test_the_aws_apis_nodes_need_have_interface_endpoints_with_private_dns_in_every_zone(prod):
    interfaces = {e.name: e for e in prod.of_type(ENDPOINT) if e.inputs["vpcEndpointType"] == "Interface"}
    assert set(interfaces) == INTERFACES
    subnets = {prod.named(SUBNET, f"private-{zone}").urn for zone in ZONES}
    for name, endpoint in interfaces.items():
        assert endpoint.inputs["serviceName"] == f"com.amazonaws.eu-west-1.{name}"
        assert endpoint.inputs["privateDnsEnabled"] is True
        assert len(endpoint.inputs["subnetIds"]) == 3 and subnets <= endpoint.dependencies


def test_interface_endpoints_admit_only_https_from_the_vpc(prod):
    group = prod.named(SECURITY_GROUP, "endpoints")
    (rule,) = plain(group.inputs)["ingress"]
    assert (rule["protocol"], rule["fromPort"], rule["toPort"], rule["cidrBlocks"]) == ("tcp", 443, 443, [VPC_CIDR])
    for endpoint in prod.of_type(ENDPOINT):
        if endpoint.inputs["vpcEndpointType"] == "Interface":
            assert group.urn in endpoint.dependencies


def test_the_estimate_prices_each_nat_gateway_and_each_interface_endpoint_per_zone():
    lines = cost.cost_lines(parsed(stack_config("prod")))
    assert lines["NAT gateway hours"] == pytest.approx(3 * AWS_NAT_GATEWAY)
    assert lines["interface endpoint hours"] == pytest.approx(len(INTERFACES) * 3 * AWS_INTERFACE_ENDPOINT_AZ_HOUR)


def test_a_single_nat_gateway_costs_two_gateway_hours_less():
    per_zone = cost.hourly_cost(parsed(prod_config("perZone")))
    single = cost.hourly_cost(parsed(prod_config("single")))
    assert per_zone - single == pytest.approx(2 * AWS_NAT_GATEWAY, abs=1e-4)


def test_prod_with_its_egress_stays_under_its_cost_ceiling(prod):
    config = parsed(stack_config("prod"))
    assert prod.outputs["estimated_hourly_cost_usd"] <= config.cost_ceiling_usd_per_hour
