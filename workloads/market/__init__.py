"""Market data from exchanges through ccxt: ``genepool data fetch`` (docs/data.md#fetching-from-an-exchange).

Modules: :mod:`~workloads.market.settings` (credentials, base URL, retry budget from the environment),
:mod:`~workloads.market.exchange` (opening a ccxt exchange, resolving a symbol), :mod:`~workloads.market.funding`
(funding events onto bars), :mod:`~workloads.market.fetch` (the incremental fetch into storage). ccxt is imported
only by :mod:`~workloads.market.exchange` and :mod:`~workloads.market.fetch`, so the CLI's import stays light.
"""
