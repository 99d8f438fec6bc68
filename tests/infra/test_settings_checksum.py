"""The API's pod template carries a checksum of its settings, so a settings change rolls the Deployment: present,
derived from exactly what the settings Secret, ConfigMap and API-token Secret hold, stable for the same settings,
different when any one value changes, not a secret input (a secret annotation would make the whole Deployment spec
secret and unreviewable in previews), and no carrier of any secret value."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from infra.components.common import SETTINGS_CHECKSUM_ANNOTATION, settings_digest
from infra.components.workload import API_TOKEN_ENV
from workloads.settings import contract

from .conftest import TEST_SECRETS, Deployment, deploy, is_secret, plain

SECRET = "kubernetes:core/v1:Secret"


def api_spec(deployment: Deployment):
    """The API Deployment's ``spec`` as registered (a secret marker, if any, left in place)."""
    return deployment.named("kubernetes:apps/v1:Deployment", "workload-api").inputs["spec"]


def checksum(deployment: Deployment) -> str:
    return plain(api_spec(deployment))["template"]["metadata"]["annotations"][SETTINGS_CHECKSUM_ANNOTATION]


def settings_values(deployment: Deployment) -> dict[str, str]:
    """What the API pods read from env through the settings objects and the API-token Secret, by env name."""
    secret = plain(deployment.named(SECRET, "settings-secret").inputs["stringData"])
    config_map = plain(deployment.named("kubernetes:core/v1:ConfigMap", "settings-configmap").inputs["data"])
    token = plain(deployment.named(SECRET, "workload-api-token").inputs["stringData"])["token"]
    return {**secret, **config_map, API_TOKEN_ENV: token}


def secret_values(deployment: Deployment) -> list[str]:
    """Every credential the settings carry: the secret values whole and the passwords inside the URLs."""
    values = settings_values(deployment)
    secrets = [values[contract.env_name(name)] for name in contract.SECRET_OUTPUTS] + [values[API_TOKEN_ENV]]
    return secrets + [urlsplit(value).password for value in secrets if urlsplit(value).password]


def test_the_api_pod_template_carries_a_sha256_settings_checksum(dev):
    assert re.fullmatch(r"[0-9a-f]{64}", checksum(dev))


def test_the_checksum_is_the_digest_of_the_settings_objects_and_the_api_token(dev):
    assert checksum(dev) == settings_digest(settings_values(dev))


def test_the_same_settings_give_the_same_checksum(dev, kubeconfig):
    assert checksum(deploy("dev")) == checksum(dev)


def test_changing_the_api_token_changes_the_checksum(dev, kubeconfig):
    rotated = deploy("dev", secrets={"genepool:apiToken": TEST_SECRETS["genepool:apiToken"] + "-rotated"})
    assert checksum(rotated) != checksum(dev)


@pytest.mark.parametrize("name", [*map(contract.env_name, contract.STACK_OUTPUTS), API_TOKEN_ENV])
def test_changing_any_one_settings_value_changes_the_digest(dev, name):
    values = settings_values(dev)
    assert settings_digest({**values, name: values[name] + "x"}) != settings_digest(values)


def test_the_digest_does_not_depend_on_key_order(dev):
    values = settings_values(dev)
    assert settings_digest(dict(reversed(values.items()))) == settings_digest(values)


def test_the_checksum_leaves_the_api_deployment_spec_readable_in_previews(dev):
    spec = api_spec(dev)
    assert not is_secret(spec)
    assert not is_secret(spec["template"]["metadata"]["annotations"][SETTINGS_CHECKSUM_ANNOTATION])


def test_the_checksum_contains_no_secret_value_in_plain_text(dev):
    secrets = secret_values(dev)
    assert len(secrets) == 5, "two URLs, their two passwords and the API token"
    assert [value for value in secrets if value in checksum(dev)] == []
