"""The stack-output contract inside the cluster: each ``workloads.settings.contract.STACK_OUTPUTS`` value as
``GENEPOOL_<NAME>``.

Values that carry credentials (``contract.SECRET_OUTPUTS``) live in the Secret ``genepool-settings``, the rest in the
ConfigMap ``genepool-settings``; pods reference them by key (:attr:`ClusterSettings.env`), so no manifest holds a
secret. Pods read env only at start: long-running consumers annotate their pod template with a checksum of
:attr:`ClusterSettings.data` so that a change rolls them (see ``workload.py``). The pods read these values back with
``workloads.settings.Settings``; this module only publishes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from infra import labels
from workloads.settings import contract


@dataclass(frozen=True)
class ClusterSettingsArgs:
    namespace: pulumi.Input[str]
    values: dict[str, pulumi.Input[str]]
    """One value per contract output name."""


class ClusterSettings(pulumi.ComponentResource):
    """The Secret and the ConfigMap ``genepool-settings``. Registered as ``genepool:cluster:Settings``: the type is
    part of every child's URN, so it keeps its name (a new one would replace the resources)."""

    env: list[dict[str, Any]]
    """Env entries ``GENEPOOL_<NAME>`` for every contract output, each a secretKeyRef or configMapKeyRef."""
    data: dict[str, pulumi.Input[str]]
    """What the Secret and the ConfigMap hold together: ``GENEPOOL_<NAME>`` → value (credentials as Pulumi
    secrets)."""

    def __init__(self, name: str, args: ClusterSettingsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("genepool:cluster:Settings", name, None, opts)
        if set(args.values) != set(contract.STACK_OUTPUTS):
            raise ValueError(
                f"settings must cover exactly the contract outputs {contract.STACK_OUTPUTS}, got {sorted(args.values)}"
            )
        child = pulumi.ResourceOptions(parent=self)
        meta = {"name": "genepool-settings", "namespace": args.namespace, "labels": labels.PART_OF}
        secret_names = [n for n in contract.STACK_OUTPUTS if n in contract.SECRET_OUTPUTS]
        plain_names = [n for n in contract.STACK_OUTPUTS if n not in contract.SECRET_OUTPUTS]
        secret_data = {contract.env_name(n): pulumi.Output.secret(args.values[n]) for n in secret_names}
        plain_data = {contract.env_name(n): args.values[n] for n in plain_names}
        secret = k8s.core.v1.Secret(f"{name}-secret", metadata=meta, string_data=secret_data, opts=child)
        config_map = k8s.core.v1.ConfigMap(f"{name}-configmap", metadata=meta, data=plain_data, opts=child)
        self.data = {**secret_data, **plain_data}
        self.env = [
            {
                "name": contract.env_name(n),
                "valueFrom": (
                    {"secretKeyRef": {"name": secret.metadata.name, "key": contract.env_name(n)}}
                    if n in contract.SECRET_OUTPUTS
                    else {"configMapKeyRef": {"name": config_map.metadata.name, "key": contract.env_name(n)}}
                ),
            }
            for n in contract.STACK_OUTPUTS
        ]
        self.register_outputs({})
