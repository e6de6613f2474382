"""target_oracle_staging.testing ships in the wheel: it imports where pytest is not installed."""

from __future__ import annotations

import subprocess
import sys

PYTEST_BLOCKED = """
import sys

class NoPytest:
    def find_spec(self, name, path=None, target=None):
        if name == "pytest" or name.startswith(("pytest.", "_pytest")):
            raise ImportError(f"{name} is not installed here")
        return None

sys.meta_path.insert(0, NoPytest())
import target_oracle_staging.testing as testing
message = testing.record_message("s", {"a": 1})
assert message == {"type": "RECORD", "stream": "s", "record": {"a": 1}}
assert not [m for m in sys.modules if m == "pytest" or m.startswith("_pytest")]
"""


def test_the_testing_helpers_import_without_pytest() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PYTEST_BLOCKED], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
