"""Masking secrets in any text we print or log: database URLs in every form libpq accepts, and registered secrets.

Forms covered by :func:`redact_dsn` (each password becomes ``***``; nothing is decoded, so a password with bad
%-encoding is masked as written):

- URLs with a scheme: ``postgresql://user:password@host/db`` (the userinfo up to the last ``@``), and a
  ``password=`` query parameter;
- libpq keyword form: ``host=… user=… password=… dbname=…`` (quoted values included);
- no scheme: ``user:password@host/db``.

:func:`register_secret` records a secret (the storage backends register their passwords); :func:`scrub_secrets`
masks every registered secret, raw and %-decoded, plus the DSN forms above. :func:`install_log_scrubber` applies it
to the log records of the libraries that print connection errors themselves (psycopg, psycopg_pool), which our own
messages never reach.
"""

from __future__ import annotations

import logging
import re
import threading
from urllib.parse import unquote

MASK = "***"
SCRUBBED_LOGGERS = ("psycopg", "psycopg.pool", "workloads", "uvicorn.error")
"""Loggers whose records are scrubbed (a logger's filter sees only records logged on it, so each is named)."""

_URL_USERINFO = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^:/@\s'\"]*:)(?P<secret>[^\s'\"]*)@")
_KEYWORD = re.compile(r"(?P<head>\bpassword\s*=\s*)(?P<secret>'(?:[^'\\]|\\.)*'?|[^\s&'\"]+)", re.IGNORECASE)
_NO_SCHEME = re.compile(r"^(?P<head>[^\s:/@=]+:)(?P<secret>[^\s]*)@(?=[^@\s]+$)")

_secrets: set[str] = set()
_lock = threading.Lock()


def redact_dsn(text: str) -> str:
    """``text`` with the password of every database URL/DSN form in it replaced by ``***`` (see the module doc)."""
    text = _URL_USERINFO.sub(lambda m: m["head"] + MASK + "@", text)
    text = _KEYWORD.sub(lambda m: m["head"] + MASK, text)
    if "://" in text:
        return text
    return _NO_SCHEME.sub(lambda m: m["head"] + MASK + "@", text)


def passwords_in(dsn: str | None) -> list[str]:
    """The passwords written in ``dsn`` (any form of :func:`redact_dsn`, quotes stripped)."""
    if not dsn:
        return []
    found = [m["secret"] for m in _URL_USERINFO.finditer(dsn)]
    found += [m["secret"].strip("'") for m in _KEYWORD.finditer(dsn)]
    if "://" not in dsn:
        found += [m["secret"] for m in _NO_SCHEME.finditer(dsn)]
    return [secret for secret in found if secret]


def register_dsn(dsn: str | None) -> None:
    """Register every password written in ``dsn`` and make sure library log records are scrubbed."""
    for secret in passwords_in(dsn):
        register_secret(secret)
    install_log_scrubber()


def register_secret(secret: str | None) -> None:
    """Remember ``secret`` (and its %-decoded form) so :func:`scrub_secrets` masks it wherever it appears."""
    if not secret or len(secret) < 3:
        return
    with _lock:
        _secrets.update(s for s in {secret, unquote(secret)} if len(s) >= 3)


def scrub_secrets(text: str) -> str:
    """``text`` with every registered secret and every DSN password masked."""
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        text = text.replace(secret, MASK)
    return redact_dsn(text)


class ScrubbingFilter(logging.Filter):
    """Rewrites a record's message with :func:`scrub_secrets` applied (arguments are merged in first)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        scrubbed = scrub_secrets(message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        return True


_FILTER = ScrubbingFilter()


def install_log_scrubber() -> None:
    """Attach the scrubbing filter to :data:`SCRUBBED_LOGGERS` (idempotent)."""
    for name in SCRUBBED_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
