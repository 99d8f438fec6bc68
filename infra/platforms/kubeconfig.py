"""Kubeconfigs whose user runs a command for a short-lived token (client-go's exec credential plugin,
``client.authentication.k8s.io/v1beta1``): the text names the cluster, its CA and the command, holds no token, and
is the same on every run, so the Kubernetes provider's input never drifts."""

from __future__ import annotations

import yaml


def exec_kubeconfig(name: str, endpoint: str, ca_certificate: str, command: str, args: list[str]) -> str:
    """A kubeconfig with one cluster, context and user, all called ``name``; ``ca_certificate`` is base64 PEM as
    the clouds give it; the user runs ``command args`` whenever it needs a token (never interactively)."""
    return yaml.safe_dump(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "current-context": name,
            "clusters": [{"name": name, "cluster": {"server": endpoint, "certificate-authority-data": ca_certificate}}],
            "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
            "users": [
                {
                    "name": name,
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "command": command,
                            "args": args,
                            "interactiveMode": "Never",
                        }
                    },
                }
            ],
        }
    )
