"""``python -m huicui_verifier`` runs ``huicui-verify``."""

import sys

from .cli import main

sys.exit(main())
