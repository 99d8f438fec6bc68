"""Listing the seeds loads no scikit-learn: the ML seeds import it (and threadpoolctl) only when they fit, so
``genepool strategies list``, service start-up and anything else that reads seeds' names, genes or descriptions do
not pay for it."""

from __future__ import annotations

import json
import subprocess
import sys

FIT_ONLY_MODULES = ("sklearn", "threadpoolctl")

LIST_SEEDS_AND_REPORT_LOADED = f"""
import json, sys
from workloads.seeds.registry import all_seeds
all_seeds()
print(json.dumps([m for m in {FIT_ONLY_MODULES!r} if m in sys.modules]))
"""


def test_listing_every_seed_imports_no_scikit_learn_nor_threadpoolctl():
    done = subprocess.run(
        [sys.executable, "-c", LIST_SEEDS_AND_REPORT_LOADED], capture_output=True, text=True, check=True
    )
    loaded = json.loads(done.stdout)
    assert not loaded, (
        f"`all_seeds()` imported {', '.join(loaded)}; import it inside the function that fits (e.g. the seed's model "
        'factory), not at module level. Find the importer with `python -X importtime -c "from '
        "workloads.seeds.registry import all_seeds; all_seeds()\" 2>&1 | less` (a module's own imports are listed, "
        "indented, just above it)."
    )
