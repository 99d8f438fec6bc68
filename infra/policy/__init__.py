"""The genepool CrossGuard policy pack (rules in ``policies.py``, served by ``__main__.py``)."""
