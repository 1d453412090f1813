"""The audit log: append-only events (who, what, when, why) and their listing."""
