"""scrkb: the serious case review knowledge base."""

__version__ = "0.1.0"
