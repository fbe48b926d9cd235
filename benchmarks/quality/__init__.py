"""The quality benchmark (benchmarks/bench_quality.py): grades written as code, the photos they
are put on, the methods measured, the figures and the tables."""
