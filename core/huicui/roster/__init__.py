"""The roster: identities, directories, memberships, audit events and staff tokens."""
