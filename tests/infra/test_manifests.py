"""Every Kubernetes object each stack registers validates against the schema of the stack's Kubernetes version
(kubernetes-validate, offline). Custom resources are validated against their upstream CRDs in
test_custom_resources.py; here their embedded pod templates (RayCluster) are also validated as Pods of the stack's
Kubernetes version."""

from __future__ import annotations

import kubernetes_validate
import pytest

from .conftest import Deployment, plain, stack_config

CUSTOM_KINDS = {"PrometheusRule", "ServiceMonitor", "PodMonitor", "RayCluster", "EC2NodeClass", "NodePool"}


def kubernetes_version(stack: str = "dev") -> str:
    return stack_config(stack)["genepool:cluster"]["kubernetesVersion"] + ".0"


def manifests(dev: Deployment) -> list[tuple[str, dict]]:
    objects = []
    for r in dev.resources:
        if not r.type.startswith("kubernetes:") or r.type.startswith(("kubernetes:helm.sh", "kubernetes:yaml/")):
            continue
        body = plain(r.inputs)
        if body["kind"] in CUSTOM_KINDS:
            if body["kind"] == "RayCluster":
                templates = [body["spec"]["headGroupSpec"]["template"]]
                templates += [group["template"] for group in body["spec"]["workerGroupSpecs"]]
                objects += [
                    (
                        f"{r.name} pod template",
                        {
                            "apiVersion": "v1",
                            "kind": "Pod",
                            "metadata": {"name": "template", **t["metadata"]},
                            "spec": t["spec"],
                        },
                    )
                    for t in templates
                ]
            continue
        objects.append((r.name, body))
    return objects


def test_the_dev_stack_registers_core_objects_of_every_kind_it_deploys(dev):
    kinds = {body["kind"] for _, body in manifests(dev)}
    assert kinds == {
        "Namespace",
        "ServiceAccount",
        "Secret",
        "ConfigMap",
        "Service",
        "StatefulSet",
        "Deployment",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "CronJob",
        "NetworkPolicy",
        "Pod",
        "Ingress",
    }


def test_every_kubernetes_object_validates_against_the_schema(stack):
    name_of_stack, deployment = stack
    failures = []
    for name, body in manifests(deployment):
        try:
            kubernetes_validate.validate(body, kubernetes_version(name_of_stack), strict=True)
        except kubernetes_validate.ValidationError as error:
            failures.append(f"{name}: {error.message} at {'.'.join(map(str, error.path))}")
    assert not failures, "\n".join(failures)


def test_the_validator_rejects_a_broken_object():
    broken = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "x"},
        "spec": {"replicas": "three", "selector": {}, "template": {"spec": {"containers": []}}},
    }
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, kubernetes_version(), strict=True)
