"""flowmetrics.report"""
