"""Strategy seeds: typed gene spaces and signal rules (design §3.3). See ``base`` for the interface and
``registry`` for discovery; each seed is one module in ``strategies/``."""
