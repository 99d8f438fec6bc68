"""Numba kernels: indicators, the §3.2 simulator's step helpers, and the metric columns.

Kernels import nothing but numpy and numba; they are flat ``@njit(cache=True)`` functions over contiguous arrays.
Numba's on-disk cache is keyed on each kernel's own source file, not on the helpers it calls: after editing a module
here, delete the ``__pycache__`` directories under ``workloads/`` so seed kernels compiled against the old helpers
are rebuilt.
"""
