"""Key columns a database can index: bounded lengths from the real data, null-safe MDS Area."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from tap_tr2000.conform import conform_value
from tap_tr2000.tap import TapTr2000
from testkit.tr2000.world import load_sample

# Oracle refuses an index key wider than 6,398 bytes (8 KB blocks); AL32UTF8 takes up to 4 bytes
# a character. We keep every key below half of that, so a smaller block or extra columns still fit.
ORACLE_KEY_LIMIT_BYTES = 6398
BYTES_PER_CHAR = 4
PER_COLUMN_OVERHEAD = 10
INT32 = (-(2**31), 2**31 - 1)

PIPE_ELEMENTS = "pcs_pipe_elements.reconstructed.json"
SC_REFERENCES = "issue_sc_references.reconstructed.json"
# Real responses (testkit/testkit/tr2000/data, from ../shared/reference/tr2000): which of their
# fields feed which stream's key property.
REFERENCE_VALUES: list[tuple[str, str, str, str, str]] = [
    # sample file, array, sample field, stream, key property
    ("plants.reconstructed.json", "getPlant", "PlantID", "plants", "PlantID"),
    ("pcs_list.reconstructed.json", "getPCS", "PCS", "pcs", "PCS"),
    ("pcs_list.reconstructed.json", "getPCS", "Revision", "pcs", "Revision"),
    ("pcs_list.reconstructed.json", "getPCS", "Revision", "pcs_headers", "PCSRevision"),
    (SC_REFERENCES, "getIssueSCList", "SC", "issue_sc_references", "SC"),
    (PIPE_ELEMENTS, "getPipeElement", "MDS", "issue_mds_references", "MDS"),
    (PIPE_ELEMENTS, "getPipeElement", "Area", "issue_mds_references", "Area"),
    # The plant list's Area is the longest area text seen ("Non regional requirement").
    ("plants.reconstructed.json", "getPlant", "Area", "issue_mds_references", "Area"),
]


@pytest.fixture(scope="module")
def tap() -> TapTr2000:
    return TapTr2000(config={"include_vds_details": True})


def _key_properties(tap: TapTr2000) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    return {
        name: [(key, stream.schema["properties"][key]) for key in stream.primary_keys]
        for name, stream in tap.streams.items()
    }


def test_every_string_key_property_has_a_max_length(tap) -> None:
    unbounded = [
        f"{name}.{key}"
        for name, keys in _key_properties(tap).items()
        for key, prop in keys
        if "string" in prop["type"] and not isinstance(prop.get("maxLength"), int)
    ]
    assert unbounded == []


def test_every_key_fits_well_below_the_oracle_index_limit(tap) -> None:
    widths = {}
    for name, keys in _key_properties(tap).items():
        widths[name] = sum(
            prop.get("maxLength", 0) * BYTES_PER_CHAR + PER_COLUMN_OVERHEAD for _, prop in keys
        )
    assert max(widths.values()) <= ORACLE_KEY_LIMIT_BYTES // 2, widths
    # The widest is the MDS reference key (5 columns).
    assert max(widths, key=widths.get) == "issue_mds_references"


@pytest.mark.parametrize(("sample", "array", "field", "stream", "key"), REFERENCE_VALUES)
def test_real_key_values_fit_with_at_least_double_margin(
    tap, sample, array, field, stream, key
) -> None:
    rows = load_sample(sample)[array]
    longest = max(len(str(r[field])) for r in rows if r.get(field) not in (None, ""))
    limit = tap.streams[stream].schema["properties"][key]["maxLength"]
    assert longest * 2 <= limit, f"{stream}.{key}: longest real value {longest}, maxLength {limit}"


def test_every_integer_carries_the_int32_bounds(tap) -> None:
    wrong = [
        f"{name}.{key}"
        for name, stream in tap.streams.items()
        for key, prop in stream.schema["properties"].items()
        if "integer" in prop["type"] and (prop.get("minimum"), prop.get("maximum")) != INT32
    ]
    assert wrong == []


@pytest.mark.parametrize("value", [2**31, -(2**31) - 1, str(2**40)])
def test_integer_outside_int32_is_an_error(value) -> None:
    prop = {"type": ["integer", "null"], "minimum": INT32[0], "maximum": INT32[1]}
    with pytest.raises(ValueError, match=r"expected an integer in \[-2147483648, 2147483647\]"):
        conform_value(value, prop)
    assert conform_value(INT32[1], prop) == INT32[1]


def test_mds_key_allows_a_null_area(tap) -> None:
    stream = tap.streams["issue_mds_references"]
    assert "Area" in stream.primary_keys
    assert "null" in stream.schema["properties"]["Area"]["type"]


def test_mds_reference_with_empty_area_is_emitted_as_sent(
    tap_runner, catalog_for, tr2000_server
) -> None:
    config = {"base_url": tr2000_server.base_url, "plant_ids": [34]}
    run = tap_runner(config, catalog=catalog_for(config, {"issue_mds_references"}))
    records = run.records["issue_mds_references"]
    # A key part keeps the API's "" (other fields turn "" into null); the target stores it as
    # Oracle does (NULL) under a null-safe key.
    empty = [r for r in records if r["Area"] == ""]
    assert empty
    assert all(r["Area"] for r in records if r not in empty)
    keys = Counter(
        (r["PlantID"], r["IssueRevision"], r["MDS"], r["Revision"], r["Area"]) for r in records
    )
    assert max(keys.values()) == 1
    # Each empty-area row sits next to the same MDS and revision with an area: distinct keys.
    for row in empty:
        twins = [
            r["Area"]
            for r in records
            if (r["IssueRevision"], r["MDS"], r["Revision"])
            == (row["IssueRevision"], row["MDS"], row["Revision"])
        ]
        assert sorted(twins) == ["", "Europe"]
    assert run.tap.crawler.counters.duplicate_keys == 0


def test_empty_and_null_key_parts_count_as_the_same_key(tap_runner, tr2000_server) -> None:
    # Once stored they are both NULL: the tap warns about the repeat instead of hiding it.
    for plant in tr2000_server.world.plant_worlds.values():
        for (_, kind), rows in plant.references.items():
            if kind == "mds":
                rows.append({**rows[-1], "Area": None})
    config = {"base_url": tr2000_server.base_url, "plant_ids": [34]}
    run = tap_runner(config)
    assert run.tap.crawler.counters.duplicate_keys == len(
        tr2000_server.world.plant_worlds[34].issues
    )


def test_a_non_key_empty_string_is_still_null(tap_runner, tr2000_server) -> None:
    config = {"base_url": tr2000_server.base_url, "plant_ids": [34]}
    run = tap_runner(config)
    assert {r["ProtectStatus"] for r in run.records["issues"]} == {None}
