"""Memberships: identity × directory, through the state machine, four eyes on approval."""
