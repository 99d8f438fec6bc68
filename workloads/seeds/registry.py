"""Seed discovery: every module in ``workloads/seeds/strategies/`` that defines ``SEED`` is a seed (one new module
adds a seed; nothing else changes). Seeds are listed by name in alphabetical order."""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from workloads.seeds import strategies
from workloads.seeds.base import Seed


@lru_cache(maxsize=1)
def all_seeds() -> dict[str, Seed]:
    """``{name: seed}`` for every seed module, sorted by name. Two modules naming the same seed is an error."""
    found: dict[str, Seed] = {}
    for info in pkgutil.iter_modules(strategies.__path__):
        module = importlib.import_module(f"{strategies.__name__}.{info.name}")
        seed = getattr(module, "SEED", None)
        if seed is None:
            continue
        if not isinstance(seed, Seed):
            raise TypeError(f"{module.__name__}.SEED is a {type(seed).__name__}, not a Seed")
        if seed.name in found:
            raise ValueError(f"seed name {seed.name!r} is defined twice ({module.__name__})")
        found[seed.name] = seed
    return dict(sorted(found.items()))


def get_seed(name: str) -> Seed:
    """The seed called ``name``; an unknown name raises ``KeyError`` listing the known ones."""
    seeds = all_seeds()
    try:
        return seeds[name]
    except KeyError:
        raise KeyError(f"unknown strategy {name!r}; known: {', '.join(seeds)}") from None
