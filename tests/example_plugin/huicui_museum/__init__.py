"""Example third-party benefit plugin."""
