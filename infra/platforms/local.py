"""Platform ``local``: an existing kind/k3d/minikube cluster reached through a kubeconfig context.

The kubeconfig is read the way kubectl reads it: ``genepool:cluster.kubeconfig`` if set, else the first file in
``$KUBECONFIG``, else ``~/.kube/config``. Only the selected context (``genepool:cluster.context``, else the file's
current context) with its cluster and user goes into the provider, the state and the ``kubeconfig`` output: never
the credentials of every other cluster in the file. Nothing is created at the cluster level; every pod schedules
anywhere (no node pools, no spot), and the estimated cost is 0. The HTTPS ingress is ``local_ingress.py``'s.
"""

from __future__ import annotations

import os
from pathlib import Path

import pulumi
import pulumi_kubernetes as k8s
import yaml

from infra.config import StackConfig, StackConfigError
from infra.platforms import Platform, Scheduling, local_ingress


def kubeconfig_path(config: StackConfig) -> Path:
    if config.cluster.kubeconfig_path:
        return Path(config.cluster.kubeconfig_path).expanduser()
    from_env = os.environ.get("KUBECONFIG", "").split(os.pathsep)[0]
    return Path(from_env).expanduser() if from_env else Path.home() / ".kube" / "config"


def minimal_kubeconfig(kubeconfig: dict, context: str) -> dict:
    """``kubeconfig`` reduced to ``context``, its cluster and its user (its current context); fails naming the key
    when the context refers to a cluster or user the file does not define."""

    def named(kind: str, name: str | None) -> dict:
        for entry in kubeconfig.get(kind) or []:
            if entry.get("name") == name:
                return dict(entry)
        raise StackConfigError(
            "cluster.context", f"context {context!r} refers to {kind[:-1]} {name!r}, which is not defined"
        )

    entry = named("contexts", context)
    details = entry.get("context") or {}
    return {
        "apiVersion": kubeconfig.get("apiVersion", "v1"),
        "kind": "Config",
        "current-context": context,
        "contexts": [entry],
        "clusters": [named("clusters", details.get("cluster"))],
        "users": [named("users", details.get("user"))],
    }


def read_kubeconfig(config: StackConfig) -> str:
    """The kubeconfig text holding only the selected context (:func:`minimal_kubeconfig`); fails naming the key when
    the file or the context is missing."""
    path = kubeconfig_path(config)
    if not path.is_file():
        raise StackConfigError(
            "cluster.kubeconfig",
            f"no kubeconfig at {path} (set genepool:cluster.kubeconfig or "
            "$KUBECONFIG, or create the cluster first, e.g. kind create cluster "
            "--name genepool)",
        )
    kubeconfig = yaml.safe_load(path.read_text()) or {}
    contexts = [entry.get("name") for entry in kubeconfig.get("contexts") or []]
    context = config.cluster.context or kubeconfig.get("current-context")
    if not isinstance(context, str) or context not in contexts:
        raise StackConfigError(
            "cluster.context",
            f"context {context!r} is not in {path}; it has: {', '.join(map(str, contexts)) or 'none'}",
        )
    return yaml.safe_dump(minimal_kubeconfig(kubeconfig, context), sort_keys=False)


def build(config: StackConfig) -> Platform:
    kubeconfig = pulumi.Output.secret(read_kubeconfig(config))
    provider = k8s.Provider(
        "local", kubeconfig=kubeconfig, context=config.cluster.context, enable_server_side_apply=True
    )
    return Platform(
        edge=local_ingress.edge(config.ingress, Scheduling(), pulumi.ResourceOptions(provider=provider)),
        provider=provider,
        kubeconfig=kubeconfig,
        storage_class=config.cluster.storage_class,
        backup_storage_class=config.cluster.storage_class,
        system=Scheduling(),
        head=Scheduling(),
        stateful=Scheduling(),
        workers=Scheduling(),
        ready=[],
        hourly_cost_usd=0.0,
        kubelet_insecure_tls=True,
    )
