"""One module per seed, each defining ``SEED`` (discovered by ``workloads.seeds.registry``)."""
