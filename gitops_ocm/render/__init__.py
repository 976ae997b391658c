"""Rendering the hub-store tree (DESIGN.md section 3) from a desired state: pure functions."""
