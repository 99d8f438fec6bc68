"""Kubernetes' CEL functions that the CEL library (``common-expression-language``) lacks, as small shims.

The API server evaluates ``x-kubernetes-validations`` rules with the CEL standard library plus Kubernetes' own
libraries (https://kubernetes.io/docs/reference/using-api/cel/). The library implements the standard functions and
macros (``has``, ``all``, ``exists``, ``exists_one``, ``map``, ``filter``, ``size``, ``matches``, ``startsWith``, …);
the shims here add the Kubernetes extensions the upstream CRDs use or are likely to use. Each is called with the
receiver first (``self.find(re)`` calls ``find(self, re)``).

Regular expressions: Kubernetes uses Go's RE2 syntax; the shims use Python's ``re``, which agrees on the
expressions the CRDs hold (anchors, classes, groups, repetition). A function not listed in :data:`KNOWN_FUNCTIONS`
makes a rule *not evaluable*, reported by name (``crd_validation``), never passed silently.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit


def find(text: str, pattern: str) -> str:
    """``<string>.find(<regex>)``: the first match of ``pattern`` in ``text``, or ``""`` when none."""
    match = re.search(pattern, text)
    return match.group(0) if match else ""


def find_all(text: str, pattern: str, limit: int = -1) -> list[str]:
    """``<string>.findAll(<regex>[, <limit>])``: every match, at most ``limit`` of them (all when negative)."""
    matches = [m.group(0) for m in re.finditer(pattern, text)]
    return matches if limit < 0 else matches[:limit]


def split(text: str, separator: str, limit: int = -1) -> list[str]:
    """``<string>.split(<sep>[, <limit>])``: Go's ``strings.SplitN`` (limit 0: no parts; negative: all parts)."""
    if limit == 0:
        return []
    return text.split(separator) if limit < 0 else text.split(separator, limit - 1)


def lower_ascii(text: str) -> str:
    """``<string>.lowerAscii()``: ASCII letters lowered, others kept."""
    return "".join(ch.lower() if ch.isascii() else ch for ch in text)


def upper_ascii(text: str) -> str:
    """``<string>.upperAscii()``: ASCII letters raised, others kept."""
    return "".join(ch.upper() if ch.isascii() else ch for ch in text)


def trim(text: str) -> str:
    """``<string>.trim()``: leading and trailing whitespace removed."""
    return text.strip()


def join(parts: list[str], separator: str = "") -> str:
    """``<list(string)>.join([<sep>])``."""
    return separator.join(parts)


def is_url(text: str) -> bool:
    """``isURL(<string>)``: an absolute URL (scheme and host) or an absolute path, as Go's ``url.ParseRequestURI``
    accepts them."""
    if text.startswith("/"):
        return True
    parts = urlsplit(text)
    return bool(parts.scheme) and bool(parts.netloc or parts.path)


SHIMS: dict[str, Callable[..., Any]] = {
    "find": find,
    "findAll": find_all,
    "split": split,
    "lowerAscii": lower_ascii,
    "upperAscii": upper_ascii,
    "trim": trim,
    "join": join,
    "isURL": is_url,
}
"""Kubernetes CEL extensions by the name rules call them with."""

STANDARD_FUNCTIONS = frozenset(
    {
        "size",
        "contains",
        "startsWith",
        "endsWith",
        "matches",
        "int",
        "uint",
        "double",
        "string",
        "bytes",
        "bool",
        "dyn",
        "type",
        "duration",
        "timestamp",
        "getDate",
        "getDayOfMonth",
        "getDayOfWeek",
        "getDayOfYear",
        "getFullYear",
        "getHours",
        "getMilliseconds",
        "getMinutes",
        "getMonth",
        "getSeconds",
        "hasValue",
        "value",
        "orValue",
    }
)
"""CEL's standard functions the library implements (macros are expanded at compile time and name none)."""

KNOWN_FUNCTIONS = STANDARD_FUNCTIONS | SHIMS.keys()


def unknown_functions(names: list[str]) -> list[str]:
    """The functions among ``names`` (a compiled rule's ``functions()``) that neither the library nor a shim
    provides. Operators (``_&&_``, ``!_``, ``@in``, …) are the library's own."""
    return sorted(name for name in names if name[0].isalpha() and name not in KNOWN_FUNCTIONS)
