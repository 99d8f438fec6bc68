"""The genetic strategy pool: operators, configuration, honest fitness, DSR, the pool loop and its state, backends,
checkpoints, and the observers of a run (metrics, the database record).

Entry point: :func:`workloads.evolution.run.run_evolution` (what ``genepool evolve`` calls).
"""
