"""Benchmarks: run them directly (python -m bench.step_latency); they print figures and ratios."""
