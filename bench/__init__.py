"""Benchmarks: scripts that measure, on loopback only, and print figures (not tests)."""
