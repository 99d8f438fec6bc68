"""Where the app's state and services live: the settings contract read from the environment or stack outputs.

The package's ``__init__`` holds the settings themselves (``from workloads.settings import Settings``); beside them,
:mod:`~workloads.settings.contract` names the stack outputs ``infra`` exports and these settings read, and
:mod:`~workloads.settings.redaction` masks their secrets in any text we print or log.

Sources, lowest precedence first:

1. embedded defaults: ``database_url = duckdb:///<home>/genepool.duckdb`` with ``<home>`` the state home
   (:func:`default_home`); no Redis (in-process cache), no Ray address (Numba threads or a local Ray);
2. the environment: ``GENEPOOL_<OUTPUT>`` for each output of :mod:`workloads.settings.contract` (what ``infra`` injects
   into pods), plus ``GENEPOOL_API_TOKEN`` (the bearer token of ``genepool serve``, not a stack output);
3. ``--stack-outputs FILE``: the JSON printed by ``pulumi stack output --json --show-secrets`` (an explicit file
   is the most specific source, so it wins). Such a file is read outside the cluster (a laptop, CI), so where the
   stack exports an external HTTPS URL (``api_external_url``, ``grafana_external_url``:
   :data:`workloads.settings.contract.EXTERNAL_OVERRIDES`) it replaces the in-cluster one (``api_url``,
   ``grafana_url``), and ``genepool api status`` reaches the API without a port-forward. Other keys (kubeconfig,
   cost estimate) are ignored.

The API's database reads (``genepool serve`` only) are tuned by two more variables, each with a default
(:class:`ApiSettings`): ``GENEPOOL_API_POOL_SIZE`` and ``GENEPOOL_API_POOL_WAIT_SECONDS``.

An empty value means absent. Secrets (URLs with credentials, the API token) are never printed: ``repr`` and
:meth:`Settings.redacted` replace passwords with ``***``. Bad input raises :class:`SettingsError` naming the file or
variable and the rule.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from workloads.settings import contract
from workloads.settings.redaction import redact_dsn

API_TOKEN_ENV = "GENEPOOL_API_TOKEN"
HOME_ENV = "GENEPOOL_HOME"
XDG_DATA_HOME_ENV = "XDG_DATA_HOME"
APP_DIRECTORY = "genepool"
"""The state home's name under the per-user data directory."""
DATABASE_FILE = "genepool.duckdb"
DUCKDB_SCHEME = "duckdb://"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
API_POOL_SIZE_ENV = "GENEPOOL_API_POOL_SIZE"
API_POOL_WAIT_ENV = "GENEPOOL_API_POOL_WAIT_SECONDS"
API_POOL_SIZE_MAX = 8
"""Largest async pool of the API: one API process opens at most 10 connections
(:data:`workloads.storage.postgres.POOL_MAX_CONNECTIONS`, what the stack's connection budget counts), and its
synchronous pool (signals, readiness, the scrape-time read, migrations) keeps at least 2 of them."""
API_POOL_WAIT_MAX = 1.5
"""Longest pool wait allowed: the ``/v1`` request budget (:data:`workloads.service.budgets.V1_BUDGET_SECONDS`, 2 s) less
the 0.5 s the statement itself is given at least."""
UNREVEALED_SECRET = "[secret]"
"""What ``pulumi stack output --json`` prints for a secret without ``--show-secrets``."""


class SettingsError(ValueError):
    """Bad settings input; the message names the source (file or variable) and the rule."""


def redact_url(url: str | None) -> str | None:
    """``url`` with any password replaced by ``***`` (``postgresql://u:***@host/db``, ``host=… password=***``,
    ``u:***@host/db``); other parts kept. See :func:`workloads.settings.redaction.redact_dsn`."""
    if not url:
        return url
    return redact_dsn(url)


