"""Exchange settings read from the environment: never from the command line, where secrets would show in ``ps``,
shell history and a CronJob's manifest.

=================================== ====================================================================
``GENEPOOL_EXCHANGE_API_KEY``        optional API key (public market data needs none); a secret
``GENEPOOL_EXCHANGE_SECRET``         optional API secret; a secret
``GENEPOOL_EXCHANGE_URL``            REST base URL replacing the exchange's own (proxy, testnet); ``--exchange-url``
                                     overrides it
``GENEPOOL_FETCH_ATTEMPTS``          requests per call before giving up on network errors, HTTP 429 and 5xx
                                     (default 5, 1–20)
``GENEPOOL_FETCH_BACKOFF_SECONDS``   first wait between attempts, doubled after each failure up to 30 times
                                     itself (default 2.0; tests use a few milliseconds)
``GENEPOOL_FETCH_RATE_LIMIT_MS``     milliseconds between requests, replacing the exchange's own ``rateLimit``
                                     (default: ccxt's value for the exchange, e.g. 50 for Binance, scaled by
                                     each endpoint's weight); lower it only for a relay or stand-in of your own,
                                     never against the exchange itself (0–60,000)
=================================== ====================================================================

Bad values raise :class:`~workloads.settings.SettingsError` naming the variable and the rule; ``repr`` never shows
the key or the secret.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from workloads.settings import SettingsError

API_KEY_ENV = "GENEPOOL_EXCHANGE_API_KEY"
SECRET_ENV = "GENEPOOL_EXCHANGE_SECRET"
URL_ENV = "GENEPOOL_EXCHANGE_URL"
ATTEMPTS_ENV = "GENEPOOL_FETCH_ATTEMPTS"
BACKOFF_ENV = "GENEPOOL_FETCH_BACKOFF_SECONDS"
RATE_LIMIT_ENV = "GENEPOOL_FETCH_RATE_LIMIT_MS"
DEFAULT_ATTEMPTS = 5
DEFAULT_BACKOFF_SECONDS = 2.0


def check_base_url(url: str, source: str) -> str:
    """``url`` when it is an ``http(s)://host[:port][/path]`` URL; a :class:`SettingsError` naming ``source``."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise SettingsError(f"{source} {url!r}: expected an http(s) base URL such as https://proxy.example:8443")
    return url.rstrip("/")


@dataclass(frozen=True)
class ExchangeSettings:
    """How to reach an exchange. ``backoff_seconds`` is the first retry wait (seconds)."""

    api_key: str | None = field(default=None, repr=False)
    secret: str | None = field(default=None, repr=False)
    url: str | None = None
    attempts: int = DEFAULT_ATTEMPTS
    backoff_seconds: float = DEFAULT_BACKOFF_SECONDS
    rate_limit_ms: float | None = None
    """Milliseconds between requests; ``None`` keeps the exchange's own ``rateLimit``."""

    @property
    def has_credentials(self) -> bool:
        return bool(self.api_key and self.secret)


def _number(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise SettingsError(f"{name} {text!r}: expected a number in [{low:g}, {high:g}]") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} {text!r}: expected a number in [{low:g}, {high:g}]")
    return value


def load_exchange_settings(env: Mapping[str, str] | None = None) -> ExchangeSettings:
    """Exchange settings from ``env`` (default: the process environment); see the module docstring."""
    env = os.environ if env is None else env
    api_key = env.get(API_KEY_ENV, "").strip() or None
    secret = env.get(SECRET_ENV, "").strip() or None
    if bool(api_key) != bool(secret):
        set_name, unset = (API_KEY_ENV, SECRET_ENV) if api_key else (SECRET_ENV, API_KEY_ENV)
        raise SettingsError(f"{set_name} is set but {unset} is not: set both or neither")
    url = env.get(URL_ENV, "").strip()
    attempts = _number(env, ATTEMPTS_ENV, float(DEFAULT_ATTEMPTS), 1, 20)
    if not attempts.is_integer():
        raise SettingsError(f"{ATTEMPTS_ENV} {env[ATTEMPTS_ENV]!r}: expected a whole number in [1, 20]")
    return ExchangeSettings(
        api_key=api_key,
        secret=secret,
        url=check_base_url(url, URL_ENV) if url else None,
        attempts=int(attempts),
        backoff_seconds=_number(env, BACKOFF_ENV, DEFAULT_BACKOFF_SECONDS, 0.0, 600.0),
        rate_limit_ms=_number(env, RATE_LIMIT_ENV, 0.0, 0.0, 60_000.0) if env.get(RATE_LIMIT_ENV, "").strip() else None,
    )
