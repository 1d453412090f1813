"""The service as a process of its own, for the SIGKILL test of the sync outbox.

``python outbox_service.py PORT MODE MARKER``: the real app (installed plugins, its own
outbox worker) plus one listener, ``teller``, that writes a row per record it is told
about into ``outbox_test_told`` — inside the worker's transaction, as a plugin's own
writes are. In mode ``block`` it then writes MARKER and waits for ever, so the test
can kill the process after the plugin wrote and before the mark committed; in mode
``tell`` it returns.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import uvicorn
from huicui.app import create_app
from huicui.db.bulk import Params, fetch
from huicui.plugins.api import hookimpl
from huicui.plugins.manager import BenefitPlugins
from huicui.settings import load_settings


class Teller:
    __name__ = "teller"

    def __init__(self, mode: str, marker: Path) -> None:
        self.mode = mode
        self.marker = marker

    @hookimpl
    async def huicui_redemptions_synced(self, records):
        for r in records:
            p = Params()
            await fetch(f'INSERT INTO "outbox_test_told" ("uuid") VALUES ({p(r.uuid)})', p)
        if self.mode == "block":
            self.marker.write_text("told, not committed")
            await asyncio.sleep(3600)


def main() -> None:
    port, mode, marker = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    settings = load_settings()
    plugins = BenefitPlugins.load(settings, extra=[Teller(mode, marker)])
    uvicorn.run(create_app(settings, plugins=plugins), host="127.0.0.1", port=int(port),
                log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
