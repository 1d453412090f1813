"""The benefit plugin system (pluggy, project name ``huicui``)."""
