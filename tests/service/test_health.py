"""Health rules: worst status wins, slow dependencies are degraded, errors never carry secrets, Ray addresses."""

from __future__ import annotations

import pytest

from workloads.service.health import (
    DEGRADED,
    HEALTHY,
    UNHEALTHY,
    CheckResult,
    HealthReport,
    check_storage,
    ray_endpoint,
    scrub,
)
from workloads.settings import Settings

SETTINGS = Settings(
    database_url="postgresql://u:pgpw@db:5432/x", redis_url="redis://:redispw@cache:6379/0", api_token="tok"
)


def test_overall_status_is_the_worst_check():
    checks = (CheckResult("a", HEALTHY, 1.0), CheckResult("b", DEGRADED, 1.0), CheckResult("c", HEALTHY, 1.0))
    assert HealthReport(checks).status == DEGRADED
    assert HealthReport(checks + (CheckResult("d", UNHEALTHY, 1.0),)).status == UNHEALTHY


class FailingStorage:
    dialect, url, timescale = "postgresql", "postgresql://u:***@db:5432/x", False

    def ping(self) -> None:
        raise RuntimeError("could not connect to postgresql://u:pgpw@db:5432/x")


class SlowStorage(FailingStorage):
    def ping(self) -> None:
        import time

        time.sleep(0.02)


def test_unreachable_storage_is_unhealthy_and_the_error_hides_the_password():
    result = check_storage(FailingStorage(), SETTINGS)
    assert result.status == UNHEALTHY and "pgpw" not in result.error and "***" in result.error


def test_storage_slower_than_the_threshold_is_degraded():
    result = check_storage(SlowStorage(), SETTINGS, slow_ms=1.0)
    assert result.status == DEGRADED and result.error.startswith("slow:")


def test_scrub_masks_every_secret_of_the_settings():
    assert scrub("pgpw redispw tok", SETTINGS) == "*** *** ***"


@pytest.mark.parametrize(
    "address, endpoint",
    [
        ("ray://head:10001", ("head", 10001)),
        ("ray://head", ("head", 10001)),
        ("10.0.0.5:6379", ("10.0.0.5", 6379)),
        ("head", ("head", 6379)),
        ("auto", None),
    ],
)
def test_ray_addresses_are_resolved_to_host_and_port(address, endpoint):
    assert ray_endpoint(address) == endpoint
