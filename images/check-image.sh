#!/usr/bin/env bash
# `make image-check`: build images/workload.Dockerfile with podman and run the checks in tests/image/ against it.
#
# With no registry to pull Ray's base image from (this project's CI), the base is the stand-in that
# images/build-ray-standin.sh builds (same layout and Ray version; NOT Ray's image). Set RAY_IMAGE to build on
# another base, e.g. RAY_IMAGE=rayproject/ray:2.60.0-py311 where the registry is reachable.
# Without podman (or, for the stand-in, debootstrap) it says what is missing; that fails under CI=true only.
set -euo pipefail
cd "$(dirname "$0")/.."

export CONTAINERS_CONF="${CONTAINERS_CONF:-$PWD/images/podman/containers.conf}"
IMAGE="${GENEPOOL_IMAGE:-localhost/genepool/workload:check}"
PYTHON="${PYTHON:-.venv/bin/python}"

needed=(podman)
[[ -n "${RAY_IMAGE:-}" ]] || needed+=(debootstrap)
missing=()
for command in "${needed[@]}"; do
  command -v "$command" >/dev/null 2>&1 || missing+=("$command")
done
if ((${#missing[@]})); then
  echo "image-check: missing ${missing[*]} (\`make image-check\` installs them: system-deps/image-check.txt)" >&2
  case "${CI:-}" in true | 1 | yes) exit 1 ;; *) echo "image-check: skipped" >&2; exit 0 ;; esac
fi

base="${RAY_IMAGE:-$(bash images/build-ray-standin.sh)}"
echo "image-check: building $IMAGE on $base" >&2
started=$SECONDS
podman build --quiet -f images/workload.Dockerfile --build-arg "RAY_IMAGE=$base" -t "$IMAGE" . >/dev/null
echo "image-check: built in $((SECONDS - started)) s; $(podman image inspect --format '{{.Size}}' "$IMAGE" \
  | awk '{printf "%.2f GB", $1 / 1e9}') (base $(podman image inspect --format '{{.Size}}' "$base" \
  | awk '{printf "%.2f GB", $1 / 1e9}'))" >&2

GENEPOOL_IMAGE="$IMAGE" "$PYTHON" -m pytest -m image tests/image
