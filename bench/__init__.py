"""Benchmarks: run beside the tests, never inside them."""
