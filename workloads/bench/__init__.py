"""The benchmarks behind ``genepool bench`` (docs/benchmarks.md): one module per section, the plan that runs them
(``run.py``), the target table (``verdict.py``) and its printing (``tables.py``). Imported only by the CLI's ``bench``
command."""
