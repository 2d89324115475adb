"""flowmetrics.analysis"""
