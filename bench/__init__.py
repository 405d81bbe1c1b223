"""Benchmarks run by management commands; each prints its figures (docs/benchmarks.md has them)."""
