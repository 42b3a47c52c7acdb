"""Datasets: typed containers, loaders for the shared datasets, filters and splitters. No torch."""
