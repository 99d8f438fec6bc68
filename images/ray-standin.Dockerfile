# A STAND-IN for rayproject/ray:<RAY_VERSION>-py311, for machines that cannot pull from a container registry (this
# project's CI). It is NOT Ray's image: users with registry access build images/workload.Dockerfile on the real base.
#
# It copies the parts of the real image's layout that the workload image and the cluster rely on:
# - user ray (uid 1000, gid 100 "users"), HOME and WORKDIR /home/ray, bash and wget (the probes in
#   infra/components/ray.py run `bash -c "wget … | grep success"`);
# - Python 3.11 in a ray-owned environment at /home/ray/anaconda3 (a venv here, conda there) first on PATH, so `pip`
#   and `python` in a later stage install into it as the ray user;
# - ray[default] at the version the program deploys, and the packages genepool shares with Ray's image at the
#   versions that image ships (ray-image-packages.txt), so the workload wheel lands on the same numpy as it does
#   on the real base.
#
# Built by images/build-ray-standin.sh from a debootstrap'ed Debian bookworm imported as BASE_IMAGE, with the
# host's extra CA certificates in the build context (certs/), so that pip works wherever the host's does.
ARG BASE_IMAGE=localhost/genepool/debian-minbase:bookworm
FROM ${BASE_IMAGE}
ARG RAY_VERSION
COPY certs/ /usr/local/share/ca-certificates/
RUN update-ca-certificates >/dev/null \
 && useradd --create-home --home-dir /home/ray --shell /bin/bash --uid 1000 --gid 100 ray
USER 1000
ENV HOME=/home/ray \
    PATH=/home/ray/anaconda3/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
    LC_ALL=C.UTF-8 \
    LANG=C.UTF-8
WORKDIR /home/ray
COPY --chown=1000:100 ray-image-packages.txt /home/ray/
RUN test -n "${RAY_VERSION}" \
 && python3 -m venv /home/ray/anaconda3 \
 && pip install --no-cache-dir --quiet --upgrade pip \
 && pip install --no-cache-dir --quiet -r /home/ray/ray-image-packages.txt "ray[default]==${RAY_VERSION}" \
 && ray --version
CMD ["bash"]
