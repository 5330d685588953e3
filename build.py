#!/usr/bin/env python3
"""signalkb's entry point: `python build.py [build|check] [--content DIR] [--out DIR] [--strict]`."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from signalkb.cli import main

if __name__ == "__main__":
    sys.exit(main())
