"""Shared pieces of the bench tests: the evolution tests' seeded random-walk bars and fake seeds."""

from __future__ import annotations

import pytest

from tests.evolution.conftest import MomentumSeed, ReversalSeed, random_walk_bars
from workloads.data.bars import Bars
from workloads.seeds.base import Seed


@pytest.fixture(scope="session")
def fake_seeds() -> dict[str, Seed]:
    return {"fake_momentum": MomentumSeed(), "fake_reversal": ReversalSeed()}


@pytest.fixture(scope="session")
def walk() -> Bars:
    return random_walk_bars(600, 3)
