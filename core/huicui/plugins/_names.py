"""Names shared by the plugin modules, kept import-light for ``piccolo_conf``."""

from huicui_verifier.hb1 import MAX_BENEFIT_CODE

PROJECT = "huicui"
ENTRY_POINT_GROUP = "huicui.benefits"
# Certificates carry benefits as one integer bit field (bit n = code n). The format
# allows codes up to MAX_BENEFIT_CODE; plugins stop one short so that the field also fits
# a signed 64-bit integer in every CBOR reader and database column (bit 0 and 63 unused).
MIN_CODE = 1
MAX_CODE = MAX_BENEFIT_CODE - 1
# A venue kind is a word a plugin's benefits name (``venue_kinds``); the venue table
# keeps it in 16 characters.
VENUE_KIND_PATTERN = r"^[a-z][a-z0-9_]{1,15}$"