def default_home(env: Mapping[str, str] | None = None) -> Path:
    """The state home (the embedded DuckDB file, ``runs/``), the same for every command wherever it is started:

    1. ``$GENEPOOL_HOME`` when set and not empty (``~`` expanded, made absolute);
    2. else the per-user data directory of the XDG Base Directory rule: ``$XDG_DATA_HOME/genepool`` when
       ``XDG_DATA_HOME`` is an absolute path (the rule ignores a relative one), else ``~/.local/share/genepool``.

    Nothing is created here: commands that write create the directory, commands that only read say there is no
    state yet (docs/cli.md#where-state-lives)."""
    env = os.environ if env is None else env
    explicit = (env.get(HOME_ENV) or "").strip()
    if explicit:
        return Path(explicit).expanduser().resolve()
    data_home = (env.get(XDG_DATA_HOME_ENV) or "").strip()
    if not data_home or not Path(data_home).is_absolute():
        data_home = str(Path("~/.local/share").expanduser())
    return (Path(data_home) / APP_DIRECTORY).resolve()


def default_runs_dir(env: Mapping[str, str] | None = None) -> Path:
    """Where finished runs (``<run_id>/run.json``) and local checkpoints live by default: ``<state home>/runs``."""
    return default_home(env) / "runs"


def default_database_url(home: Path) -> str:
    return f"{DUCKDB_SCHEME}{home / DATABASE_FILE}"


@dataclass(frozen=True)
class ApiSettings:
    """How ``genepool serve`` reads PostgreSQL on the routes that cannot be answered from memory.

    - ``pool_size`` (``GENEPOOL_API_POOL_SIZE``, default 6, 1–:data:`API_POOL_SIZE_MAX`): connections of the async
      pool serving ``/v1/strategies`` and ``/v1/strategies/{id}``; the process's synchronous pool gets the rest of
      its 10 (default 4), so the stack's connection budget is unchanged.
    - ``pool_wait_seconds`` (``GENEPOOL_API_POOL_WAIT_SECONDS``, default 1.5, above 0 and at most
      :data:`API_POOL_WAIT_MAX`): longest a request waits for a pooled connection before answering 503.
    """

    pool_size: int = 6
    pool_wait_seconds: float = 1.5

    def __post_init__(self) -> None:
        if isinstance(self.pool_size, bool) or not isinstance(self.pool_size, int):
            raise SettingsError(f"{API_POOL_SIZE_ENV}: expected a whole number, got {self.pool_size!r}")
        if not 1 <= self.pool_size <= API_POOL_SIZE_MAX:
            raise SettingsError(
                f"{API_POOL_SIZE_ENV} {self.pool_size}: must be 1 to {API_POOL_SIZE_MAX} (an API process opens at "
                "most 10 connections and its synchronous pool keeps 2)"
            )
        if not (math.isfinite(self.pool_wait_seconds) and 0 < self.pool_wait_seconds <= API_POOL_WAIT_MAX):
            raise SettingsError(
                f"{API_POOL_WAIT_ENV} {self.pool_wait_seconds:g}: must be above 0 and at most "
                f"{API_POOL_WAIT_MAX:g} seconds (the /v1 request budget of 2 s keeps 0.5 s for the statement)"
            )


def _number(env: Mapping[str, str], name: str, kind: type[int] | type[float]) -> int | float | None:
    text = (env.get(name) or "").strip()
    if not text:
        return None
    try:
        return kind(text)
    except ValueError:
        expected = "a whole number" if kind is int else "a number of seconds"
        raise SettingsError(f"{name}={text!r}: expected {expected}") from None


def load_api_settings(env: Mapping[str, str] | None = None) -> ApiSettings:
    """:class:`ApiSettings` from the environment (each variable absent or empty: its default)."""
    env = os.environ if env is None else env
    given = {
        "pool_size": _number(env, API_POOL_SIZE_ENV, int),
        "pool_wait_seconds": _number(env, API_POOL_WAIT_ENV, float),
    }
    return ApiSettings(**{key: value for key, value in given.items() if value is not None})  # type: ignore[arg-type]


