"""CSV rules on generated exports with every quirk, and the coercion from the specs."""

from __future__ import annotations

import io
import logging
import zipfile

import pytest
from s3_export_core.coerce import converter_for
from s3_export_core.errors import ExportError
from s3_export_core.specs import ColumnSpec
from tap_molo_s3.tap import TapMoloS3
from tap_stellar_s3.tap import TapStellarS3
from testkit.marina.fixtures import upload_export
from testkit.marina.generator import Quirks
from testkit.marina.runner import run_tap


def _local(export, **extra) -> dict:
    return {"local_path": str(export.path.parent), **extra}


def test_bom_crlf_and_quoted_newlines_round_trip_byte_exact(marina_export):
    export = marina_export(
        "molo",
        rows=6,
        streams={"piers"},
        quirks=Quirks(bom=True, crlf=True, quoted_newlines="piers"),
    )
    output = run_tap(TapMoloS3, _local(export))
    records = output.records["piers"]
    assert [r["Id"] for r in records] == [1, 2, 3, 4, 5, 6]  # BOM did not rename "Id"
    assert records[0]["Name"] == "line one\r\nline two\nrow 0"
    assert records[2]["Name"] == "line one\r\nline two\nrow 2"
    # Line numbers count physical lines: a quoted value spanning 3 lines moves the next row.
    assert [r["_sdc_source_lineno"] for r in records[:3]] == [2, 5, 6]


def test_bad_utf8_names_bucket_key_member_and_line(moto_s3, s3_bucket, marina_export):
    export = marina_export("molo", rows=9, streams={"boats"}, quirks=Quirks(bad_utf8="boats"))
    upload_export(moto_s3.client(), s3_bucket, export.path.name, export.path)
    config = {"bucket": s3_bucket, "endpoint_url": moto_s3.endpoint_url}
    line = export.damaged_lines["boats"]
    with pytest.raises(ExportError) as caught:
        run_tap(TapMoloS3, config)
    message = str(caught.value)
    assert f"s3://{s3_bucket}/{export.path.name} member Boats.csv, line {line}" in message
    assert "invalid UTF-8 byte b'\\xff'" in message


@pytest.mark.parametrize("quirk", ["ragged_row", "nul"])
def test_bad_rows_fail_by_default_with_location(marina_export, quirk):
    export = marina_export("molo", rows=10, streams={"boats"}, quirks=Quirks(**{quirk: "boats"}))
    with pytest.raises(
        ExportError, match=rf"member Boats.csv, line {export.damaged_lines['boats']}"
    ):
        run_tap(TapMoloS3, _local(export))


@pytest.mark.parametrize("quirk", ["ragged_row", "nul"])
def test_bad_rows_skipped_are_counted(marina_export, quirk, caplog):
    export = marina_export("molo", rows=10, streams={"boats"}, quirks=Quirks(**{quirk: "boats"}))
    with caplog.at_level(logging.WARNING):
        output = run_tap(TapMoloS3, _local(export, on_bad_row="skip"))
    assert len(output.records["boats"]) == 9
    assert "Stream boats: 1 rows skipped by on_bad_row=skip" in caplog.text


def test_bad_rows_kept_carry_their_problem(marina_export):
    quirks = Quirks(ragged_row="boats", nul="piers")
    export = marina_export("molo", rows=10, streams={"boats", "piers"}, quirks=quirks)
    output = run_tap(TapMoloS3, _local(export, on_bad_row="keep"))
    boats = output.records["boats"]
    assert len(boats) == 10
    kept = [r for r in boats if r["_sdc_extra"]]
    assert len(kept) == 1
    assert kept[0]["_sdc_extra"]["extra_values"] == ["surplus value"]
    assert kept[0]["_sdc_source_lineno"] == export.damaged_lines["boats"]
    piers = [r for r in output.records["piers"] if r["_sdc_extra"]]
    assert piers[0]["_sdc_extra"]["nul_fields"] == {"2": "nul\x00inside"}
    assert piers[0]["Name"] == "nulinside"
    assert "_sdc_extra" in output.schemas["boats"]["schema"]["properties"]


def test_header_only_member_is_a_valid_empty_stream(marina_export):
    export = marina_export(
        "stellar", rows=4, streams={"coupons", "waitlists"}, quirks=Quirks(header_only={"coupons"})
    )
    output = run_tap(TapStellarS3, _local(export))
    assert output.records["coupons"] == []
    assert "coupons" in output.activated  # the table is emptied, like the source
    assert len(output.records["waitlists"]) == 4


def test_extra_column_is_kept_as_string_with_a_warning(marina_export, caplog):
    export = marina_export("molo", rows=3, streams={"piers"}, quirks=Quirks(extra_column="piers"))
    with caplog.at_level(logging.WARNING):
        output = run_tap(TapMoloS3, _local(export))
    assert output.records["piers"][0]["UnexpectedColumn"] == "UnexpectedColumn-0"
    properties = output.schemas["piers"]["schema"]["properties"]
    assert properties["UnexpectedColumn"] == {"type": ["string", "null"]}
    assert "columns ['UnexpectedColumn'] are not in the table spec" in caplog.text


def test_extra_column_with_strict_schema_is_an_error(marina_export):
    export = marina_export("molo", rows=3, streams={"piers"}, quirks=Quirks(extra_column="piers"))
    with pytest.raises(ExportError, match=r"Piers.csv, line 1: columns \['UnexpectedColumn'\]"):
        run_tap(TapMoloS3, _local(export, strict_schema=True))


def test_missing_column_loads_null_with_a_warning(marina_export, caplog):
    export = marina_export("molo", rows=3, streams={"piers"}, quirks=Quirks(missing_column="piers"))
    with caplog.at_level(logging.WARNING):
        output = run_tap(TapMoloS3, _local(export))
    assert [r["MarinaLocationId"] for r in output.records["piers"]] == [None, None, None]
    assert "columns ['MarinaLocationId'] are missing" in caplog.text


