"""Progress: one compact line per interval with rows loaded, rejected and the rate; a summary."""

from __future__ import annotations

import logging
import re

from target_oracle_staging.testing import Database, record_message, run_target, schema_message


def test_progress_lines_and_summary(database: Database, caplog) -> None:
    props = {"id": {"type": "integer"}, "qty": {"type": ["integer", "null"]}}
    records = [record_message("items", {"id": i, "qty": "x" if i == 4 else i}) for i in range(6)]
    config = {
        **database.config,
        "progress_interval_seconds": 0,
        "batch_size_rows": 2,
        "max_rejects": 1,
    }
    with caplog.at_level(logging.INFO, logger="target_oracle_staging"):
        run_target(config, [schema_message("items", props, ["id"]), *records])
    lines = [r.getMessage() for r in caplog.records if r.name == "target_oracle_staging"]
    progress = [line for line in lines if line.startswith("Progress: ")]
    assert [re.sub(r"; [\d,]+ rows/s$", "", p) for p in progress] == [
        "Progress: items 2 loaded",
        "Progress: items 4 loaded",
        "Progress: items 5 loaded (1 rejected)",
    ]
    summary = [line for line in lines if line.startswith("Summary: ")]
    assert len(summary) == 1
    assert summary[0].startswith(
        "Summary: 1 streams, 5 rows loaded (5 inserted, 0 updated, 0 retired), 1 rejected, in "
    )


def test_no_progress_line_within_the_interval(database: Database, caplog) -> None:
    records = [record_message("items", {"id": i}) for i in range(4)]
    config = {**database.config, "progress_interval_seconds": 3600, "batch_size_rows": 1}
    with caplog.at_level(logging.INFO, logger="target_oracle_staging"):
        run_target(config, [schema_message("items", {"id": {"type": "integer"}}, ["id"]), *records])
    assert not [r for r in caplog.records if r.getMessage().startswith("Progress: ")]
