"""Find the uv executable the way scripts/uv.sh does, for Python callers (tests, bench/).

uv is not assumed on PATH: pip --user installs it to ~/.local/bin, which often is not on PATH, and
the dev venv has it as a package (`python -m uv`).
"""

from __future__ import annotations

import shutil
from pathlib import Path


class UvNotFoundError(RuntimeError):
    """No uv on PATH, in ~/.local/bin, or as this Python's uv package."""


def find_uv() -> str:
    """Path of a uv executable: PATH, then ~/.local/bin/uv, then this Python's uv package."""
    if on_path := shutil.which("uv"):
        return on_path
    user_bin = Path.home() / ".local" / "bin" / "uv"
    if user_bin.is_file():
        return str(user_bin)
    try:
        from uv import find_uv_bin
    except ImportError:
        pass
    else:
        return find_uv_bin()
    msg = "uv not found on PATH, in ~/.local/bin or as a Python package: run scripts/setup"
    raise UvNotFoundError(msg)
