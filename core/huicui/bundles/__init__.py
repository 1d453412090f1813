"""Verifier bundles: what a device needs to decide offline, built, versioned, signed, cached.

``docs/bundle-service.md`` explains how; ``docs/bundle.md`` specifies the bytes.
"""
