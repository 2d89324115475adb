"""flowmetrics.warehouse"""
