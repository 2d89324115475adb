"""flowmetrics.quality"""
