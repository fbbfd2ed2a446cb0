"""Benchmarks: quality and speed against the common recipe (``run``), and vector search at scale
(``scale``). Run with ``make bench``; results go to ``bench/results/``."""
