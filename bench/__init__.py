"""Benchmarks for SPEC §9: `python -m bench` (or `make bench`) prints the table."""
