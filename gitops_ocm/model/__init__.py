"""The pure domain model: kinds, parsed documents, snapshots of a desired state."""
