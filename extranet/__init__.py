"""Tutti, the family and teacher portal of a network of music conservatories."""

__version__ = "0.1.0"
