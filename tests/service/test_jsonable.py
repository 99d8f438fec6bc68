"""The one conversion at the JSON edge (docs/architecture.md#numbers-that-are-not-finite): non-finite numbers become
``null``, everything else keeps its value."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from workloads.jsonable import jsonable


def test_non_finite_floats_become_none_at_any_depth():
    value = {"a": math.inf, "b": [-math.inf, (math.nan, 1.5)], "c": {"d": float("nan")}}
    assert jsonable(value) == {"a": None, "b": [None, [None, 1.5]], "c": {"d": None}}


def test_finite_values_none_and_booleans_are_kept_as_they_are():
    value = {"x": 0.1, "n": 3, "t": True, "f": False, "none": None, "s": "nan"}
    assert jsonable(value) == value
    assert jsonable(True) is True and jsonable(1) == 1 and type(jsonable(1)) is int


def test_numpy_scalars_and_arrays_become_python_numbers_and_lists():
    converted = jsonable({"f": np.float64(2.5), "i": np.int64(7), "b": np.bool_(True), "a": np.array([1.0, np.inf])})
    assert converted == {"f": 2.5, "i": 7, "b": True, "a": [1.0, None]}
    assert [type(converted[k]) for k in ("f", "i", "b")] == [float, int, bool]
    assert json.dumps(converted, allow_nan=False)


def test_mapping_keys_become_strings():
    assert jsonable({1: "one"}) == {"1": "one"}


def test_a_value_json_cannot_hold_is_refused_naming_its_type():
    with pytest.raises(TypeError, match="object <object object at .*> cannot be written as JSON"):
        jsonable({"x": object()})
