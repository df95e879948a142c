"""Benchmarks for ``make bench``: each module's ``main()`` writes JSON to bench/results/."""
