"""The agent: one cluster's loop that fetches its prescriptions from Git, applies
them through the Cluster interface, and commits its reports (I/O shell)."""
