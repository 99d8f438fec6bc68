"""What holds for every shipped stack file (dev/local, staging/digitalocean, prod/aws) under mocks."""

from __future__ import annotations

import json

import pytest

from infra import images, versions
from workloads.settings import contract

from .conftest import (
    TEST_SECRETS,
    all_containers,
    is_secret,
    mock_password,
    plain,
    pod_specs,
    stack_config,
    workload_image,
)

PROVIDER_NAME = {"dev": "local", "staging": "digitalocean", "prod": "aws"}


def test_outputs_are_exactly_the_contract_external_urls_kubeconfig_cost_and_the_clouds_image_repository(stack):
    name, deployment = stack
    registry = [] if name == "dev" else ["image_repository"]
    certificate = ["ingress_certificate"] if name == "dev" else []
    assert list(deployment.outputs) == [
        *contract.STACK_OUTPUTS,
        *contract.EXTERNAL_URLS.values(),
        *certificate,
        "kubeconfig",
        "estimated_hourly_cost_usd",
        *registry,
    ]


def test_credential_outputs_and_kubeconfig_are_secret_and_nothing_else_is(stack):
    _, deployment = stack
    assert deployment.secret_outputs == set(contract.SECRET_OUTPUTS) | {"kubeconfig"}


def test_every_kubernetes_resource_uses_the_platform_provider(stack):
    name, deployment = stack
    for r in deployment.resources:
        if r.type.startswith("kubernetes:"):
            assert f"pulumi:providers:kubernetes::{PROVIDER_NAME[name]}::" in r.provider, r.name


def test_every_container_has_requests_and_limits(stack):
    _, deployment = stack
    for owner, _, container, _ in all_containers(deployment):
        for kind in ("requests", "limits"):
            assert set(container["resources"][kind]) == {"cpu", "memory"}, (owner, container["name"], kind)


def test_every_long_running_container_has_liveness_and_readiness_probes(stack):
    _, deployment = stack
    for owner, _, container, batch in all_containers(deployment):
        if not batch:
            assert "livenessProbe" in container and "readinessProbe" in container, (owner, container["name"])


def test_every_pod_runs_non_root_without_privilege_escalation(stack):
    _, deployment = stack
    for owner, spec, container, _ in all_containers(deployment):
        assert spec["securityContext"]["runAsNonRoot"] is True, owner
        assert spec["securityContext"]["runAsUser"] > 0, owner
        assert container["securityContext"]["allowPrivilegeEscalation"] is False, (owner, container["name"])
        assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}, (owner, container["name"])


def test_every_image_is_pinned_by_tag_or_digest(stack):
    _, deployment = stack
    for owner, _, container, _ in all_containers(deployment):
        image = container["image"]
        assert images.pinning_problem(image) is None, (owner, image)
        assert not image.endswith(":latest"), (owner, image)


def test_every_helm_chart_is_pinned_to_the_versions_module(stack):
    _, deployment = stack
    pinned = {
        versions.KUBE_PROMETHEUS_STACK_CHART: versions.KUBE_PROMETHEUS_STACK_VERSION,
        versions.KUBERAY_OPERATOR_CHART: versions.KUBERAY_OPERATOR_VERSION,
        versions.KARPENTER_CHART: versions.KARPENTER_VERSION,
        versions.METRICS_SERVER_CHART: versions.METRICS_SERVER_VERSION,
        versions.PROMETHEUS_OPERATOR_CRDS_CHART: versions.PROMETHEUS_OPERATOR_CRDS_VERSION,
        versions.KARPENTER_CRD_CHART: versions.KARPENTER_VERSION,
        versions.TRAEFIK_CHART: versions.TRAEFIK_VERSION,
        versions.AWS_LOAD_BALANCER_CONTROLLER_CHART: versions.AWS_LOAD_BALANCER_CONTROLLER_VERSION,
        versions.OAUTH2_PROXY_CHART: versions.OAUTH2_PROXY_VERSION,
    }
    releases = deployment.of_type("kubernetes:helm.sh/v3:Release")
    assert len(releases) >= 2
    for release in releases:
        assert release.inputs["version"] == pinned[release.inputs["chart"]], release.name


