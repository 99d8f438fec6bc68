"""Where the app's state and services live: the settings contract read from the environment or stack outputs.

Sources, lowest precedence first:

1. embedded defaults: ``database_url = duckdb:///<home>/genepool.duckdb`` with ``<home>`` the state home
   (:func:`default_home`); no Redis (in-process cache), no Ray address (Numba threads or a local Ray);
2. the environment: ``GENEPOOL_<OUTPUT>`` for each output of :mod:`workloads.contract` (what ``infra`` injects
   into pods), plus ``GENEPOOL_API_TOKEN`` (the bearer token of ``genepool serve``, not a stack output);
3. ``--stack-outputs FILE``: the JSON printed by ``pulumi stack output --json --show-secrets`` (an explicit file
   is the most specific source, so it wins). Keys outside the contract (kubeconfig, cost estimate) are ignored.

An empty value means absent. Secrets (URLs with credentials, the API token) are never printed: ``repr`` and
:meth:`Settings.redacted` replace passwords with ``***``. Bad input raises :class:`SettingsError` naming the file or
variable and the rule.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from workloads import contract
from workloads.redaction import redact_dsn

API_TOKEN_ENV = "GENEPOOL_API_TOKEN"
HOME_ENV = "GENEPOOL_HOME"
XDG_DATA_HOME_ENV = "XDG_DATA_HOME"
APP_DIRECTORY = "genepool"
"""The state home's name under the per-user data directory."""
DATABASE_FILE = "genepool.duckdb"
DUCKDB_SCHEME = "duckdb://"
POSTGRES_SCHEMES = ("postgresql://", "postgres://")
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
UNREVEALED_SECRET = "[secret]"
"""What ``pulumi stack output --json`` prints for a secret without ``--show-secrets``."""


class SettingsError(ValueError):
    """Bad settings input; the message names the source (file or variable) and the rule."""


def redact_url(url: str | None) -> str | None:
    """``url`` with any password replaced by ``***`` (``postgresql://u:***@host/db``, ``host=… password=***``,
    ``u:***@host/db``); other parts kept. See :func:`workloads.redaction.redact_dsn`."""
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
class Settings:
    """The resolved settings. ``None`` means "not configured" (use the embedded alternative)."""

    database_url: str
    redis_url: str | None = None
    ray_address: str | None = None
    api_url: str | None = None
    grafana_url: str | None = None
    api_token: str | None = field(default=None)
    home: Path = field(default_factory=lambda: default_home())

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

    def missing_state(self) -> str | None:
        """Why there is nothing to read yet, or ``None``: a DuckDB store whose file does not exist (PostgreSQL and
        in-memory stores always exist). Read-only commands check this instead of opening, which would create it."""
        if not self.database_url.startswith(DUCKDB_SCHEME):
            return None
        path = self.database_url[len(DUCKDB_SCHEME) :]
        if path == ":memory:" or Path(path).exists():
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
    """The contract's outputs found in a ``pulumi stack output --json --show-secrets`` file (absent keys omitted)."""
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
    return {name: _clean(document[name], f"{path}: {name}") for name in contract.STACK_OUTPUTS if name in document}


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
        database_url=database_url, api_token=_clean(env.get(API_TOKEN_ENV), API_TOKEN_ENV), home=home, **values
    )
