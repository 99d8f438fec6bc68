"""The genetic strategy pool: operators, configuration, honest fitness, DSR, the pool loop, backends, checkpoints.

Entry point: :func:`workloads.evolution.run.run_evolution` (what ``genepool evolve`` calls).
"""
