"""metrics-server (Helm, pinned): the ``metrics.k8s.io`` API that HorizontalPodAutoscalers read CPU and memory from.

EKS, DOKS and kind ship without it; without it the API's HPA reports "unable to get metrics" and never scales. It runs
in ``kube-system`` on the system nodes. Kubelets of managed clusters serve certificates metrics-server can verify; a
local cluster's (kind) are self-signed, so there the platform asks for ``--kubelet-insecure-tls``. Whatever reads the
metrics API (the HPA) depends on :attr:`MetricsServer.release`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from infra import versions
from infra.components.common import deep_merge, load_values
from infra.platforms import Scheduling

NAMESPACE = "kube-system"
INSECURE_KUBELET_TLS_ARG = "--kubelet-insecure-tls"


@dataclass(frozen=True)
class MetricsServerArgs:
    scheduling: Scheduling
    kubelet_insecure_tls: bool
    """Skip verifying the kubelets' serving certificates (only where they are self-signed: local clusters)."""


def helm_values(args: MetricsServerArgs) -> dict:
    computed: dict = {"nodeSelector": args.scheduling.node_selector, "tolerations": args.scheduling.tolerations}
    if args.kubelet_insecure_tls:
        computed["args"] = [INSECURE_KUBELET_TLS_ARG]
    return deep_merge(load_values("metrics-server.yaml"), computed)


class MetricsServer(pulumi.ComponentResource):
    release: k8s.helm.v3.Release

    def __init__(self, name: str, args: MetricsServerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("genepool:cluster:MetricsServer", name, None, opts)
        self.release = k8s.helm.v3.Release(
            f"{name}-release",
            k8s.helm.v3.ReleaseArgs(
                name="metrics-server",
                chart=versions.METRICS_SERVER_CHART,
                version=versions.METRICS_SERVER_VERSION,
                repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=versions.METRICS_SERVER_REPO),
                namespace=NAMESPACE,
                values=helm_values(args),
                atomic=True,
                timeout=300,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({})
