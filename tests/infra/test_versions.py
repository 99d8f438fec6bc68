"""The support calendar (infra/versions.py): no pin past its end of support today, no two pins incompatible, and Ray
the same version in the cluster, the image and the ``ray`` extra."""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.metadata
import re
import tomllib

import pytest

from infra import versions
from infra.config import StackConfigError, parse
from infra.platforms.aws import cost
from infra.program import check_kubernetes_support

from .conftest import REPOSITORY, STACKS, stack_config

TODAY = dt.datetime.now(dt.UTC).date()


def stack_clusters() -> dict[str, tuple[str, str]]:
    """Stack → (cloud, Kubernetes minor) as the shipped stack files set them."""
    found = {}
    for stack in STACKS:
        config = stack_config(stack)
        found[stack] = (config["genepool:cloud"], config["genepool:cluster"]["kubernetesVersion"])
    return found


def stack_minors() -> list[versions.KubernetesMinor]:
    return [versions.minor_of(cloud, minor) for cloud, minor in stack_clusters().values()]


def test_no_pin_is_past_its_end_of_support_today():
    assert versions.expired(versions.RELEASES, stack_minors(), TODAY) == []


def test_every_pin_records_its_release_date_and_source():
    for release in versions.RELEASES:
        assert release.released <= TODAY and release.source, release.component
        assert release.end_of_support is not None or release.support, release.component


def test_the_expiry_check_fails_on_a_release_past_its_end_of_support():
    stale = dataclasses.replace(versions.TIMESCALEDB, end_of_support=TODAY - dt.timedelta(days=1))
    assert versions.expired([stale], [], TODAY) == [
        f"TimescaleDB HA image {stale.version}: support ended {stale.end_of_support} ({stale.source})"
    ]


def test_the_expiry_check_fails_on_a_kubernetes_minor_past_standard_support():
    eks_134 = versions.minor_of("aws", "1.34")
    assert versions.expired([], [eks_134], dt.date(2026, 12, 3)) == [
        "Kubernetes 1.34 on eks: standard support ended 2026-12-02"
    ]


def test_no_two_pins_are_incompatible():
    assert versions.incompatible(versions.pinned(stack_clusters())) == []


def test_kubernetes_135_with_the_karpenter_the_issue_found_is_incompatible():
    pins = versions.pinned({"prod": ("aws", "1.35")})
    old = dataclasses.replace(pins, components={**pins.components, "Karpenter": "1.8.1"})
    assert versions.incompatible(old) == ["prod: Kubernetes 1.35 needs Karpenter >= 1.9, pinned 1.8.1"]


def test_a_kubernetes_minor_newer_than_karpenters_table_is_incompatible():
    problems = versions.incompatible(versions.pinned({"prod": ("aws", "1.37")}))
    assert problems == ["prod: Kubernetes 1.37 is newer than Karpenter's compatibility table"]


def test_a_ray_older_than_kuberay_supports_is_incompatible():
    pins = versions.pinned({})
    old = dataclasses.replace(pins, components={**pins.components, "Ray": "2.46.0"})
    assert versions.incompatible(old) == ["KubeRay 1.7.0 needs Ray >= 2.52.0 and < 3, got 2.46.0"]


def test_metrics_server_on_a_kubernetes_it_does_not_serve_is_incompatible():
    assert versions.incompatible(versions.pinned({"dev": ("local", "1.30")})) == [
        "metrics-server 0.8.1 needs dev: Kubernetes >= 1.31, got 1.30"
    ]


def test_prometheus_operator_crds_of_another_operator_are_incompatible():
    pins = dataclasses.replace(versions.pinned({}), crds_operator="v0.86.2")
    assert versions.incompatible(pins) == ["prometheus-operator CRDs v0.86.2 do not match the operator v0.93.1"]


def test_bumping_a_component_without_its_rules_is_flagged():
    pins = versions.pinned({})
    bumped = dataclasses.replace(pins, components={**pins.components, "KubeRay": "1.8.0"})
    assert versions.incompatible(bumped) == ["KubeRay 1.8.0: its rules are for 1.7.0, re-read its notes"]


def test_ray_is_one_version_in_the_cluster_the_image_and_the_ray_extra():
    dockerfile = (REPOSITORY / "images/workload.Dockerfile").read_text()
    (image,) = re.findall(r"^ARG RAY_IMAGE=(\S+)$", dockerfile, re.M)
    extra = tomllib.loads((REPOSITORY / "pyproject.toml").read_text())["project"]["optional-dependencies"]["ray"]
    assert image == versions.RAY_IMAGE == f"rayproject/ray:{versions.RAY_VERSION}-py311"
    assert extra == [f"ray[default]=={versions.RAY_VERSION}"]


def test_the_installed_ray_is_the_pinned_one():
    assert importlib.metadata.version("ray") == versions.RAY_VERSION


def test_a_minor_missing_from_the_calendar_fails_the_preview_naming_the_key():
    raw = {key.split(":", 1)[1]: value for key, value in stack_config("dev").items()}
    raw["cluster"] = {**raw["cluster"], "kubernetesVersion": "1.29"}
    with pytest.raises(StackConfigError, match=r"genepool:cluster.kubernetesVersion: 1.29 is not in the upstream"):
        check_kubernetes_support(parse(raw), TODAY)


def test_a_doks_minor_past_end_of_life_fails_the_preview_instead_of_asking_for_a_downgrade():
    raw = {key.split(":", 1)[1]: value for key, value in stack_config("staging").items()}
    with pytest.raises(StackConfigError, match=r"genepool:cluster.kubernetesVersion: 1.36 on doks is past its end"):
        check_kubernetes_support(parse(raw), dt.date(2027, 6, 29))


def prod_config(minor: str):
    raw = {key.split(":", 1)[1]: value for key, value in stack_config("prod").items()}
    raw["cluster"] = {**raw["cluster"], "kubernetesVersion": minor}
    return parse(raw)


def test_the_cost_estimate_prices_extended_support_six_times_standard():
    on_134 = prod_config("1.34")
    standard = cost.cost_lines(on_134, dt.date(2026, 12, 1))["control plane"]
    extended = cost.cost_lines(on_134, dt.date(2026, 12, 3))["control plane"]
    assert (standard, extended) == (0.10, 0.60)
    assert cost.hourly_cost(on_134, dt.date(2026, 12, 3)) == pytest.approx(
        cost.hourly_cost(on_134, dt.date(2026, 12, 1)) + 0.50
    )


def test_an_eks_minor_past_extended_support_fails_naming_the_key():
    with pytest.raises(StackConfigError, match=r"genepool:cluster.kubernetesVersion: EKS support for 1.34 ended"):
        cost.hourly_cost(prod_config("1.34"), dt.date(2027, 12, 3))