@dataclass(frozen=True)
class Settings:
    """The resolved settings. ``None`` means "not configured" (use the embedded alternative)."""

    database_url: str
    redis_url: str | None = None
    ray_address: str | None = None
    api_url: str | None = None
    grafana_url: str | None = None
    api_token: str | None = field(default=None)
    home: Path = field(default_factory=lambda: default_home())
    api: ApiSettings = field(default_factory=ApiSettings)

    def __post_init__(self) -> None:
        if not self.database_url.startswith((DUCKDB_SCHEME, *POSTGRES_SCHEMES)):
            raise SettingsError(
                f"database_url {redact_url(self.database_url)!r}: expected duckdb:///path or "
                "postgresql://user:password@host:port/db"
            )
        if self.redis_url and not self.redis_url.startswith(REDIS_SCHEMES):
            raise SettingsError(f"redis_url {redact_url(self.redis_url)!r}: expected redis://, rediss:// or unix://")

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(POSTGRES_SCHEMES)

    def absent_store_file(self) -> Path | None:
        """The DuckDB store's file when it does not exist yet, else ``None`` (PostgreSQL and in-memory stores always
        exist). Opening the store would create it."""
        if not self.database_url.startswith(DUCKDB_SCHEME):
            return None
        path = self.database_url[len(DUCKDB_SCHEME) :]
        if path == ":memory:" or Path(path).exists():
            return None
        return Path(path)

    def missing_state(self) -> str | None:
        """Why there is nothing to read yet, or ``None``: the :meth:`absent_store_file`. Read-only commands check
        this instead of opening, which would create it."""
        path = self.absent_store_file()
        if path is None:
            return None
        return f"no state yet: {path} does not exist (state home {self.home}; set {HOME_ENV} to use another)"

    def redacted(self) -> dict[str, str | None]:
        """Every setting as text with secrets masked: safe to log or print."""
        out: dict[str, str | None] = {name: redact_url(getattr(self, name)) for name in contract.STACK_OUTPUTS}
        out["api_token"] = "***" if self.api_token else None
        out["home"] = str(self.home)
        return out

    def __repr__(self) -> str:
        body = ", ".join(f"{key}={value!r}" for key, value in self.redacted().items())
        return f"Settings({body})"

    __str__ = __repr__


def _clean(value: object, source: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise SettingsError(f"{source}: expected a string, got {type(value).__name__}")
    value = value.strip()
    if value == UNREVEALED_SECRET:
        raise SettingsError(
            f"{source} is {UNREVEALED_SECRET!r}: the secret was not revealed; write the file with "
            "`pulumi stack output --json --show-secrets`"
        )
    return value or None


def read_stack_outputs(path: str | Path) -> dict[str, str | None]:
    """The contract's outputs found in a ``pulumi stack output --json --show-secrets`` file (absent keys omitted),
    each URL with an external counterpart in the file replaced by it (the module doc's third source)."""
    path = Path(path)
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        raise SettingsError(f"{path}: stack-outputs file does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: cannot read stack-outputs file: {exc}") from None
    except json.JSONDecodeError as exc:
        raise SettingsError(
            f"{path}: not JSON (line {exc.lineno}): expected the output of `pulumi stack output --json --show-secrets`"
        ) from None
    if not isinstance(document, dict):
        raise SettingsError(f"{path}: expected a JSON object of stack outputs, got {type(document).__name__}")
    values = {name: _clean(document[name], f"{path}: {name}") for name in contract.STACK_OUTPUTS if name in document}
    for name, external in contract.EXTERNAL_OVERRIDES.items():
        url = _clean(document.get(external), f"{path}: {external}")
        if url:
            values[name] = url
    return values


def load_settings(stack_outputs: str | Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Resolve settings from defaults, the environment and (optionally) a stack-outputs file; see the module doc."""
    env = os.environ if env is None else env
    values: dict[str, str | None] = {}
    for name in contract.STACK_OUTPUTS:
        variable = contract.env_name(name)
        if variable in env:
            values[name] = _clean(env[variable], variable)
    if stack_outputs is not None:
        values.update(read_stack_outputs(stack_outputs))
    home = default_home(env)
    database_url = values.pop(contract.DATABASE_URL, None) or default_database_url(home)
    return Settings(
        database_url=database_url,
        api_token=_clean(env.get(API_TOKEN_ENV), API_TOKEN_ENV),
        home=home,
        api=load_api_settings(env),
        **values,
    )
