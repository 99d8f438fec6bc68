# The workload image: the genepool package on Ray's image, used by the API, the Ray head and workers, and the
# evolution CronJobs (one image, so drivers and workers import the same code).
#
# Build from the repository root (images/workload.Dockerfile.dockerignore keeps the context small):
#   docker build -f images/workload.Dockerfile -t <registry>/genepool/workload:0.1.0 .
# Without registry access (CI), `make image-check` builds it on a stand-in base with Ray's layout
# (images/build-ray-standin.sh) through RAY_IMAGE, and runs the checks in tests/image/ against it.
#
# - Base: Ray's image for Python 3.11, pinned to the Ray version the program deploys (infra/versions.py
#   RAY_VERSION; a test holds them equal). It brings Ray with its dashboard/job/autoscaler dependencies.
# - Stage "wheel" builds the genepool wheel; the runtime stage installs only that wheel (the core dependencies,
#   no infra/test/bench extras: the Pulumi SDKs never enter the image).
# - Runs as Ray's non-root user (uid 1000), which the pod security contexts in infra/ also require.
ARG RAY_IMAGE=rayproject/ray:2.60.0-py311

FROM ${RAY_IMAGE} AS wheel
# The base image runs as the ray user; create the build directory as that user (WORKDIR alone would make it root's).
RUN mkdir -p /home/ray/src
WORKDIR /home/ray/src
COPY --chown=1000:100 pyproject.toml README.md ./
COPY --chown=1000:100 workloads ./workloads
RUN python -m pip wheel --no-cache-dir --no-deps --wheel-dir /home/ray/wheels .

FROM ${RAY_IMAGE}
USER 1000
# The wheel (pure Python, a few hundred kB) is copied rather than bind-mounted from the build stage: buildah keys a
# RUN's cache on its instruction only, not on a mounted stage's content, so a bind mount reused a stale install.
COPY --from=wheel --chown=1000:100 /home/ray/wheels /tmp/wheels
RUN python -m pip install --no-cache-dir /tmp/wheels/genepool-*.whl \
 && genepool --help > /dev/null
# Pods run with a read-only root filesystem and an emptyDir at /tmp (infra/components/workload.py): the state home
# (GENEPOOL_HOME; infra sets the same value on every pod) and relative paths (demo-output/) land on the one
# writable place.
ENV NUMBA_CACHE_DIR=/tmp/numba-cache \
    GENEPOOL_HOME=/tmp/genepool \
    PYTHONUNBUFFERED=1
WORKDIR /tmp
EXPOSE 8000
CMD ["genepool", "serve", "--host", "0.0.0.0", "--port", "8000"]
