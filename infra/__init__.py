"""The genepool Pulumi program (run by ``pulumi`` through ``infra/__main__.py``; see ``infra/config.py`` for keys)."""
