"""Secrets never appear in printed or logged text, whatever form the database URL takes (issue #17, item 7)."""

from __future__ import annotations

import logging

import pytest

from workloads.settings import Settings, SettingsError, redact_url
from workloads.settings.redaction import register_secret, scrub_secrets

PASSWORD = "hunter2-Secret"


@pytest.mark.parametrize(
    "url",
    [
        f"host=db.internal port=5432 user=quant password={PASSWORD} dbname=prod",
        f"host=db.internal password = '{PASSWORD} with space' dbname=prod",
        f"quant:{PASSWORD}@db.internal:5432/prod",
        f"postgresql://quant:{PASSWORD}%zz@db.internal/prod",
        f"postgresql://quant:{PASSWORD}@db.internal/prod?sslmode=require&password={PASSWORD}",
        f"postgresql://quant:p@ss{PASSWORD}@db.internal/prod",
    ],
)
def test_redact_url_masks_the_password_in_every_form_of_database_url(url):
    assert PASSWORD not in (redact_url(url) or "")


def test_a_keyword_form_database_url_is_refused_without_printing_its_password():
    with pytest.raises(SettingsError) as info:
        Settings(database_url=f"host=db user=quant password={PASSWORD} dbname=prod")
    assert PASSWORD not in str(info.value)
    assert "password=***" in str(info.value)


def test_registered_secrets_are_masked_in_their_raw_and_percent_decoded_forms():
    register_secret("p%40ss-word")
    scrubbed = scrub_secrets('invalid percent-encoded value: "p%40ss-word" / p@ss-word')
    assert "p%40ss-word" not in scrubbed and "p@ss-word" not in scrubbed


def test_psycopg_pool_log_records_are_scrubbed(caplog):
    register_secret(PASSWORD)
    from workloads.settings.redaction import install_log_scrubber

    install_log_scrubber()
    with caplog.at_level(logging.WARNING, logger="psycopg.pool"):
        logging.getLogger("psycopg.pool").warning(
            "error connecting in %r: %s", "pool-1", f"connection to postgresql://quant:{PASSWORD}@db/prod failed"
        )
    assert caplog.records
    assert PASSWORD not in caplog.text
