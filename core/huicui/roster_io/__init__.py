"""Roster import (CSV/XLSX, row-by-row report) and export (masked unless revealed).

``reading`` turns bytes into rows, ``columns`` maps Chinese or English headers to
fields, ``importing`` validates with the same code as the API and writes
all-or-nothing, ``exporting`` writes CSV or XLSX.
"""
