"""Numba's cache directory is keyed on the kernel and seed sources, so an edited helper never reuses stale code."""

from __future__ import annotations

import shutil

import numba

import workloads.kernels as kernels


def test_numba_caches_under_a_directory_named_for_the_source_digest():
    assert numba.config.CACHE_DIR.endswith(f"genepool-{kernels.kernel_source_digest()}")


def test_editing_any_kernel_or_seed_source_changes_the_digest(tmp_path, monkeypatch):
    for folder in ("kernels", "seeds"):
        shutil.copytree(kernels._PACKAGE_ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(kernels, "_PACKAGE_ROOT", tmp_path)
    before = kernels.kernel_source_digest()
    helper = tmp_path / "kernels" / "simulate.py"
    helper.write_text(helper.read_text() + "\n# edited\n")
    assert kernels.kernel_source_digest() != before


def test_the_cache_goes_under_numba_cache_dir_when_it_is_set(tmp_path, monkeypatch):
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    assert kernels._cache_dir().parent == tmp_path
