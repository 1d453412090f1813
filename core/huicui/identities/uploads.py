"""Reading an uploaded roster file from a request, with the size cap from settings."""

from __future__ import annotations

from urllib.parse import unquote

import msgspec
from litestar import Request
from litestar.datastructures import UploadFile

from huicui.errors import BadRequest
from huicui.identities.reading import ImportTooLarge


class Upload(msgspec.Struct):
    data: bytes
    file_name: str
    content_type: str


def _too_large(cap: int) -> ImportTooLarge:
    return ImportTooLarge(
        f"文件超过 {cap // (1024 * 1024)} MB 上限，请拆分后导入",
        f"The file is larger than {cap} bytes (roster.import_max_bytes); split it",
        max_bytes=cap,
    )


def _disposition_name(header: str) -> str:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key.lower() == "filename*" and "''" in value:
            return unquote(value.split("''", 1)[1])
        if key.lower() == "filename":
            return value.strip('"')
    return ""


async def read_upload(request: Request, cap: int) -> Upload:
    """The file of a multipart upload (field ``file``, or the only file) or the raw body.

    The body is read in chunks and refused with 413 as soon as it passes ``cap``, so an
    oversized upload is never held in memory whole.
    """
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > cap + 64 * 1024:
        raise _too_large(cap)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap + 64 * 1024:  # multipart framing adds a little
            raise _too_large(cap)
        chunks.append(chunk)
    body = b"".join(chunks)
    media, _ = request.content_type
    if media != "multipart/form-data":
        if len(body) > cap:
            raise _too_large(cap)
        name = _disposition_name(request.headers.get("content-disposition", ""))
        return Upload(data=body, file_name=name, content_type=media)

    async def replay() -> dict:
        return {"type": "http.request", "body": body, "more_body": False}

    form = await Request(request.scope, receive=replay).form()  # type: ignore[arg-type]
    files = [value for _, value in form.multi_items() if isinstance(value, UploadFile)]
    chosen = form.get("file") if isinstance(form.get("file"), UploadFile) else None
    if chosen is None and len(files) == 1:
        chosen = files[0]
    if chosen is None:
        raise BadRequest(
            "请在表单字段 file 中上传一个文件",
            "Send exactly one file in the multipart field 'file'",
        )
    data = await chosen.read()
    if len(data) > cap:
        raise _too_large(cap)
    return Upload(data=data, file_name=chosen.filename or "", content_type=chosen.content_type)
