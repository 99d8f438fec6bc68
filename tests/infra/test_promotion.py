"""The promotion step's stack-file edit: sets exactly ``genepool:image`` to a digest, keeps every other line, and
reads back what the program reads; refuses anything but a digest, naming the file."""

from __future__ import annotations

import pytest
import yaml

from infra.config import parse
from infra.delivery import promotion

from .conftest import REPOSITORY
from .test_config import raw

DIGEST = "sha256:" + "ab12" * 16
EARLIER = "sha256:" + "0f" * 32


def shipped(stack: str) -> str:
    return (REPOSITORY / f"Pulumi.{stack}.yaml").read_text()


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_setting_the_digest_changes_only_the_image_line(stack):
    before = shipped(stack)
    after = promotion.with_image(before, DIGEST)
    added = [line for line in after.splitlines() if line not in before.splitlines()]
    assert added == [f"  genepool:image: {DIGEST}"]
    assert [line for line in before.splitlines() if line not in after.splitlines()] == []
    assert yaml.safe_load(after)["config"]["genepool:image"] == DIGEST


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_a_rollback_replaces_the_digest_in_place(stack):
    promoted = promotion.with_image(shipped(stack), DIGEST)
    rolled_back = promotion.with_image(promoted, EARLIER)
    assert promotion.image_of(rolled_back) == EARLIER
    assert len(rolled_back.splitlines()) == len(promoted.splitlines())
    assert DIGEST not in rolled_back


def test_the_promoted_file_is_valid_stack_config():
    promoted = yaml.safe_load(promotion.with_image(shipped("prod"), DIGEST))["config"]
    assert parse(raw("prod") | {"image": promoted["genepool:image"]}).image == DIGEST


@pytest.mark.parametrize("value", ["genepool/workload:0.1.0", "sha256:abc", "", "latest"])
def test_anything_but_a_digest_is_refused(value):
    with pytest.raises(promotion.PromotionError, match="Pulumi.prod.yaml: genepool:image must be set to a digest"):
        promotion.with_image(shipped("prod"), value, "Pulumi.prod.yaml")


def test_a_file_without_a_config_map_is_refused():
    with pytest.raises(promotion.PromotionError, match="x.yaml: has no config map"):
        promotion.with_image("encryptionsalt: abc\n", DIGEST, "x.yaml")


def test_the_cli_writes_the_file_and_reads_it_back(tmp_path, capsys):
    (tmp_path / "Pulumi.staging.yaml").write_text(shipped("staging"))
    assert promotion.main(["set-image", "--stack", "staging", "--digest", DIGEST, "--root", str(tmp_path)]) == 0
    assert promotion.main(["image", "--stack", "staging", "--root", str(tmp_path)]) == 0
    assert capsys.readouterr().out.strip() == DIGEST


def test_the_cli_fails_naming_a_missing_stack_file(tmp_path, capsys):
    assert promotion.main(["image", "--stack", "qa", "--root", str(tmp_path)]) == 2
    assert "Pulumi.qa.yaml: no such stack file" in capsys.readouterr().err


def test_the_repository_of_staging_is_its_docr_and_of_prod_its_ecr_repository():
    staging = shipped("staging").replace("    tier: basic", "    name: acme-genepool\n    tier: basic")
    assert promotion.repository(staging, "staging") == "registry.digitalocean.com/acme-genepool/workload"
    assert promotion.repository(shipped("prod"), "prod") == "genepool-prod/workload"


def test_the_repository_of_staging_without_a_registry_name_fails_naming_the_key():
    with pytest.raises(promotion.PromotionError, match="genepool:registry.name is not set"):
        promotion.repository(shipped("staging"), "staging")
