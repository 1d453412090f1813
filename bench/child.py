"""Run one measurement step in its own process: ``child.py MODULE FUNC JSON_ARGS``.

Started by :func:`benchlib.run_child` with the environment of a fresh database; prints
progress lines and, last, the function's JSON result (see ``benchlib.RESULT_TAG``).
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import RESULT_TAG


def main() -> int:
    module_name, func_name, raw_args = sys.argv[1], sys.argv[2], sys.argv[3]
    func = getattr(importlib.import_module(module_name), func_name)
    result = func(**json.loads(raw_args))
    if inspect.isawaitable(result):
        result = asyncio.run(result)
    sys.stdout.write(RESULT_TAG + json.dumps(result) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
