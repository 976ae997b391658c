"""Placement scheduling: OCM's filter/prioritizer pipeline as pure functions.

Pure. ``scheduler.schedule`` turns a Placement, a cluster inventory, earlier
decisions and ``now`` into decisions, status and a trace; nothing here reads
files, the clock or a random source.
"""
