"""flowmetrics: where is the real constraint, and what fraction of started work finishes."""

__version__ = "0.1.0"
