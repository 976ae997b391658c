"""Prioritizer plugins of the scheduler, one per module (Steady, Balance, resources, AddOn)."""
