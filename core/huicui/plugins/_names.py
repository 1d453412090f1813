"""Names shared by the plugin modules, kept import-light for ``piccolo_conf``."""

PROJECT = "huicui"
ENTRY_POINT_GROUP = "huicui.benefits"
# Certificates carry benefits as one integer bit field (bit n = code n) that must fit
# a signed 64-bit integer in every CBOR reader and database column; bit 0 and 63 stay unused.
MIN_CODE = 1
MAX_CODE = 62
