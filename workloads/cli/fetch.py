"""``genepool data fetch``: closed candles (and funding) from an exchange through ccxt into storage.

Registered on the ``data`` group of :mod:`workloads.cli.data`. ccxt is imported inside the command (it takes about
a second), so ``import workloads.cli`` stays light. Credentials and the retry budget come from the environment
(:mod:`workloads.market.settings`), never from the command line. Exit codes: 0 done (also when nothing was new),
1 the exchange kept failing or storage failed, 2 bad input (unknown exchange or symbol, a refused batch, bars that
differ from stored ones).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from workloads.cli.common import bad_input_exits, console, error_console, print_json
from workloads.cli.data import app as data_app

Opt = typer.Option


def parse_time_ms(text: str, option: str) -> int:
    """An ISO-8601 date or time (naive = UTC) as epoch milliseconds; ``ValueError`` naming ``option``."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{option} {text!r}: expected an ISO-8601 date or time such as 2024-01-01 or "
                         "2024-01-01T12:00:00Z") from None  # fmt: skip
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def _print_report(report: dict[str, Any]) -> None:
    gaps = report["gaps"]
    span = f"{report['first_fetched']} … {report['last_fetched']}" if report["fetched"] else "no closed bar"
    console.print(
        f"{report['stored_as']}: fetched {report['fetched']:,} closed {report['timeframe']} bars of "
        f"{report['symbol']} from {report['exchange']} ({span}); {report['inserted']:,} new, "
        f"{report['already_stored']:,} already stored; {report['funding_events']:,} funding events",
        highlight=False,
    )
    if report["dropped_forming"]:
        console.print(f"left out {report['dropped_forming']} candle(s) still forming", highlight=False)
    if gaps["count"]:
        console.print(
            f"[yellow]gaps:[/] {gaps['count']} ({gaps['missing_bars']} bars missing, largest "
            f"{gaps['largest_seconds']:g} s between bars); not filled",
            highlight=False,
        )


@data_app.command("fetch")
def fetch_command(
    exchange: Annotated[str, Opt("--exchange", help="ccxt exchange id: binance, binanceusdm, bybit, okx …")],
    symbol: Annotated[str, Opt("--symbol", help="Market: unified (BTC/USDT:USDT) or the exchange's id (BTCUSDT).")],
    timeframe: Annotated[str, Opt("--timeframe", help="Bar timeframe in ccxt's notation: 1m, 15m, 1h, 1d …")] = "1h",
    since: Annotated[
        str | None, Opt("--since", help="First bar's open time (UTC). Default: after the last stored bar.")
    ] = None,
    until: Annotated[str | None, Opt("--until", help="Fetch bars opening before this time (UTC).")] = None,
    store_as: Annotated[
        str | None,
        Opt(
            "--store-as",
            help="Symbol to store under. Default: the instrument's name, exchange:PAIR for spot and "
            "exchange:PAIR-PERP for a perpetual (binance:BTCUSDT-PERP; docs/data.md).",
        ),
    ] = None,
    backfill_days: Annotated[
        int, Opt("--backfill-days", min=1, max=36500, help="Days fetched when nothing is stored yet.")
    ] = 30,
    exchange_url: Annotated[
        str | None, Opt("--exchange-url", help="REST base URL replacing the exchange's (proxy, testnet).")
    ] = None,
    stack_outputs: Annotated[
        Path | None,
        Opt("--stack-outputs", help="JSON from `pulumi stack output --json --show-secrets`.", dir_okay=False),
    ] = None,
    json_output: Annotated[bool, Opt("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Fetch closed candles (and, for perpetual swaps, funding rates) from an exchange into the database:
    incremental, idempotent, never a forming candle, gaps reported and never filled (docs/data.md)."""
    from workloads.cli.state import settings_from
    from workloads.market.exchange import FetchFailed, open_exchange, resolve_market
    from workloads.market.fetch import FetchRequest, fetch_into
    from workloads.market.names import instrument_name
    from workloads.market.settings import check_base_url, load_exchange_settings
    from workloads.storage import StorageError, open_storage
    from workloads.storage.base import check_symbol

    settings = settings_from(stack_outputs)
    with bad_input_exits():
        exchange_settings = load_exchange_settings()
        since_ms = parse_time_ms(since, "--since") if since else None
        until_ms = parse_time_ms(until, "--until") if until else None
        url = check_base_url(exchange_url, "--exchange-url") if exchange_url else None
        client = open_exchange(exchange, exchange_settings, url)
        if timeframe not in (client.timeframes or {}):
            raise ValueError(
                f"--timeframe {timeframe!r}: {exchange} offers {', '.join(client.timeframes or {}) or 'none'}"
            )
    try:
        with bad_input_exits():
            market = resolve_market(client, symbol, exchange_settings)
            name = check_symbol(store_as or instrument_name(client.id, market.symbol))
        request = FetchRequest(client, market, timeframe, name, since_ms, until_ms, backfill_days)
        with open_storage(settings) as storage, bad_input_exits():
            report = fetch_into(storage, request, exchange_settings).as_dict()
    except FetchFailed as exc:
        error_console.print(f"error: {exc}; nothing was stored", highlight=False, soft_wrap=True, markup=False)
        raise typer.Exit(1) from None
    except StorageError as exc:
        error_console.print(f"error: {exc}", highlight=False, soft_wrap=True, markup=False)
        raise typer.Exit(1) from None
    if json_output:
        print_json(report)
    else:
        _print_report(report)
