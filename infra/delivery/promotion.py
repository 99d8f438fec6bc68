"""Git names what runs: the deploy workflow's promotion step (``.github/workflows/deploy.yml``, docs/delivery.md).

After staging runs a new image, the workflow writes its digest as ``genepool:image`` into ``Pulumi.staging.yaml``
(what staging runs) and ``Pulumi.prod.yaml`` (what prod will run) on one branch and opens or updates one pull
request; merging it deploys prod behind the ``production`` environment. A rollback is a pull request that puts an
earlier digest back. The stack files are edited line by line, so their comments and layout stay as they are::

    python -m infra.delivery.promotion set-image --stack prod --digest sha256:<64 hex>
    python -m infra.delivery.promotion image --stack prod        # the digest the file names, or nothing
    python -m infra.delivery.promotion repository --stack staging  # where the stack's workload image lives

``repository`` prints the DigitalOcean repository (``registry.digitalocean.com/<registry.name>/workload``) for a
digitalocean stack and the ECR repository name (``genepool-<stack>/workload``) for an aws stack.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import yaml

from infra import images

IMAGE_KEY = "genepool:image"
_IMAGE_LINE = re.compile(r"^  genepool:image:.*$", re.MULTILINE)
_ANCHOR_LINE = re.compile(r"^  genepool:namespace:.*$", re.MULTILINE)


class PromotionError(ValueError):
    """A stack file or digest the promotion cannot use; names the file and the rule."""


def stack_file(root: Path, stack: str) -> Path:
    path = root / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        raise PromotionError(f"{path}: no such stack file")
    return path


def config_of(text: str, where: str) -> dict:
    document = yaml.safe_load(text) or {}
    config = document.get("config")
    if not isinstance(config, dict):
        raise PromotionError(f"{where}: has no config map")
    return config


def image_of(text: str, where: str = "stack file") -> str | None:
    """The ``genepool:image`` a stack file names, or None."""
    value = config_of(text, where).get(IMAGE_KEY)
    return None if value is None else str(value)


def with_image(text: str, digest: str, where: str = "stack file") -> str:
    """``text`` with ``genepool:image`` set to ``digest`` (replacing the line, or added after
    ``genepool:namespace``); every other line unchanged."""
    if not images.is_digest(digest):
        raise PromotionError(f"{where}: genepool:image must be set to a digest sha256:<64 hex>, got {digest!r}")
    config_of(text, where)
    line = f"  {IMAGE_KEY}: {digest}"
    if len(_IMAGE_LINE.findall(text)) > 1:
        raise PromotionError(f"{where}: names {IMAGE_KEY} more than once")
    if _IMAGE_LINE.search(text):
        updated = _IMAGE_LINE.sub(line, text)
    elif anchor := _ANCHOR_LINE.search(text):
        updated = text[: anchor.end()] + "\n" + line + text[anchor.end() :]
    else:
        raise PromotionError(f"{where}: has no '  genepool:namespace:' line to add {IMAGE_KEY} after")
    if image_of(updated, where) != digest:
        raise PromotionError(f"{where}: {IMAGE_KEY} did not read back as {digest} after the edit")
    return updated


def repository(text: str, stack: str, where: str = "stack file") -> str:
    """Where ``stack``'s workload image lives, from its stack file."""
    config = config_of(text, where)
    cloud = config.get("genepool:cloud")
    if cloud == "aws":
        return images.ecr_repository_name(stack)
    if cloud == "digitalocean":
        name = (config.get("genepool:registry") or {}).get("name")
        if not name:
            raise PromotionError(f"{where}: genepool:registry.name is not set (docs/delivery.md, First deploy)")
        return images.docr_repository(str(name))
    raise PromotionError(f"{where}: cloud {cloud!r} has no registry of its own (load the image into the cluster)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.delivery.promotion", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=("set-image", "image", "repository"))
    parser.add_argument("--stack", required=True)
    parser.add_argument("--digest")
    parser.add_argument("--root", type=Path, default=Path("."))
    args = parser.parse_args(argv)
    try:
        path = stack_file(args.root, args.stack)
        text = path.read_text()
        if args.command == "set-image":
            path.write_text(with_image(text, args.digest or "", str(path)))
        elif args.command == "image":
            print(image_of(text, str(path)) or "")
        else:
            print(repository(text, args.stack, str(path)))
    except PromotionError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
