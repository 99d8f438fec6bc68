"""Destroying prod with a backup vault that holds recovery points: by default the vault and its key are kept (the
destroy succeeds and the recovery points stay readable); ``aws.backupVaultForceDestroy`` deletes them instead."""

from __future__ import annotations

import copy

from .conftest import REPOSITORY, deploy, stack_config

VAULT = "aws:backup/vault:Vault"
KEY = "aws:kms/key:Key"


def test_by_default_destroy_keeps_the_vault_and_its_key_outside_the_stack(prod):
    vault = prod.named(VAULT, "backups-vault")
    key = prod.named(KEY, "backups-vault")
    assert vault.retain_on_delete and key.retain_on_delete
    assert not vault.inputs.get("forceDestroy")


def test_the_force_destroy_flag_deletes_the_recovery_points_with_the_vault_and_its_key():
    config = copy.deepcopy(stack_config("prod"))
    config["genepool:aws"]["backupVaultForceDestroy"] = True
    deployment = deploy("prod", config=config)
    vault = deployment.named(VAULT, "backups-vault")
    assert vault.inputs["forceDestroy"] is True
    assert not vault.retain_on_delete and not deployment.named(KEY, "backups-vault").retain_on_delete


def test_nothing_else_of_the_stack_is_kept_on_destroy_but_the_backups_their_key_and_the_spot_role(prod):
    kept = {(r.type, r.name) for r in prod.resources if r.retain_on_delete}
    assert kept == {
        (VAULT, "backups-vault"),
        (KEY, "backups-vault"),
        ("aws:s3/bucket:Bucket", "wal-archive"),
        ("aws:iam/serviceLinkedRole:ServiceLinkedRole", "karpenter-spot-service-linked-role"),
    }


def test_the_operations_guide_documents_destroying_prod_with_recovery_points():
    guide = (REPOSITORY / "docs" / "operations.md").read_text()
    section = guide.split("## Destroying prod", 1)[1].split("\n## ", 1)[0]
    for needle in ("backupVaultForceDestroy", "delete-recovery-point", "delete-backup-vault", "schedule-key-deletion"):
        assert needle in section, needle
