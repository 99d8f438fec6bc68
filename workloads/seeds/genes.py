"""Typed, bounded genes and the gene space that maps the evolution's unit box to strategy parameters.

Genomes live in the unit box ``[0, 1]^g``; :meth:`GeneSpace.decode` turns a population ``(n, g)`` of unit vectors into
parameters ``(n, g)`` float64 (every kind is stored as float64 so one array carries a population):

- ``int``: ``low .. high`` inclusive, each integer an equal share of ``[0, 1]`` (``floor(low + u * (high - low + 1))``,
  ``u = 1`` mapping to ``high``).
- ``float``: uniform on ``[low, high]``.
- ``log``: log-uniform on ``[low, high]`` (``low > 0``).
- ``choice``: the index ``0 .. len(choices) - 1`` into ``choices``, each an equal share (``low``/``high`` are set
  from ``choices``).

:meth:`GeneSpace.encode` is the inverse (ints and choices map to the middle of their share): ``decode(encode(p))``
gives back valid int and choice parameters exactly, and float and log parameters up to float rounding (a few ulps;
compare them with a tolerance). Unit values outside ``[0, 1]`` are clipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

GENE_KINDS = ("int", "float", "log", "choice")


@dataclass(frozen=True)
class Gene:
    """One parameter: ``name``, bounds ``low..high`` (inclusive), ``kind`` (see module doc), ``default`` value."""

    name: str
    low: float
    high: float
    kind: str = "float"
    default: float | None = None
    choices: tuple[Any, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in GENE_KINDS:
            raise ValueError(f"gene {self.name!r}: kind {self.kind!r} is not one of {', '.join(GENE_KINDS)}")
        if self.kind == "choice":
            if not self.choices:
                raise ValueError(f"gene {self.name!r}: a choice gene needs choices")
            object.__setattr__(self, "low", 0.0)
            object.__setattr__(self, "high", float(len(self.choices) - 1))
        if not self.low <= self.high:
            raise ValueError(f"gene {self.name!r}: low {self.low} must be <= high {self.high}")
        if self.kind == "log" and self.low <= 0:
            raise ValueError(f"gene {self.name!r}: a log gene needs low > 0, got {self.low}")
        if self.kind == "int" and (self.low != int(self.low) or self.high != int(self.high)):
            raise ValueError(f"gene {self.name!r}: int bounds must be whole numbers, got {self.low}..{self.high}")
        default = self.default
        if default is None:
            default = self._middle()
            object.__setattr__(self, "default", default)
        if not self.low <= default <= self.high:
            raise ValueError(f"gene {self.name!r}: default {default} is outside {self.low}..{self.high}")

    def _middle(self) -> float:
        if self.kind == "log":
            return float(np.sqrt(self.low * self.high))
        middle = (self.low + self.high) / 2
        return float(np.floor(middle)) if self.kind in ("int", "choice") else middle

    @property
    def discrete(self) -> bool:
        return self.kind in ("int", "choice")

    def decode(self, unit: np.ndarray) -> np.ndarray:
        """Unit values (any shape) → parameter values."""
        u = np.clip(unit, 0.0, 1.0)
        if self.discrete:
            return np.minimum(np.floor(self.low + u * (self.high - self.low + 1)), self.high)
        if self.kind == "log":
            return np.exp(np.log(self.low) + u * (np.log(self.high) - np.log(self.low)))
        return self.low + u * (self.high - self.low)

    def encode(self, values: np.ndarray) -> np.ndarray:
        """Parameter values (any shape) → unit values."""
        v = np.clip(values, self.low, self.high)
        if self.discrete:
            return (np.round(v) - self.low + 0.5) / (self.high - self.low + 1)
        if self.high == self.low:
            return np.full_like(v, 0.5, dtype=np.float64)
        if self.kind == "log":
            return (np.log(v) - np.log(self.low)) / (np.log(self.high) - np.log(self.low))
        return (v - self.low) / (self.high - self.low)

    def clip(self, values: np.ndarray) -> np.ndarray:
        """Values forced into bounds (and whole numbers for discrete genes)."""
        v = np.clip(values, self.low, self.high)
        return np.round(v) if self.discrete else v


@dataclass(frozen=True)
class GeneSpace:
    """An ordered tuple of genes; column ``j`` of a parameter array is ``genes[j]``."""

    genes: tuple[Gene, ...]
    names: tuple[str, ...] = field(init=False)

    def __init__(self, genes: Sequence[Gene]) -> None:
        object.__setattr__(self, "genes", tuple(genes))
        object.__setattr__(self, "names", tuple(g.name for g in self.genes))
        if len(set(self.names)) != len(self.names):
            raise ValueError(f"gene names must be unique, got {self.names}")

    def __len__(self) -> int:
        return len(self.genes)

    def index(self, name: str) -> int:
        """Column of gene ``name``."""
        try:
            return self.names.index(name)
        except ValueError:
            raise KeyError(f"unknown gene {name!r}; genes are {', '.join(self.names)}") from None

    def _columns(self, array: np.ndarray, what: str) -> np.ndarray:
        a = np.atleast_2d(np.asarray(array, dtype=np.float64))
        if a.ndim != 2 or a.shape[1] != len(self.genes):
            raise ValueError(f"{what} must have shape (n, {len(self.genes)}) for genes {self.names}, got {a.shape}")
        return a

    def decode(self, unit: np.ndarray) -> np.ndarray:
        """``(n, g)`` unit values in ``[0, 1]`` → ``(n, g)`` float64 parameters."""
        u = self._columns(unit, "unit genomes")
        return np.column_stack([g.decode(u[:, j]) for j, g in enumerate(self.genes)]).astype(np.float64)

    def encode(self, params: np.ndarray) -> np.ndarray:
        """``(n, g)`` parameters → ``(n, g)`` unit values (inverse of :meth:`decode`)."""
        p = self._columns(params, "parameters")
        return np.column_stack([g.encode(p[:, j]) for j, g in enumerate(self.genes)]).astype(np.float64)

    def clip(self, params: np.ndarray) -> np.ndarray:
        """``(n, g)`` parameters forced into bounds, discrete genes rounded."""
        p = self._columns(params, "parameters")
        return np.column_stack([g.clip(p[:, j]) for j, g in enumerate(self.genes)]).astype(np.float64)

    def defaults(self) -> np.ndarray:
        """``(g,)`` default parameters."""
        return np.array([g.default for g in self.genes], dtype=np.float64)

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """``(low, high)``, each ``(g,)``."""
        return (
            np.array([g.low for g in self.genes], dtype=np.float64),
            np.array([g.high for g in self.genes], dtype=np.float64),
        )

    def as_dict(self, params_row: np.ndarray) -> dict[str, Any]:
        """One parameter row as ``{name: value}`` (ints as int, choices as the chosen value)."""
        out: dict[str, Any] = {}
        for gene, value in zip(self.genes, np.asarray(params_row, dtype=np.float64), strict=True):
            if gene.kind == "choice":
                out[gene.name] = gene.choices[int(value)]
            elif gene.kind == "int":
                out[gene.name] = int(value)
            else:
                out[gene.name] = float(value)
        return out

    def row(self, values: dict[str, Any]) -> np.ndarray:
        """``{name: value}`` (any subset; the rest default) → a ``(g,)`` parameter row. Choice genes accept the
        choice itself or its index. Unknown names and out-of-bounds values are refused."""
        row = self.defaults()
        for name, value in values.items():
            if name not in self.names:
                raise ValueError(f"unknown gene {name!r}; genes are {', '.join(self.names)}")
            gene = self.genes[self.index(name)]
            if gene.kind == "choice" and value in gene.choices:
                value = gene.choices.index(value)
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise ValueError(
                    f"gene {name!r}: {value!r} is not a number" + (f" or one of {gene.choices}" if gene.choices else "")
                ) from None
            if not gene.low <= number <= gene.high:
                raise ValueError(f"gene {name!r}: {value!r} is outside {gene.low:g}..{gene.high:g}")
            if gene.discrete and number != int(number):
                raise ValueError(f"gene {name!r}: {value!r} must be a whole number")
            row[self.index(name)] = number
        return row
