"""Rendering the hub-store tree (docs/architecture.md) from a desired state: pure functions."""
