"""Numba kernels: indicators, the step helpers of the simulator (docs/simulation.md), and the metric columns.

Kernels import nothing but numpy and numba (and the standard library); they are flat ``@njit(cache=True)`` functions
over contiguous arrays.

Numba's on-disk cache is keyed on each kernel's own source file, not on the helpers it inlines, so a seed kernel
compiled against an older ``simulate.py`` would be reused silently. To rule that out, importing this package points
Numba's cache at a directory named for a hash of every kernel and seed source file:
``$NUMBA_CACHE_DIR/genepool-<hash>`` when ``NUMBA_CACHE_DIR`` is set, else
``${XDG_CACHE_HOME:-~/.cache}/genepool/numba/genepool-<hash>``. Any edit to that code starts a fresh cache. If the
directory cannot be created (read-only home), Numba's own default location is left in place.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numba

_PACKAGE_ROOT = Path(__file__).resolve().parent.parent
_KERNEL_SOURCES = ("kernels", "seeds")


def kernel_source_digest() -> str:
    """SHA-256 (16 hex digits) over the kernel and seed sources, in a stable order."""
    digest = hashlib.sha256()
    for folder in _KERNEL_SOURCES:
        for path in sorted((_PACKAGE_ROOT / folder).rglob("*.py")):
            digest.update(str(path.relative_to(_PACKAGE_ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _cache_dir() -> Path:
    base = os.environ.get("NUMBA_CACHE_DIR")
    if base:
        return Path(base) / f"genepool-{kernel_source_digest()}"
    home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return home / "genepool" / "numba" / f"genepool-{kernel_source_digest()}"


def _use_versioned_cache() -> None:
    path = _cache_dir()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return
    if os.access(path, os.W_OK):
        numba.config.CACHE_DIR = str(path)


_use_versioned_cache()


def kernels_cached() -> bool:
    """Whether Numba's cache for these sources holds any compiled kernel (an index file): ``False`` on the first
    run after installing or editing the kernels, when every kernel is compiled before the first evaluation."""
    root = Path(numba.config.CACHE_DIR) if numba.config.CACHE_DIR else _PACKAGE_ROOT
    return next(root.rglob("*.nbi"), None) is not None
