"""The kiosk: a local web page that turns a tablet or PC with a camera into a gate.

The page shows the camera, posts frames to this process, which reads the QR code
(zxing-cpp), decides with the bundle the device holds and records the decision before
answering. ``huicui-verify kiosk`` starts it; ``docs/kiosk.md`` tells a venue how.
"""

from __future__ import annotations

from .server import Kiosk, KioskError, make_server

__all__ = ["Kiosk", "KioskError", "make_server"]
