"""Fitness-cache keys: ``<data fingerprint>:<seed>:<fitness-config hash>:<genome hash>``.

The key changes whenever anything that determines a fitness changes: the data set (``Bars.fingerprint()``), the
seed, the fitness configuration (any JSON-able dict: costs, walk-forward segments, objective …) and the decoded
parameter row (hashed from its exact float64 bytes). Hashes are SHA-256 prefixes (16 hex digits for the config,
32 for the genome).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np


def config_hash(fitness_config: dict[str, Any]) -> str:
    """A stable hash of a fitness configuration (key order does not matter)."""
    text = json.dumps(fitness_config, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def fitness_keys(data_fingerprint: str, seed: str, fitness_config: dict[str, Any], params: np.ndarray) -> list[str]:
    """One key per row of ``params`` (``(n, g)`` float64 decoded parameters)."""
    rows = np.ascontiguousarray(np.atleast_2d(params), dtype=np.float64)
    prefix = f"{data_fingerprint}:{seed}:{config_hash(fitness_config)}:"
    return [prefix + hashlib.sha256(row.tobytes()).hexdigest()[:32] for row in rows]
