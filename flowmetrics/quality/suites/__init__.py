"""The suites, one small module per domain; ``flowmetrics.quality.registry`` registers them in one place."""
