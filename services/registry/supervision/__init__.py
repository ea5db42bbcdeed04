"""Classified supervision: risk classes, the key-supervision catalogue, double-random inspection plans."""
