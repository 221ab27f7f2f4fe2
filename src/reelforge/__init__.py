"""reelforge: a self-hostable AI video studio."""

__version__ = "0.1.0"
