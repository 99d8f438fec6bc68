"""WAL archiving of the in-cluster TimescaleDB (docs/backups.md): per stack, the repository bucket, the credentials
path, the pgBackRest configuration and environment reaching the pod, and the rendered objects against the Kubernetes
schemas of the stack's version."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest

from infra.components import pgbackrest
from infra.config import StackConfigError, WalArchiveConfig, parse
from infra.platforms import WalArchiveTarget
from tests.prerequisites import require_binary

from .conftest import MOCK_SPACES_SECRET_KEY, Deployment, deploy, is_secret, plain, stack_config
from .test_config import raw, with_value
from .test_manifests import kubernetes_version

STATEFUL_SET = "kubernetes:apps/v1:StatefulSet"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
SECRET = "kubernetes:core/v1:Secret"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"


def pod(deployment: Deployment) -> dict:
    return plain(deployment.named(STATEFUL_SET, "timescaledb-statefulset").inputs)["spec"]["template"]["spec"]


def container(deployment: Deployment, name: str) -> dict:
    (found,) = [c for c in pod(deployment)["containers"] if c["name"] == name]
    return found


def env(deployment: Deployment, name: str) -> dict[str, dict]:
    return {entry["name"]: entry for entry in container(deployment, name)["env"]}


def server_settings(deployment: Deployment) -> dict[str, str]:
    args = container(deployment, "timescaledb")["args"]
    return dict(arg.split("=", 1) for arg in args[2::2])


def pgbackrest_conf(deployment: Deployment) -> str:
    return plain(deployment.named(CONFIG_MAP, "timescaledb-pgbackrest-config").inputs)["data"]["pgbackrest.conf"]


def conf_options(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


@pytest.fixture(scope="module")
def staging_in_cluster(tmp_path_factory) -> Deployment:
    """staging with its TimescaleDB in the cluster (``timescaledb.managed: false``): archived to Spaces."""
    config = stack_config("staging")
    config["genepool:timescaledb"] = {"managed": False, "maxConnections": 200}
    return deploy("staging", config)


# --- prod: S3 through EKS Pod Identity ---------------------------------------------------------------------------


def test_prod_archives_to_a_private_versioned_encrypted_bucket(prod):
    bucket = plain(prod.named("aws:s3/bucket:Bucket", "wal-archive").inputs)
    assert bucket["bucketPrefix"] == "genepool-prod-wal-"
    blocked = plain(prod.named("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "wal-archive").inputs)
    assert all(blocked[flag] for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls"))
    assert blocked["restrictPublicBuckets"]
    versioning = plain(prod.named("aws:s3/bucketVersioning:BucketVersioning", "wal-archive").inputs)
    assert versioning["versioningConfiguration"] == {"status": "Enabled"}
    encryption = plain(
        prod.named(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "wal-archive"
        ).inputs
    )
    assert encryption["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "AES256"


def test_prod_bucket_lifecycle_expires_old_versions_and_abandoned_uploads_but_never_current_objects(prod):
    lifecycle = plain(
        prod.named("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "wal-archive").inputs
    )
    (rule,) = lifecycle["rules"]
    assert rule["status"] == "Enabled"
    assert rule["noncurrentVersionExpiration"] == {"noncurrentDays": 30}
    assert rule["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}
    assert "expiration" not in rule


def test_prod_database_pod_reaches_the_bucket_through_pod_identity_not_keys(prod):
    association = plain(
        prod.named("aws:eks/podIdentityAssociation:PodIdentityAssociation", "wal-archive-access").inputs
    )
    assert (association["namespace"], association["serviceAccount"]) == ("genepool", "timescaledb")
    policy = json.loads(plain(prod.named("aws:iam/rolePolicy:RolePolicy", "wal-archive-access").inputs)["policy"])
    actions = sorted(
        action
        for statement in policy["Statement"]
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    )
    assert actions == ["s3:DeleteObject", "s3:GetObject", "s3:ListBucket", "s3:PutObject"]
    assert all("wal-archive" in statement["Resource"] for statement in policy["Statement"])
    assert pod(prod)["serviceAccountName"] == "timescaledb"
    account = plain(prod.named(SERVICE_ACCOUNT, "timescaledb-service-account").inputs)
    assert account["metadata"]["name"] == "timescaledb"
    assert conf_options(pgbackrest_conf(prod))["repo1-s3-key-type"] == "pod-id"
    assert not {"PGBACKREST_REPO1_S3_KEY", "PGBACKREST_REPO1_S3_KEY_SECRET"} & set(env(prod, "timescaledb"))


def test_prod_postgres_archives_every_wal_segment_with_pgbackrest(prod):
    settings = server_settings(prod)
    assert settings["archive_mode"] == "on"
    assert settings["archive_command"] == "pgbackrest --stanza=genepool archive-push %p"
    assert settings["archive_timeout"] == "60s"
    options = conf_options(pgbackrest_conf(prod))
    assert options["repo1-type"] == "s3"
    assert options["repo1-s3-region"] == "eu-west-1"
    assert options["repo1-s3-endpoint"] == "s3.eu-west-1.amazonaws.com"
    assert options["repo1-retention-full"] == "4"
    assert options["repo1-cipher-type"] == "aes-256-cbc"
    assert options["pg1-path"] == "/home/postgres/pgdata/data"


def test_prod_pgbackrest_configuration_and_passphrase_reach_both_containers_from_config_map_and_secret(prod):
    for name in ("timescaledb", "pgbackrest"):
        variables = env(prod, name)
        assert variables["PGBACKREST_CONFIG"]["value"] == "/etc/pgbackrest/pgbackrest.conf"
        assert variables["PGBACKREST_REPO1_CIPHER_PASS"]["valueFrom"]["secretKeyRef"] == {
            "name": "timescaledb-pgbackrest",
            "key": "cipher-pass",
        }
        mounts = {m["name"]: m["mountPath"] for m in container(prod, name)["volumeMounts"]}
        assert mounts["pgbackrest-config"] == "/etc/pgbackrest"
        assert mounts["pgdata"] == "/home/postgres/pgdata"
        assert mounts["socket"] == "/var/run/postgresql"
    data = prod.named(SECRET, "timescaledb-pgbackrest-secret").inputs["stringData"]
    assert is_secret(data) or is_secret(data["cipher-pass"])
    assert set(plain(data)) == {"cipher-pass"}
    assert "cipher" not in pgbackrest_conf(prod).replace("repo1-cipher-type", "")


def test_prod_takes_base_backups_in_the_database_pod(prod):
    script = container(prod, "pgbackrest")["command"][-1]
    assert "pgbackrest --stanza=genepool stanza-create" in script
    assert "pgbackrest --stanza=genepool check" in script
    assert "sleep 86400" in script
    assert "% 7" in script


def test_prod_database_runs_the_ha_image_as_its_postgres_user_on_a_new_claim(prod):
    spec = plain(prod.named(STATEFUL_SET, "timescaledb-statefulset").inputs)["spec"]
    assert container(prod, "timescaledb")["image"].startswith("timescale/timescaledb-ha:pg16.")
    assert spec["template"]["spec"]["securityContext"]["runAsUser"] == 1000
    assert [claim["metadata"]["name"] for claim in spec["volumeClaimTemplates"]] == ["pgdata"]


@pytest.mark.parametrize(
    "owner",
    [
        (STATEFUL_SET, "timescaledb-statefulset"),
        (CONFIG_MAP, "timescaledb-pgbackrest-config"),
        (SECRET, "timescaledb-pgbackrest-secret"),
        (SERVICE_ACCOUNT, "timescaledb-service-account"),
    ],
    ids=lambda owner: owner[1],
)
@pytest.mark.parametrize("stack", ["prod", "staging_in_cluster"])
def test_the_archiving_objects_validate_against_the_kubernetes_schema(stack, owner, request):
    deployment = request.getfixturevalue(stack)
    body = plain(deployment.named(*owner).inputs)
    kubernetes_validate.validate(body, kubernetes_version("prod"), strict=True)


# --- DigitalOcean: Spaces with a bucket-scoped key ---------------------------------------------------------------


def test_an_in_cluster_database_on_digitalocean_archives_to_a_versioned_spaces_bucket(staging_in_cluster):
    bucket = plain(staging_in_cluster.named("digitalocean:index/spacesBucket:SpacesBucket", "wal-archive").inputs)
    assert (bucket["name"], bucket["region"], bucket["acl"]) == ("genepool-staging-wal-5eed0123", "fra1", "private")
    assert bucket["versioning"] == {"enabled": True}
    (rule,) = bucket["lifecycleRules"]
    assert rule["noncurrentVersionExpiration"] == {"days": 30}
    assert rule["abortIncompleteMultipartUploadDays"] == 7
    assert "expiration" not in rule
    assert (
        "digitalocean:index/spacesBucket:SpacesBucket",
        "wal-archive",
    ) in {(r.type, r.name) for r in staging_in_cluster.resources if r.retain_on_delete}


def test_on_digitalocean_a_key_scoped_to_the_bucket_reaches_the_pod_only_through_a_secret(staging_in_cluster):
    key = plain(staging_in_cluster.named("digitalocean:index/spacesKey:SpacesKey", "wal-archive-key").inputs)
    assert key["grants"] == [{"bucket": "genepool-staging-wal-5eed0123", "permission": "readwrite"}]
    data = staging_in_cluster.named(SECRET, "timescaledb-pgbackrest-secret").inputs["stringData"]
    assert is_secret(data) or all(is_secret(value) for value in data.values())
    assert set(plain(data)) == {"cipher-pass", "s3-key", "s3-key-secret"}
    variables = env(staging_in_cluster, "timescaledb")
    assert variables["PGBACKREST_REPO1_S3_KEY_SECRET"]["valueFrom"]["secretKeyRef"] == {
        "name": "timescaledb-pgbackrest",
        "key": "s3-key-secret",
    }
    options = conf_options(pgbackrest_conf(staging_in_cluster))
    assert options["repo1-s3-key-type"] == "shared"
    assert options["repo1-s3-endpoint"] == "fra1.digitaloceanspaces.com"
    assert "repo1-s3-key" not in options and "repo1-s3-key-secret" not in options
    rendered = json.dumps([plain(r.inputs) for r in staging_in_cluster.resources if r.type != SECRET])
    assert MOCK_SPACES_SECRET_KEY not in rendered


def test_the_shipped_staging_uses_the_managed_databases_recovery_and_archives_nothing(staging):
    assert not staging.of_type("digitalocean:index/spacesBucket:SpacesBucket")
    assert not staging.of_type(STATEFUL_SET)


# --- dev: off ----------------------------------------------------------------------------------------------------


def test_dev_archives_nothing(dev):
    assert "archive_mode" not in server_settings(dev)
    assert [c["name"] for c in pod(dev)["containers"]] == ["timescaledb", "postgres-exporter"]
    assert not [r for r in dev.resources if "wal-archive" in r.name or "pgbackrest" in r.name]


# --- config ------------------------------------------------------------------------------------------------------


def test_a_cloud_stack_may_not_turn_archiving_of_its_in_cluster_database_off():
    with pytest.raises(StackConfigError, match=r"genepool:timescaledb.walArchive.enabled: must be true on cloud 'aws'"):
        parse(with_value("prod", "timescaledb.walArchive", {"enabled": False}))


def test_local_refuses_archiving_it_has_no_object_storage_for():
    with pytest.raises(StackConfigError, match=r"genepool:timescaledb.walArchive.enabled: cloud 'local' has no object"):
        parse(with_value("dev", "timescaledb.walArchive", {"enabled": True}))


def test_a_managed_database_takes_no_archive_settings():
    with pytest.raises(
        StackConfigError, match=r"genepool:timescaledb.walArchive: does not apply to a managed database"
    ):
        parse(with_value("staging", "timescaledb.walArchive", {"retentionFull": 2}))


@pytest.mark.parametrize(
    ("field", "value", "rule"),
    [
        ("retentionFull", 0, r"must be an integer in \[1, 52\]"),
        ("diffEveryHours", 200, r"must be an integer in \[1, 168\]"),
        ("archiveTimeoutSeconds", 10, r"must be an integer in \[60, 3600\]"),
        ("retention", 3, r"unknown field"),
    ],
)
def test_archive_settings_out_of_range_are_refused_naming_the_key(field, value, rule):
    with pytest.raises(StackConfigError, match=rf"genepool:timescaledb.walArchive.{field}: {rule}"):
        parse(with_value("prod", f"timescaledb.walArchive.{field}", value))


def test_prod_archives_by_default():
    assert parse(raw("prod")).timescaledb.wal_archive == WalArchiveConfig(enabled=True)


# --- pgBackRest itself reads the configuration -------------------------------------------------------------------


def rendered_staging_config() -> str:
    target = WalArchiveTarget(bucket="genepool-staging-wal-fra1", region="fra1", endpoint="fra1.digitaloceanspaces.com")
    repository = pgbackrest.Repository(target, WalArchiveConfig(enabled=True))
    return pgbackrest.config_text("genepool-staging-wal-fra1", repository, "/home/postgres/pgdata/data", "genepool")


def pgbackrest_info(tmp_path: Path, text: str) -> subprocess.CompletedProcess:
    """``pgbackrest info`` with the configuration ``text``, the secrets in the environment as in the pod, and the
    repository pointed at a closed local port."""
    binary = require_binary("pgbackrest")
    config = tmp_path / "pgbackrest.conf"
    config.write_text(text)
    return subprocess.run(
        [
            binary,
            f"--config={config}",
            f"--lock-path={tmp_path}",
            "--stanza=genepool",
            "--repo1-s3-endpoint=127.0.0.1",
            "--repo1-s3-uri-style=path",
            "--repo1-storage-port=9",
            "--io-timeout=1",
            "info",
        ],
        env={
            "PGBACKREST_REPO1_S3_KEY": "k",
            "PGBACKREST_REPO1_S3_KEY_SECRET": "s",
            "PGBACKREST_REPO1_CIPHER_PASS": "p",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_pgbackrest_accepts_the_rendered_configuration(tmp_path: Path):
    """pgBackRest parses every option of the rendered file (a wrong name or value exits 31/32 before any network);
    pointed at a closed local port it gets as far as connecting. The key-pair variant: ``pod-id`` needs pgBackRest
    2.58, newer than this machine's."""
    result = pgbackrest_info(tmp_path, rendered_staging_config())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "HostConnectError" in result.stdout
    assert "cipher: aes-256-cbc" in result.stdout


def test_a_wrong_pgbackrest_option_value_is_refused_by_pgbackrest(tmp_path: Path):
    text = rendered_staging_config().replace("repo1-s3-key-type=shared", "repo1-s3-key-type=bogus")
    result = pgbackrest_info(tmp_path, text)
    assert result.returncode == 32, result.stdout + result.stderr


def test_an_in_cluster_database_on_digitalocean_adds_the_spaces_subscription_to_the_estimate():
    from infra.platforms.digitalocean import hourly_cost
    from infra.platforms.prices import DIGITALOCEAN, DIGITALOCEAN_SPACES

    managed = parse(raw("staging"))
    in_cluster = parse(with_value("staging", "timescaledb", {"managed": False}))
    database = DIGITALOCEAN[managed.timescaledb.instance_type or ""]
    assert hourly_cost(in_cluster) == round(hourly_cost(managed) - database + DIGITALOCEAN_SPACES, 4)
