"""OASIS CAP 1.2: alerts (and incidents) in the open format other organisations' tools read."""
