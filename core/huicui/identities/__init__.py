"""Identities: one person each; personal data encrypted, hashed for duplicates, masked."""
