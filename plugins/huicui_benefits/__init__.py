"""Huicui built-in benefits."""
