"""Reports for partners and auditors: the monthly settlement statement (JSON, CSV, PDF)."""
