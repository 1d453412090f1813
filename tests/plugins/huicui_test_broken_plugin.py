"""A plugin module that cannot be imported (a real import failure, for the loader tests)."""

raise RuntimeError("this plugin is broken on purpose: missing dependency 'frobnicate'")
