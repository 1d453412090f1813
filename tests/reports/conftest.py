"""Make ``redemption_seed`` importable (shared with tests/misuse)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