def test_no_credential_appears_outside_a_secret(stack):
    _, deployment = stack
    generated = [
        mock_password(r.name, int(r.inputs["length"]))
        for r in deployment.of_type("random:index/randomPassword:RandomPassword")
    ]
    assert generated
    needles = [*generated, *TEST_SECRETS.values(), "kind-user-token"]
    for r in deployment.resources:
        if r.type in (
            "kubernetes:core/v1:Secret",
            "aws:elasticache/replicationGroup:ReplicationGroup",
        ) or r.type.startswith(("pulumi:providers:", "random:")):
            continue
        text = json.dumps(r.inputs)
        for needle in needles:
            assert needle not in text, f"{r.type} {r.name} carries a credential in plain text"


def test_every_kubernetes_secret_holds_only_secret_values(stack):
    _, deployment = stack
    for secret in deployment.of_type("kubernetes:core/v1:Secret"):
        data = secret.inputs["stringData"]
        assert is_secret(data) or all(is_secret(value) for value in data.values()), secret.name


def test_pods_read_every_contract_value_as_genepool_env(stack):
    _, deployment = stack
    (api,) = [
        plain(r.inputs["spec"])
        for r in deployment.of_type("kubernetes:apps/v1:Deployment")
        if not r.name.startswith("managed-exporters")
    ]
    env = {entry["name"]: entry.get("valueFrom") for entry in api["template"]["spec"]["containers"][0]["env"]}
    for output in contract.STACK_OUTPUTS:
        source = env[contract.env_name(output)]
        assert ("secretKeyRef" if output in contract.SECRET_OUTPUTS else "configMapKeyRef") in source, output


def test_estimated_cost_is_within_the_stack_ceiling(stack):
    name, deployment = stack
    assert 0 <= deployment.outputs["estimated_hourly_cost_usd"] <= stack_config(name)["genepool:costCeilingUsdPerHour"]


@pytest.mark.parametrize("owner_prefix", ["workload-api", "ray-cluster/head", "timescaledb-statefulset"])
def test_api_ray_head_and_database_stay_off_the_workers_pool(stack, owner_prefix):
    _, deployment = stack
    specs = [spec for owner, spec, _ in pod_specs(deployment) if owner == owner_prefix]
    for spec in specs:
        assert spec.get("nodeSelector", {}).get("genepool.io/pool") in (None, "system", "on-demand", "stateful")
        tolerated = {(t["key"], t.get("value")) for t in spec.get("tolerations") or []}
        assert tolerated <= {("genepool.io/pool", "on-demand"), ("genepool.io/pool", "stateful")}


def test_metrics_server_is_installed_from_the_pinned_chart(stack):
    _, deployment = stack
    release = deployment.named("kubernetes:helm.sh/v3:Release", "metrics-server-release").inputs
    assert (release["chart"], release["version"]) == (versions.METRICS_SERVER_CHART, versions.METRICS_SERVER_VERSION)
    assert release["namespace"] == "kube-system"


def test_the_api_autoscaler_is_created_after_metrics_server(stack):
    _, deployment = stack
    assert deployment.depends_on(
        "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
        "workload-api-hpa",
        "kubernetes:helm.sh/v3:Release",
        "metrics-server-release",
    )


def test_metrics_server_skips_kubelet_tls_verification_only_on_the_local_cluster(stack):
    name, deployment = stack
    values = plain(deployment.named("kubernetes:helm.sh/v3:Release", "metrics-server-release").inputs["values"])
    assert ("--kubelet-insecure-tls" in values.get("args", [])) == (name == "dev")


def test_every_container_running_genepool_has_its_home_on_a_writable_volume(stack):
    _, deployment = stack
    image = workload_image(stack[0])
    checked = 0
    for owner, spec, container, _ in all_containers(deployment):
        if container["image"] != image:
            continue
        env = {e["name"]: e.get("value") for e in container["env"]}
        mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        home = env.get("GENEPOOL_HOME")
        assert home, (owner, container["name"])
        mount = next((path for path in mounts if home.startswith(path.rstrip("/") + "/")), None)
        assert mount is not None, (owner, container["name"], home)
        assert "emptyDir" in volumes[mounts[mount]], (owner, container["name"])
        checked += 1
    assert checked >= 3
