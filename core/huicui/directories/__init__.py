"""Directories: named rosters (the default is 荟萃北海) with a term and offered benefits."""
