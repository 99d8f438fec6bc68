"""Option values in a plain form are coerced without pydantic (``workloads/cli/coercion.py``) to exactly what
typer's own coercion gives; every other value gets typer's result or its error message."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from hypothesis import given, settings
from hypothesis import strategies as st
from typer._click import Context
from typer._click.exceptions import BadParameter
from typer._coercion import build_runtime_param

from workloads.cli.coercion import PlainCommand, PlainRuntimeParam


def options(
    text: Annotated[str, typer.Option("--text")] = "a",
    count: Annotated[int, typer.Option("--count")] = 1,
    top: Annotated[int, typer.Option("--top", min=1)] = 1,
    ratio: Annotated[float, typer.Option("--ratio")] = 0.0,
    fee: Annotated[float, typer.Option("--fee", min=0.0, max=100.0)] = 0.0,
    grid: Annotated[list[str] | None, typer.Option("--grid")] = None,
    data: Annotated[Path | None, typer.Option("--data")] = None,
    report: Annotated[Path | None, typer.Option("--report", dir_okay=False)] = None,
    existing: Annotated[Path | None, typer.Option("--existing", exists=True)] = None,
) -> None:
    """Every plain kind of option."""


def command_of(**settings) -> typer.core.TyperCommand:
    app = typer.Typer(add_completion=False, rich_markup_mode=None)
    app.command(**settings)(options)
    return typer.main.get_command(app)


COMMAND = command_of()
PARAMS = {param.name: param for param in COMMAND.params}

numbers = st.one_of(
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.from_regex(r"\A[ +-]?[0-9_.eE]{1,25}[ ]?\Z"),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
)
paths = st.one_of(
    st.from_regex(r"\A[./a-z]{0,12}\Z"),
    st.sampled_from(["", ".", "/", "/tmp", "/tmp/", "./x", "x//y", "~", "-"]),
    st.builds(Path, st.from_regex(r"\A[./a-z]{1,12}\Z")),
)


def coerced(runtime, name: str, value):
    """What ``runtime`` makes of ``value`` for option ``name``: ``(repr of the value, its type)`` (a NaN equals a
    NaN) or ``("error", message)``."""
    param = PARAMS[name]
    try:
        result = runtime.coerce(value, param=param, ctx=Context(COMMAND))
    except BadParameter as exc:
        return "error", exc.format_message()
    return repr(result), type(result)


def assert_same(name: str, value) -> None:
    descriptor = PARAMS[name].type_descriptor
    plain = PlainRuntimeParam(descriptor.parameter_info, descriptor.annotation, descriptor)
    assert coerced(plain, name, value) == coerced(build_runtime_param(descriptor), name, value), (name, value)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["count", "top", "ratio", "fee"]), numbers)
def test_numbers_coerce_as_typer_coerces_them(name, value):
    assert_same(name, value)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=8), st.integers(), st.none()))
def test_text_coerces_as_typer_coerces_it(value):
    assert_same("text", value)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.lists(st.text(max_size=6), max_size=3).map(tuple), st.lists(st.text(max_size=6), max_size=3)))
def test_repeated_text_coerces_as_typer_coerces_it(value):
    assert_same("grid", value)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["data", "report", "existing"]), paths)
def test_paths_coerce_as_typer_coerces_them(name, value):
    assert_same(name, value)


def test_a_plain_command_gives_every_parameter_plain_coercion_help_included():
    command = command_of(cls=PlainCommand)

    params = command.get_params(Context(command))

    assert [p.name for p in params if not isinstance(p._runtime_param, PlainRuntimeParam)] == []
    assert "help" in [p.name for p in params]
