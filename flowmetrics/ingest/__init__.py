"""flowmetrics.ingest"""
