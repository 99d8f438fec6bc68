"""The API's routers: :mod:`~workloads.service.routes.health` (probes and metrics, no token) and
:mod:`~workloads.service.routes.v1` (strategies and signals, bearer token)."""
