"""Filter plugins of the scheduler, one per module (Predicate, TaintToleration)."""
