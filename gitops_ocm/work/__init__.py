"""OCM's work agent semantics as pure functions: kind order, apply and prune plans,
conditions, status feedback and eviction. No I/O: the agent package feeds them
what it read from the cluster and writes what they return."""
