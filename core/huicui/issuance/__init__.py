"""Issuance: signing keys, HB1 certificates, holder cards, revocation and the JWKS."""
