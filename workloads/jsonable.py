"""JSON values, and the one conversion of a Python value to JSON at the edge
(docs/architecture.md#numbers-that-are-not-finite).

Convention for numbers that are not finite (NaN, ±inf): inside Python they stay ``float`` — a profit factor with no
losing trade is ``inf``, a Sharpe ratio of a flat curve ``nan`` — and the store keeps them
(:mod:`workloads.storage.base`: as the strings ``"nan"``, ``"inf"``, ``"-inf"`` inside a JSON document, read back as
floats). JSON has no such numbers, so where a value leaves for JSON — ``evolve --json``, ``run.json``, an API answer —
it becomes ``null``, by :func:`jsonable` (the API's response models serialise floats by the same rule: pydantic's
``ser_json_inf_nan="null"``). ``None`` itself means "no value" everywhere (no holdout, never gated).

This module imports only the standard library.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TypeAlias

JsonScalar: TypeAlias = str | int | float | bool | None
JsonValue: TypeAlias = JsonScalar | Sequence["JsonValue"] | Mapping[str, "JsonValue"]
"""A value a JSON document can hold (numbers may be non-finite floats inside Python)."""
JsonObject: TypeAlias = Mapping[str, JsonValue]
"""A JSON object: a config, a generation's stats, a run's summary, a strategy's details."""


def jsonable(value: object) -> JsonValue:
    """``value`` as JSON can carry it: non-finite floats → ``None``; numpy scalars and arrays → Python numbers and
    lists (anything with ``tolist()``); tuples → lists; mapping keys → ``str``. Raises ``TypeError`` for a value
    JSON cannot hold (say what it is rather than guess a form)."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    tolist = getattr(value, "tolist", None)
    if callable(tolist):  # numpy scalars (float64, int64, bool_) and arrays
        return jsonable(tolist())
    raise TypeError(f"{type(value).__name__} {value!r} cannot be written as JSON")