def test_styles_keeps_all_124_columns_without_warning(marina_export, caplog):
    export = marina_export("stellar", rows=2, streams={"styles"})
    with caplog.at_level(logging.WARNING):
        output = run_tap(TapStellarS3, _local(export))
    record = output.records["styles"][0]
    source_columns = [name for name in record if not name.startswith("_sdc_")]
    assert len(source_columns) == 124
    assert record["legacy_column_26"] == "legacy_column_26-0"
    assert "not in the table spec" not in caplog.text


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        (b"Id,,MarinaLocationId\n", "empty column names at positions [2]"),
        (b"Id,Name,Name\n", "repeats column names ['Name']"),
    ],
)
def test_bad_headers_are_errors(tmp_path, header, problem):
    folder = tmp_path / "exports"
    folder.mkdir()
    with zipfile.ZipFile(folder / "20251221050003.zip", "w") as archive:
        archive.writestr("Piers.csv", header + b"1,a,2\n")
    with pytest.raises(
        ExportError, match=rf"Piers.csv, line 1: header .*{problem}".replace("[", r"\[")
    ):
        run_tap(TapMoloS3, {"local_path": str(folder)})


def test_values_that_do_not_fit_their_type_fail_with_column_and_line(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    with zipfile.ZipFile(folder / "20251221050003.zip", "w") as archive:
        archive.writestr("Piers.csv", "Id,Name,MarinaLocationId\n1,a,2\n2,b,two\n")
    with pytest.raises(ExportError, match=r"line 3: column 'MarinaLocationId': .*'two'"):
        run_tap(TapMoloS3, {"local_path": str(folder)})


def test_null_tokens_follow_the_table_spec(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    body = io.StringIO()
    body.write("Id,Name,PrimaryPhoneNumber,PrimaryFaxNumber,Organization_Id,MarinaHash,UnitSystem,")
    body.write("DefaultArrivalTime,DefaultDepartureTime,EmailAddress,MarinaWebsite,TimeZone\n")
    body.write("1,NULL, N/A ,NONE, NULL ,x,y,z,w,v,u,t\n")
    with zipfile.ZipFile(folder / "20251221050003.zip", "w") as archive:
        archive.writestr("MarinaLocations.csv", body.getvalue())
    record = run_tap(TapMoloS3, {"local_path": str(folder)}).records["marina_locations"][0]
    assert record["Name"] is None
    assert record["PrimaryPhoneNumber"] is None
    assert record["PrimaryFaxNumber"] is None
    assert record["Organization_Id"] is None
    assert record["MarinaHash"] == "x"


def test_dates_use_the_spec_formats_and_never_guess_day_first():
    column = ColumnSpec(
        name="Created", type="date-time", formats=("%m/%d/%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S")
    )
    convert = converter_for(column)
    assert convert is not None
    assert convert("03/04/2025 06:00:00") == "2025-03-04T06:00:00+00:00"  # March 4th, month first
    assert convert("2025-12-21 05:00:03") == "2025-12-21T05:00:03+00:00"
    with pytest.raises(ValueError, match=r"month must be in 1\.\.12"):
        convert("21/12/2025 05:00:03")  # day-first is not in the spec: an error, not a guess
    with pytest.raises(ValueError, match="does not match"):
        convert("2025.12.21")
    # Parts seen before are remembered; a known day with a bad clock (or the reverse) still fails.
    assert convert("03/04/2025 23:59:59") == "2025-03-04T23:59:59+00:00"
    with pytest.raises(ValueError, match="hour must be"):
        convert("03/04/2025 24:00:00")
    with pytest.raises(ValueError, match="day is out of range"):
        convert("02/30/2025 23:59:59")
    with pytest.raises(ValueError, match="does not match"):
        convert("03/04/2025 23:59:59x")
    as_date = converter_for(ColumnSpec(name="d", type="date", formats=("%Y-%m-%d",)))
    assert as_date is not None
    assert as_date("2025-02-28") == "2025-02-28"
    with pytest.raises(ValueError, match="day is out of range"):
        as_date("2025-02-30")


def test_numbers_and_booleans():
    integer = converter_for(ColumnSpec(name="i", type="integer"))
    number = converter_for(ColumnSpec(name="n", type="number"))
    boolean = converter_for(ColumnSpec(name="b", type="boolean"))
    assert integer is not None
    assert number is not None
    assert boolean is not None
    assert integer("42") == 42
    assert integer("42.0") == 42
    with pytest.raises(ValueError, match="invalid literal"):
        integer("42.5")
    assert number("1.25") == 1.25
    with pytest.raises(ValueError, match="not a finite number"):
        number("nan")
    assert [boolean(v) for v in ("True", "0", "yes", "N")] == [True, False, True, False]
    with pytest.raises(ValueError, match="is not one of"):
        boolean("maybe")


def test_source_timezone_converts_naive_times_to_utc(marina_export):
    from zoneinfo import ZoneInfo

    column = ColumnSpec(name="t", type="date-time", formats=("%m/%d/%Y %H:%M:%S",))
    convert = converter_for(column, ZoneInfo("America/Chicago"))
    assert convert is not None
    assert convert("03/04/2025 00:00:00") == "2025-03-04T06:00:00+00:00"  # CST
    assert convert("07/04/2025 00:00:00") == "2025-07-04T05:00:00+00:00"  # CDT
    export = marina_export("molo", rows=2, streams={"piers"})
    with pytest.raises(ExportError, match="'Mars/Olympus' is not a known time zone"):
        run_tap(TapMoloS3, _local(export, source_timezone="Mars/Olympus"))
