"""Huicui's ten built-in benefits, each its own plugin module and entry point.

They use exactly the door a third party uses: ``huicui.plugins.api`` and the
``huicui.benefits`` entry-point group (see ``plugins/pyproject.toml``).
"""
