"""``python -m workloads.cli``: the ``genepool`` command without the console script on the path."""

from workloads.cli import main

main()
