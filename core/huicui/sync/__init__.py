"""Redemption sync: devices upload the decisions they made offline (idempotent by uuid)."""
