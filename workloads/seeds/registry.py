"""Seed discovery: every module in ``workloads/seeds/strategies/`` that defines ``SEED`` is a seed, and the module is
named for its seed (``strategies/ema_crossover.py`` defines the seed ``ema_crossover``), so one new module adds a seed
and nothing else changes. Seeds are listed by name in alphabetical order.

:func:`get_seed` imports only the module of the seed asked for: a command that runs one seed does not pay for the
others' imports.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache
from types import ModuleType

from workloads.seeds import strategies
from workloads.seeds.base import Seed


@lru_cache(maxsize=1)
def _module_names() -> tuple[str, ...]:
    """The modules of ``workloads/seeds/strategies/``, sorted (listed once per process, as the seeds are loaded)."""
    names = (info.name for info in pkgutil.iter_modules(strategies.__path__) if not info.name.startswith("_"))
    return tuple(sorted(names))


def seed_names() -> tuple[str, ...]:
    """The name of every seed, sorted, without importing any seed module (a seed is named for its module)."""
    return _module_names()


def _seed_of(module: ModuleType) -> Seed | None:
    """The module's ``SEED`` (``None`` for a helper module without one); it must be a :class:`Seed` named for the
    module."""
    seed = getattr(module, "SEED", None)
    if seed is None:
        return None
    if not isinstance(seed, Seed):
        raise TypeError(f"{module.__name__}.SEED is a {type(seed).__name__}, not a Seed")
    expected = module.__name__.rpartition(".")[2]
    if seed.name != expected:
        raise ValueError(
            f"{module.__name__} defines the seed {seed.name!r}; a seed module is named for its seed "
            f"(rename the module to {seed.name}.py or the seed to {expected!r})"
        )
    return seed


@lru_cache(maxsize=1)
def all_seeds() -> dict[str, Seed]:
    """``{name: seed}`` for every seed module, sorted by name."""
    found = {}
    for name in _module_names():
        seed = _seed_of(importlib.import_module(f"{strategies.__name__}.{name}"))
        if seed is not None:
            found[seed.name] = seed
    return found


def get_seed(name: str) -> Seed:
    """The seed called ``name``, importing only its module; an unknown name raises ``KeyError`` listing the known
    ones."""
    seed = None
    if name in _module_names():
        seed = _seed_of(importlib.import_module(f"{strategies.__name__}.{name}"))
    if seed is None:
        raise KeyError(f"unknown strategy {name!r}; known: {', '.join(all_seeds())}")
    return seed
