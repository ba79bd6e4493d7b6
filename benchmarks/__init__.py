"""Benchmarks: each case times our code against a baseline measured in the same run."""
