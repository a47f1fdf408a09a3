"""Benchmarks that run the competitors in the same run and print ratios (not part of the wheel)."""
