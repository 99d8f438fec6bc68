#!/usr/bin/env bash
# Build a STAND-IN for Ray's base image (rayproject/ray:<RAY_VERSION>-py311) on a machine that cannot pull from a
# container registry, such as this project's CI. Users with registry access do not need this: they build
# images/workload.Dockerfile on the real base.
#
# 1. A minimal Debian bookworm root filesystem (debootstrap --variant=minbase, with python3, venv, pip,
#    ca-certificates, wget), from the Debian mirror this host's apt already uses, imported with `podman import` as
#    localhost/genepool/debian-minbase:bookworm.
# 2. images/ray-standin.Dockerfile on top of it: the Ray image's layout (user ray 1000:100, /home/ray, a ray-owned
#    Python environment at /home/ray/anaconda3 first on PATH) with ray[default] at infra/versions.py's RAY_VERSION.
#    The host's extra CA certificates (/usr/local/share/ca-certificates) go into the build context, so pip inside
#    the build trusts what the host's pip trusts.
#
# Prints the stand-in's image reference on stdout (the RAY_IMAGE build argument for images/workload.Dockerfile).
# Each image is built only when missing; --rebuild builds both again. Needs root, podman and debootstrap.
set -euo pipefail
cd "$(dirname "$0")/.."

export CONTAINERS_CONF="${CONTAINERS_CONF:-$PWD/images/podman/containers.conf}"
SUITE=bookworm
MINBASE=localhost/genepool/debian-minbase:$SUITE
RAY_VERSION=$(python3 -c 'import re, pathlib; print(re.search(r"^RAY_VERSION = \"([^\"]+)\"", pathlib.Path("infra/versions.py").read_text(), re.M)[1])')
# The tag carries a digest of the stand-in's inputs, so editing them builds a new stand-in instead of reusing one.
inputs=$(cat images/ray-standin.Dockerfile images/ray-image-packages.txt | sha256sum | cut -c1-12)
STANDIN=localhost/genepool/ray-standin:$RAY_VERSION-py311-$inputs

rebuild=false
[[ "${1:-}" == "--rebuild" ]] && rebuild=true

log() { echo "build-ray-standin: $*" >&2; }

# The first Debian archive URI of this host's apt sources (deb822 or one-line format).
debian_mirror() {
  local uri
  uri=$(grep -hsE '^\s*URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v -- '-security' | head -n1)
  [[ -n "$uri" ]] || uri=$(grep -hsE '^\s*deb\s' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
    | awk '{for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' | grep -v -- '-security' | head -n1)
  [[ -n "$uri" ]] || { log "no Debian mirror found in /etc/apt/sources.list*"; exit 1; }
  echo "$uri"
}

exists() { podman image exists "$1"; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if $rebuild || ! exists "$MINBASE"; then
  mirror=$(debian_mirror)
  log "debootstrap $SUITE (minbase) from the host's Debian mirror"
  debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,ca-certificates,wget \
    "$SUITE" "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }
  rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*
  tar -C "$work/rootfs" -c . | podman import --quiet - "$MINBASE" >/dev/null
  rm -rf "$work/rootfs"
fi

if $rebuild || ! exists "$STANDIN"; then
  log "building $STANDIN (Ray $RAY_VERSION)"
  mkdir -p "$work/context/certs"
  cp images/ray-standin.Dockerfile images/ray-image-packages.txt "$work/context/"
  find /usr/local/share/ca-certificates -name '*.crt' -exec cp {} "$work/context/certs/" \; 2>/dev/null || true
  podman build --quiet -f "$work/context/ray-standin.Dockerfile" --build-arg "BASE_IMAGE=$MINBASE" \
    --build-arg "RAY_VERSION=$RAY_VERSION" -t "$STANDIN" "$work/context" >/dev/null
fi

echo "$STANDIN"
