"""flowmetrics.simulation"""
