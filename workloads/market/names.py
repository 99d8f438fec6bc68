"""One stored name per instrument: the name bars are stored under tells the exchange and the kind of market apart.

The name is derived from the ccxt exchange id and the market's unified symbol (``BASE/QUOTE[:SETTLE[-EXPIRY]]``,
ccxt's market structure), so a fetch, the CronJobs and ``evolve --symbol`` agree on it without loading markets:

=============================== ================================ ==================================================
market (unified symbol)          kind                             stored name
=============================== ================================ ==================================================
``BTC/USDT``                     spot                             ``binance:BTCUSDT``
``BTC/USDT:USDT``                perpetual swap (linear)          ``binance:BTCUSDT-PERP``
``BTC/USD:BTC``                  perpetual swap (inverse)         ``binance:BTCUSD-PERP-BTC`` (settle ≠ quote)
``BTC/USDT:USDT-261225``         dated future                     ``binance:BTCUSDT-261225``
=============================== ================================ ==================================================

The exchange part is the ccxt id exactly as given (``binance`` and ``binanceusdm`` are different names, as they are
different ccxt exchanges). Options (a strike and a type after the expiry) are refused. Names parse back with
:func:`parse_instrument`; a name stored by hand (``BTCUSDT``, ``--store-as``) is not an instrument name and is shown
as such by ``genepool data list``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SPOT, PERPETUAL, FUTURE = "spot", "perpetual", "future"
_PART = r"[A-Za-z0-9]+"
_UNIFIED = re.compile(rf"^(?P<base>{_PART})/(?P<quote>{_PART})(?::(?P<settle>{_PART})(?:-(?P<expiry>\d{{6}}))?)?$")
_EXCHANGE = re.compile(r"^[a-z][a-z0-9_]*$")
_NAME = re.compile(
    rf"^(?P<exchange>[a-z][a-z0-9_]*):(?P<pair>{_PART})(?:-(?P<kind>PERP|\d{{6}})(?:-(?P<settle>{_PART}))?)?$"
)


@dataclass(frozen=True)
class Instrument:
    """What a stored name says: the ccxt exchange id, the pair (``BTCUSDT``), the kind (spot, perpetual, future),
    the expiry (``YYMMDD``, futures only) and the settle currency when it differs from the quote (inverse)."""

    exchange: str
    pair: str
    kind: str
    expiry: str | None = None
    settle: str | None = None


def instrument_name(exchange: str, unified_symbol: str) -> str:
    """The stored name of ``unified_symbol`` on ``exchange`` (see the module doc); ``ValueError`` naming the rule
    for an exchange id or symbol that is not in ccxt's form."""
    if not _EXCHANGE.match(exchange):
        raise ValueError(f"exchange {exchange!r}: expected a ccxt exchange id such as binance")
    match = _UNIFIED.match(unified_symbol)
    if match is None:
        raise ValueError(
            f"{exchange} {unified_symbol!r}: expected a ccxt unified symbol BASE/QUOTE (spot), BASE/QUOTE:SETTLE "
            "(perpetual) or BASE/QUOTE:SETTLE-YYMMDD (future); options are not stored"
        )
    base, quote, settle, expiry = (match[k] for k in ("base", "quote", "settle", "expiry"))
    name = f"{exchange}:{base.upper()}{quote.upper()}"
    if settle is None:
        return name
    name += f"-{expiry}" if expiry else "-PERP"
    return name if settle.upper() == quote.upper() else f"{name}-{settle.upper()}"


def parse_instrument(name: str) -> Instrument | None:
    """What an instrument name says, or ``None`` for a name that does not follow the convention."""
    match = _NAME.match(name)
    if match is None:
        return None
    kind = match["kind"]
    if kind is None:
        return None if match["settle"] else Instrument(match["exchange"], match["pair"], SPOT)
    if kind == "PERP":
        return Instrument(match["exchange"], match["pair"], PERPETUAL, settle=match["settle"])
    return Instrument(match["exchange"], match["pair"], FUTURE, expiry=kind, settle=match["settle"])
