"""Tooling of the delivery workflows (.github/workflows/): what they run that deserves a test."""
