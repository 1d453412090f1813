"""Misuse review: flags raised on the service after devices sync, and their handling."""
