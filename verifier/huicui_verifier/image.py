"""Reading the QR code out of a photo or a screenshot (zxing-cpp)."""

from __future__ import annotations

import io
from pathlib import Path

import zxingcpp
from PIL import Image, UnidentifiedImageError

MAX_PIXELS = 40_000_000  # refuse decompression bombs; a phone photo is ~12 MP


class ImageError(Exception):
    """No certificate text could be read; ``code`` is ``no_code_found`` or ``unreadable_image``."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


def _open(source: str | Path | bytes | Image.Image) -> Image.Image:
    if isinstance(source, Image.Image):
        return source
    try:
        img = Image.open(io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source)
        if img.width * img.height > MAX_PIXELS:
            raise ImageError(
                "unreadable_image", f"image of {img.width}x{img.height} pixels is too large"
            )
        img.load()
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError, ValueError) as exc:
        raise ImageError("unreadable_image", f"cannot open image: {exc}") from None
    return img


def read_qr(source: str | Path | bytes | Image.Image) -> str:
    """The text of the first QR code in ``source`` (a path, the file's bytes, or a Pillow image).

    Raises :class:`ImageError` with ``no_code_found`` when the image holds no readable
    QR code, or ``unreadable_image`` when it is not an image at all.
    """
    img = _open(source)
    if img.mode not in ("L", "RGB"):
        img = img.convert("RGB")
    try:
        found = zxingcpp.read_barcodes(img, formats=zxingcpp.BarcodeFormat.QRCode)
    except (ValueError, RuntimeError) as exc:
        raise ImageError("unreadable_image", f"decoder refused the image: {exc}") from None
    for code in found:
        if code.valid and code.text:
            return code.text
    raise ImageError("no_code_found", "no QR code could be read in the image")
