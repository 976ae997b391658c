"""The hub controller: from each push to main, prescriptions on ``ocm/hub`` (I/O shell)."""
