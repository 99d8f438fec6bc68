"""Plain option values coerced without pydantic. Typer converts every parameter's value (defaults included) through
a pydantic ``TypeAdapter``, and importing pydantic for it takes about 0.06 s of every command. A value in one of
the plain forms below is converted here to exactly what that adapter returns; any other value goes to typer's own
coercion, so its checks and error messages are typer's:

- ``str``: a ``str``, as it is;
- ``int`` (no ``clamp``): an ``int``, or decimal digits without sign, spaces or a leading zero (at most 18), within
  the option's ``min``/``max``;
- ``float`` (no ``clamp``): a finite ``float``, or ``[-]digits[.digits]`` without spaces, a leading zero or an
  exponent, within ``min``/``max``;
- ``list[str]``: a list or tuple of ``str``;
- ``Path``: a ``Path``, or a ``str`` that ``Path`` keeps as it is (``str(Path(value)) == value``: not empty, no
  ``./``, ``//`` or trailing ``/``, so typer's messages name it the same), then typer's own path checks
  (``exists``, ``dir_okay``, …).

The parameters of a :class:`PlainCommand` (and of the root group, :mod:`workloads.cli.lazy`) get a
:class:`PlainRuntimeParam`: one that is given no value but ``None`` (``--help`` unset, an unset ``--log-level``) builds
no adapter at all. Options with a ``parser`` are left to typer. The subcommands of a group (``data import``) keep
typer's own coercion.
``tests/cli/test_plain_coercion.py`` holds the equality with typer's coercion.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args, get_origin

from typer._click import Context, Parameter
from typer._coercion import RuntimeParam, TypeDescriptor, build_runtime_param
from typer._param_types import coerce_cli_path
from typer.core import TyperCommand, _TyperParameter

_INT = re.compile(r"0|[1-9][0-9]{0,17}")
_FLOAT = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?")
NOT_PLAIN = object()
"""What :func:`plain_value` returns for a value that is not in a plain form."""


def plain_kind(descriptor: TypeDescriptor) -> str | None:
    """``"str"``, ``"int"``, ``"float"``, ``"list[str]"`` or ``"Path"`` when the parameter's values can be plain,
    else ``None``."""
    annotation, info = descriptor.annotation, descriptor.parameter_info
    if info.parser is not None or descriptor.file_annotation is not None:
        return None
    if annotation is str:
        return "str"
    if annotation in (int, float) and not info.clamp:
        return annotation.__name__
    if get_origin(annotation) is list and get_args(annotation) == (str,):
        return "list[str]"
    if annotation is Path and getattr(info, "path_type", None) is None:
        return "Path"
    return None


def _in_range(number: float, descriptor: TypeDescriptor) -> bool:
    info = descriptor.parameter_info
    return (info.min is None or number >= info.min) and (info.max is None or number <= info.max)


def plain_number(kind: str, value: Any) -> int | float | object:
    """The ``int`` or ``float`` of a plain ``value`` (see the module doc), else :data:`NOT_PLAIN`."""
    if kind == "int":
        if type(value) is int:
            return value
        return int(value) if type(value) is str and _INT.fullmatch(value) else NOT_PLAIN
    if type(value) is float:
        return value if math.isfinite(value) else NOT_PLAIN
    return float(value) if type(value) is str and _FLOAT.fullmatch(value) else NOT_PLAIN


def plain_value(descriptor: TypeDescriptor, value: Any) -> Any:
    """``value`` converted as typer's adapter for ``descriptor`` would, when it is plain; else :data:`NOT_PLAIN`.
    (A ``Path`` is returned before typer's path checks, which the caller applies.)"""
    kind = plain_kind(descriptor)
    if kind == "str":
        return value if type(value) is str else NOT_PLAIN
    if kind in ("int", "float"):
        number = plain_number(kind, value)
        if number is NOT_PLAIN or not _in_range(number, descriptor):  # type: ignore[arg-type]
            return NOT_PLAIN
        return number
    if kind == "list[str]":
        return list(value) if type(value) in (list, tuple) and all(type(v) is str for v in value) else NOT_PLAIN
    if kind == "Path":
        if isinstance(value, Path):
            return value
        return Path(value) if type(value) is str and str(Path(value)) == value else NOT_PLAIN
    return NOT_PLAIN


@dataclass(frozen=True)
class PlainRuntimeParam(RuntimeParam):
    """Typer's runtime coercion of one parameter, plain values first (see the module doc)."""

    descriptor: TypeDescriptor

    def _coerce_value(self, value: Any, param: _TyperParameter, ctx: Context) -> Any:
        plain = plain_value(self.descriptor, value)
        if plain is NOT_PLAIN:
            return build_runtime_param(self.descriptor)._coerce_value(value, param=param, ctx=ctx)
        if isinstance(plain, Path):
            return coerce_cli_path(plain, self.parameter_info, path_type=Path, param=param, ctx=ctx)
        return plain


def coerce_plainly(params: Iterable[Parameter]) -> list[Parameter]:
    """Give each typer parameter among ``params`` whose coercion is not built yet a :class:`PlainRuntimeParam`;
    return ``params`` as a list."""
    params = list(params)
    for param in params:
        if isinstance(param, _TyperParameter) and param._runtime_param is None:
            descriptor = param.type_descriptor
            param._runtime_param = PlainRuntimeParam(descriptor.parameter_info, descriptor.annotation, descriptor)
    return params


class PlainCommand(TyperCommand):
    """A typer command whose parameters (``--help`` included) are coerced plainly."""

    def get_params(self, ctx: Context) -> list[Parameter]:
        return coerce_plainly(super().get_params(ctx))
