"""Evaluation commands: how well a model does what the product claims, measured on real data."""
