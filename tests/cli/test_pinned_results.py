"""The results of a small deterministic run do not move when the code around them is restructured: the hall of fame,
every stored row and the API's read answers equal the fixtures in ``tests/cli/pinned/`` (how they are made and what is
normalised: :mod:`tests.cli.pinned_results`).

Numbers are compared to 1e-9 relative (floating-point sums may round differently on another CPU); everything else —
keys, order, strings, booleans, ``null``s, statuses — exactly."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from tests.cli import pinned_results


def differences(expected: Any, actual: Any, where: str = "$") -> list[str]:
    """Where ``actual`` differs from ``expected`` (JSON paths with both values)."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = (
            [f"{where}: keys {sorted(set(expected) ^ set(actual))} on one side only"]
            if set(expected) != set(actual)
            else []
        )
        for key in expected.keys() & actual.keys():
            out += differences(expected[key], actual[key], f"{where}.{key}")
        return out
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return [f"{where}: {len(expected)} items expected, {len(actual)} found"]
        return [
            d for i, (e, a) in enumerate(zip(expected, actual, strict=True)) for d in differences(e, a, f"{where}[{i}]")
        ]
    numbers = (int, float)
    if (
        isinstance(expected, numbers)
        and isinstance(actual, numbers)
        and not isinstance(expected, bool)
        and not isinstance(actual, bool)
        and type(expected) is type(actual)
    ):
        if math.isclose(expected, actual, rel_tol=1e-9, abs_tol=1e-12):
            return []
    elif expected == actual and type(expected) is type(actual):
        return []
    return [f"{where}: expected {expected!r}, found {actual!r}"]


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict[str, Any]:
    return pinned_results.run(tmp_path_factory.mktemp("pinned") / "home")


@pytest.mark.parametrize("name", ["hall_of_fame", "stored_rows", "api_answers"])
def test_the_pinned_run_gives_the_recorded_results(results, name):
    expected = json.loads((pinned_results.FIXTURES / f"{name}.json").read_text())
    actual = json.loads(json.dumps(results[name], sort_keys=True))
    found = differences(expected, actual)
    assert not found, f"{name} differs from tests/cli/pinned/{name}.json:\n" + "\n".join(found[:20])


def test_the_comparison_sees_a_changed_number_a_missing_key_and_a_null():
    assert differences({"a": [1.0, 2]}, {"a": [1.0 + 1e-6, 2]}) == ["$.a[0]: expected 1.0, found 1.000001"]
    assert differences({"a": 1, "b": 2}, {"a": 1}) == ["$: keys ['b'] on one side only"]
    assert differences({"a": None}, {"a": 0.0}) == ["$.a: expected None, found 0.0"]
    assert differences({"a": 1.0}, {"a": 1.0 + 1e-13}) == []
