"""Platform ``local``: an existing kind/k3d/minikube cluster reached through a kubeconfig context.

The kubeconfig is read the way kubectl reads it: ``genepool:cluster.kubeconfig`` if set, else the first file in
``$KUBECONFIG``, else ``~/.kube/config``. Nothing is created at the cluster level; every pod schedules anywhere
(no node pools, no spot), and the estimated cost is 0.
"""

from __future__ import annotations

import os
from pathlib import Path

import pulumi
import pulumi_kubernetes as k8s
import yaml

from infra.config import ConfigError, StackConfig
from infra.platforms import Platform, Scheduling


def kubeconfig_path(config: StackConfig) -> Path:
    if config.cluster.kubeconfig_path:
        return Path(config.cluster.kubeconfig_path).expanduser()
    from_env = os.environ.get("KUBECONFIG", "").split(os.pathsep)[0]
    return Path(from_env).expanduser() if from_env else Path.home() / ".kube" / "config"


def read_kubeconfig(config: StackConfig) -> str:
    """The kubeconfig text; fails naming the key when the file or the configured context is missing."""
    path = kubeconfig_path(config)
    if not path.is_file():
        raise ConfigError(
            "cluster.kubeconfig",
            f"no kubeconfig at {path} (set genepool:cluster.kubeconfig or "
            "$KUBECONFIG, or create the cluster first, e.g. kind create cluster "
            "--name genepool)",
        )
    text = path.read_text()
    contexts = [entry.get("name") for entry in (yaml.safe_load(text) or {}).get("contexts") or []]
    if config.cluster.context and config.cluster.context not in contexts:
        raise ConfigError(
            "cluster.context",
            f"context {config.cluster.context!r} is not in {path}; it has: {', '.join(map(str, contexts)) or 'none'}",
        )
    return text


def build(config: StackConfig) -> Platform:
    kubeconfig = pulumi.Output.secret(read_kubeconfig(config))
    provider = k8s.Provider(
        "local", kubeconfig=kubeconfig, context=config.cluster.context, enable_server_side_apply=True
    )
    return Platform(
        provider=provider,
        kubeconfig=kubeconfig,
        storage_class=config.cluster.storage_class,
        system=Scheduling(),
        workers=Scheduling(),
        hourly_cost_usd=0.0,
        kubelet_insecure_tls=True,
    )
