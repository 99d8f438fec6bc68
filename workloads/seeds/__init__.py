"""Strategy seeds: typed gene spaces and signal rules (docs/seeds.md). See ``base`` for the interface and
``registry`` for discovery; each seed is one module in ``strategies/``."""
