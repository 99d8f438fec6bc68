#!/usr/bin/env bash
# `make dev-cluster`: the local Kubernetes cluster the dev stack expects, and its workload image.
#
# The dev stack (Pulumi.dev.yaml) deploys into an existing cluster reached through the kubeconfig context
# `kind-genepool`, with storage class `standard`, Kubernetes 1.36, and image genepool/workload:0.1.0, which it never
# pulls from a registry. This script, idempotently:
#   1. checks that kind, kubectl and a container engine (docker, or podman) are installed, and says how to install
#      each one that is missing (exit 1 before doing anything);
#   2. creates the kind cluster `genepool` on the pinned node image (skipped when it exists);
#   3. waits for its nodes to be Ready and checks the storage class the stack names;
#   4. builds the workload image and loads it into the cluster's nodes;
#   5. prints the Pulumi steps that follow (docs/operations.md#deploy).
# DRY_RUN=1 prints every command instead of running it (and checks no tool).
set -euo pipefail
cd "$(dirname "$0")/.."

CLUSTER="genepool"
# kind v0.33.0's image for Kubernetes 1.36 (its release notes list v1.36.4 with this digest; kind supports a node
# image only with the release that built it). Looked up 2026-12-07 in the kubernetes-sigs/kind release v0.33.0.
KIND_VERSION="v0.33.0"
NODE_IMAGE="kindest/node:v1.36.4@sha256:099e049362a1526b2db71494e1947aae99bd16290d7c895f2b7ea312e3cbfaed"
STACK_FILE="Pulumi.dev.yaml"
IMAGE="$(sed -n 's/^  genepool:image: *//p' "$STACK_FILE")"
CONTEXT="$(sed -n 's/^    context: *//p' "$STACK_FILE")"
STORAGE_CLASS="$(sed -n 's/^    storageClass: *//p' "$STACK_FILE")"
DRY_RUN="${DRY_RUN:-}"

if [[ "$CONTEXT" != "kind-$CLUSTER" ]]; then
  echo "error: $STACK_FILE: genepool:cluster.context is '$CONTEXT'; this script creates 'kind-$CLUSTER'" >&2
  exit 1
fi

run() {
  echo "+ $*"
  if [[ -z "$DRY_RUN" ]]; then "$@"; fi
}

engine="docker"
if [[ -z "$DRY_RUN" ]]; then
  missing=()
  command -v kind >/dev/null || missing+=("kind $KIND_VERSION: 'go install sigs.k8s.io/kind@$KIND_VERSION', or the \
release binary for your platform (https://kind.sigs.k8s.io/docs/user/quick-start/#installation)")
  command -v kubectl >/dev/null || missing+=("kubectl 1.36 (within one minor of the cluster): \
https://kubernetes.io/docs/tasks/tools/#kubectl")
  if ! command -v docker >/dev/null; then
    if command -v podman >/dev/null; then
      engine="podman"
    else
      missing+=("a container engine for kind's nodes: Docker (https://docs.docker.com/engine/install/) or podman \
(Debian/Ubuntu: apt-get install podman)")
    fi
  fi
  if ((${#missing[@]})); then
    echo "error: make dev-cluster needs these programs, not found on PATH:" >&2
    for item in "${missing[@]}"; do echo "  - $item" >&2; done
    echo "Install them, then run make dev-cluster again (DRY_RUN=1 shows what it would run)." >&2
    exit 1
  fi
fi

if [[ "$engine" == "podman" ]]; then export KIND_EXPERIMENTAL_PROVIDER=podman; fi

if [[ -z "$DRY_RUN" ]] && kind get clusters 2>/dev/null | grep -qx "$CLUSTER"; then
  echo "kind cluster '$CLUSTER' exists: not recreated (kind delete cluster --name $CLUSTER to start afresh)"
else
  run kind create cluster --name "$CLUSTER" --image "$NODE_IMAGE" --wait 300s
fi
run kubectl --context "$CONTEXT" wait --for=condition=Ready nodes --all --timeout=300s
run kubectl --context "$CONTEXT" get storageclass "$STORAGE_CLASS"
run "$engine" build -f images/workload.Dockerfile -t "$IMAGE" .
if [[ "$engine" == "podman" ]]; then
  run podman save -o "/tmp/genepool-workload.tar" "$IMAGE"
  run kind load image-archive /tmp/genepool-workload.tar --name "$CLUSTER"
else
  run kind load docker-image "$IMAGE" --name "$CLUSTER"
fi

cat <<EOF

The cluster '$CLUSTER' (context $CONTEXT) runs Kubernetes 1.36 with image $IMAGE loaded. Next, with the Pulumi CLI
and the infra extra (.venv/bin/pip install -e '.[infra]'):

  export PULUMI_CONFIG_PASSPHRASE=<dev's own passphrase>   # encrypts dev's secrets; never staging's or prod's
  pulumi login --local
  pulumi stack select --create dev
  pulumi config set --secret genepool:apiToken "\$(openssl rand -hex 32)"
  pulumi up --policy-pack infra/policy --policy-pack-config infra/policy/dev.json
EOF
