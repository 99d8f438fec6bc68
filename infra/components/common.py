"""Building blocks every component uses: pod hardening, resources, generated passwords, settings checksums, Helm
values files, the Service and StatefulSet of a single-replica stateful server."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random
import yaml

from infra import labels

VALUES_DIR = Path(__file__).parent / "values"

TMP_DIR = "/tmp"
"""Where every pod that runs the workload image mounts a writable emptyDir (the image's working directory too)."""
GENEPOOL_HOME = f"{TMP_DIR}/genepool"
"""``GENEPOOL_HOME`` of every pod that runs genepool: the embedded store, runs and caches go under the writable
:data:`TMP_DIR` volume, never under the read-only root filesystem."""
TMP_VOLUME = {"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}}
TMP_MOUNT = {"name": "tmp", "mountPath": TMP_DIR}
WORKLOAD_ENV = [
    {"name": "GENEPOOL_HOME", "value": GENEPOOL_HOME},
    {"name": "NUMBA_CACHE_DIR", "value": f"{TMP_DIR}/numba-cache"},
    {"name": "HOME", "value": TMP_DIR},
]
"""Env of every container that runs genepool: its home, Numba's cache and ``$HOME``, all on the :data:`TMP_DIR`
volume."""


def pod_security(user: int) -> dict[str, Any]:
    """Pod-level security context: a fixed non-root user and group, volumes owned by that group."""
    return {
        "runAsNonRoot": True,
        "runAsUser": user,
        "runAsGroup": user,
        "fsGroup": user,
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def container_security(read_only_root: bool = False) -> dict[str, Any]:
    return {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "readOnlyRootFilesystem": read_only_root,
    }


def resources(
    cpu_request: str, memory_request: str, cpu_limit: str | None = None, memory_limit: str | None = None
) -> dict[str, Any]:
    """Requests and limits (limits default to the requests: guaranteed QoS for stateful services)."""
    return {
        "requests": {"cpu": cpu_request, "memory": memory_request},
        "limits": {"cpu": cpu_limit or cpu_request, "memory": memory_limit or memory_request},
    }


def exporter_sidecar(
    name: str, image: str, env: list[dict[str, Any]], port: int, health_path: str, user: int
) -> dict[str, Any]:
    """A Prometheus exporter container beside a stateful service: its own non-root ``user``, read-only root, small
    fixed resources, probed over HTTP on ``health_path`` of its metrics ``port`` (named ``metrics``)."""
    probe = {"httpGet": {"path": health_path, "port": port}, "periodSeconds": 15}
    return {
        "name": name,
        "image": image,
        "env": env,
        "ports": [{"name": "metrics", "containerPort": port}],
        "resources": resources("50m", "64Mi", "200m", "128Mi"),
        "securityContext": {**container_security(read_only_root=True), "runAsUser": user, "runAsGroup": user},
        "livenessProbe": probe,
        "readinessProbe": probe,
    }


def password(name: str, parent: pulumi.Resource, length: int = 32) -> pulumi.Output[str]:
    """A generated password (letters and digits only, so it needs no escaping inside URLs), as a secret."""
    generated = random.RandomPassword(name, length=length, special=False, opts=pulumi.ResourceOptions(parent=parent))
    return pulumi.Output.secret(generated.result)


SETTINGS_CHECKSUM_ANNOTATION = "genepool.io/settings-checksum"
"""Pod-template annotation carrying :func:`settings_checksum` of the settings a long-running pod reads from env."""


def settings_digest(values: Mapping[str, str]) -> str:
    """Hex SHA-256 of ``values`` serialised canonically: JSON with keys sorted, no whitespace, UTF-8. Every key and
    every value counts, so changing, adding or removing any one of them changes the digest; key order does not."""
    canonical = json.dumps(dict(values), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def settings_checksum(values: Mapping[str, pulumi.Input[str]]) -> pulumi.Output[str]:
    """:func:`settings_digest` of ``values`` (env name → the value its Secret or ConfigMap holds), for
    :data:`SETTINGS_CHECKSUM_ANNOTATION` on a pod template: any change to the settings changes the template, so the
    controller rolls the pods instead of leaving them on the values they read at start.

    The digest is computed inside ``apply`` from the resolved values. Pulumi marks anything derived from a secret as
    secret, and a secret nested anywhere in a resource input makes that whole top-level input secret: a secret
    annotation would turn the Deployment's entire ``spec`` into ``[secret]`` in state and in ``pulumi preview``,
    hiding every pod-template change from review. So the digest is explicitly un-secreted. That is safe: SHA-256 is
    not reversible, and the serialisation always includes generated high-entropy credentials (the database and Redis
    URLs carry generated passwords), so neither the whole nor any weak member of it (e.g. a short API token) can be
    recovered by guessing. Until every value is known (a first preview) the digest is unknown, as the values are."""
    return pulumi.Output.unsecret(pulumi.Output.all(**values).apply(settings_digest))


def load_values(file_name: str) -> dict[str, Any]:
    """Helm values kept as YAML next to the components (``values/<file_name>``)."""
    return yaml.safe_load((VALUES_DIR / file_name).read_text()) or {}


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``base`` (plain YAML data, copied) with ``override`` merged in recursively: maps merge, anything else in
    ``override`` (including Pulumi Outputs, which are not copied) replaces the base value."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def clients_only_policy(
    name: str,
    namespace: pulumi.Input[str],
    selector: dict[str, str],
    port: int,
    metrics_port: int,
    monitoring_namespace: str,
    parent: pulumi.Resource,
) -> None:
    """A NetworkPolicy: the server port only from our own pods (``app.kubernetes.io/part-of: genepool``) in its
    namespace, the metrics port only from the monitoring namespace (enforced where the CNI supports policies)."""
    k8s.networking.v1.NetworkPolicy(
        f"{name}-network-policy",
        metadata={
            "name": selector["app.kubernetes.io/name"],
            "namespace": namespace,
            "labels": labels.PART_OF,
        },
        spec={
            "podSelector": {"matchLabels": selector},
            "policyTypes": ["Ingress"],
            "ingress": [
                {"from": [{"podSelector": {"matchLabels": labels.PART_OF}}], "ports": [{"port": port}]},
                {
                    "from": [
                        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": monitoring_namespace}}}
                    ],
                    "ports": [{"port": metrics_port}],
                },
            ],
        },
        opts=pulumi.ResourceOptions(parent=parent),
    )


def stateful_server(
    name: str,
    app: str,
    namespace: pulumi.Input[str],
    port_name: str,
    port: int,
    metrics_port: int,
    pod_spec: dict[str, Any],
    storage_class: str,
    volume_size: str,
    parent: pulumi.Resource,
    volume_name: str = "data",
) -> None:
    """A single-replica stateful server labelled ``app`` (Redis, TimescaleDB): its Service ``app`` (the server's
    ``port_name`` port and its exporter's ``metrics`` port) and its StatefulSet ``app`` running ``pod_spec``, whose
    ``volume_name`` volume is a ReadWriteOnce claim of ``volume_size`` on ``storage_class``."""
    child = pulumi.ResourceOptions(parent=parent)
    selector = labels.app(app)
    meta = {"namespace": namespace, "name": app, "labels": {**selector, **labels.PART_OF}}
    service = k8s.core.v1.Service(
        f"{name}-service",
        metadata=meta,
        spec={
            "selector": selector,
            "ports": [
                {"name": port_name, "port": port, "targetPort": port_name},
                {"name": "metrics", "port": metrics_port, "targetPort": "metrics"},
            ],
        },
        opts=child,
    )
    k8s.apps.v1.StatefulSet(
        f"{name}-statefulset",
        metadata=meta,
        spec={
            "serviceName": service.metadata.name,
            "replicas": 1,
            "selector": {"matchLabels": selector},
            "template": {"metadata": {"labels": {**selector, **labels.PART_OF}}, "spec": pod_spec},
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": volume_name},
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "storageClassName": storage_class,
                        "resources": {"requests": {"storage": volume_size}},
                    },
                }
            ],
        },
        opts=child,
    )


def pull_secrets(names: list[str]) -> dict[str, Any]:
    """The pod spec's ``imagePullSecrets`` field for ``names`` (no field when there are none)."""
    return {"imagePullSecrets": [{"name": name} for name in names]} if names else {}
