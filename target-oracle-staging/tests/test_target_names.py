"""The one name function: UPPER_SNAKE, reserved words, 128 bytes, clashes."""

from __future__ import annotations

import duckdb
import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import oracle, postgresql
from target_oracle_staging.names import (
    MAX_IDENTIFIER_BYTES,
    NameClashError,
    convert_names,
    derived_name,
    to_identifier,
)
from target_oracle_staging.reserved_words import RESERVED_WORDS
from target_oracle_staging.tables import default_table_prefix, source_name_from_env, table_name


@pytest.mark.parametrize(
    ("name", "identifier"),
    [
        ("CommonLibPlantCode", "COMMON_LIB_PLANT_CODE"),
        ("PCSRevDate", "PCS_REV_DATE"),
        ("MarinaLocationId", "MARINA_LOCATION_ID"),
        ("checkout_date", "CHECKOUT_DATE"),
        ("Organization_Id", "ORGANIZATION_ID"),
        ("OperatorID", "OPERATOR_ID"),
        ("PlantID", "PLANT_ID"),
        ("_sdc_extracted_at", "SDC_EXTRACTED_AT"),
        ("_sdc_table_version", "SDC_TABLE_VERSION"),
        ("Field With  Spaces-and.dots", "FIELD_WITH_SPACES_AND_DOTS"),
        ("Ærøskøbing Größe", "AEROSKOBING_GROSSE"),
        ("2ndLine", "N_2ND_LINE"),
        ("Date", "DATE_"),
        ("size", "SIZE_"),
        ("user", "USER_"),
        ("Comment", "COMMENT_"),
        ("limit", "LIMIT_"),
        ("NAME", "NAME"),
    ],
)
def test_examples(name: str, identifier: str) -> None:
    assert to_identifier(name) == identifier


def test_non_ascii_only_name_still_gets_a_stable_identifier() -> None:
    first = to_identifier("日本")
    assert first == to_identifier("日本")
    assert first.startswith("COL_")
    assert first != to_identifier("中国")


def test_long_names_are_cut_to_128_bytes_with_a_deterministic_hash() -> None:
    base = "VeryLongPropertyName" * 10
    one, two = to_identifier(base + "A"), to_identifier(base + "B")
    assert len(one.encode()) <= MAX_IDENTIFIER_BYTES
    assert len(two.encode()) <= MAX_IDENTIFIER_BYTES
    assert one != two
    assert one == to_identifier(base + "A")
    long_table = table_name("STG_TR2000_", "x" * 200)
    assert len(long_table) <= MAX_IDENTIFIER_BYTES
    assert long_table.startswith("STG_TR2000_X")


def test_clashes_are_errors_that_name_both_properties() -> None:
    with pytest.raises(NameClashError, match=r"'plantId'.*'PlantID'|'PlantID'.*'plantId'"):
        convert_names(["PlantID", "plantId"], where="stream 'plants'")
    with pytest.raises(NameClashError, match="stream 'plants'"):
        convert_names(["a_b", "A-B"], where="stream 'plants'")


def test_helper_table_names_cannot_clash_with_converted_names() -> None:
    assert "__" not in to_identifier("a__b")
    assert derived_name("STG_X", "LD") == "STG_X__LD"


def test_source_names_and_prefixes() -> None:
    assert source_name_from_env("tap-tr2000") == "TR2000"
    assert source_name_from_env("tap-molo-s3") == "MOLO"
    assert source_name_from_env("tap-stellar-s3") == "STELLAR"
    assert source_name_from_env(None) is None
    assert default_table_prefix("TR2000") == "STG_TR2000_"
    assert default_table_prefix(None) == "STG_"
    assert table_name("STG_TR2000_", "pcs_headers") == "STG_TR2000_PCS_HEADERS"


def test_reserved_list_is_more_than_sqlalchemys() -> None:
    sa_oracle = {w.upper() for w in oracle.base.RESERVED_WORDS}
    assert sa_oracle <= RESERVED_WORDS
    assert len(RESERVED_WORDS) > 2 * len(sa_oracle)
    for word in ("LEVEL", "SIZE", "COMMENT", "UID", "ROWNUM", "NUMBER", "TYPE", "MERGE"):
        assert word in RESERVED_WORDS


def test_reserved_list_covers_duckdb_keywords() -> None:
    with duckdb.connect() as conn:
        words = {
            row[0].upper()
            for row in conn.execute(
                "select keyword_name from duckdb_keywords() where keyword_category = 'reserved'"
            ).fetchall()
        }
    assert words - RESERVED_WORDS == set()


def test_reserved_list_covers_postgresql_keywords(pg_url) -> None:
    engine = sa.create_engine(pg_url.url)
    with engine.connect() as conn:
        words = {
            row[0].upper()
            for row in conn.execute(
                sa.text("select word from pg_get_keywords() where catcode in ('R', 'T')")
            )
        }
    engine.dispose()
    assert words - RESERVED_WORDS == set()


@pytest.mark.parametrize("word", sorted(RESERVED_WORDS)[::7])
def test_converted_names_are_never_quoted(word: str) -> None:
    identifier = to_identifier(word.title()).lower()
    for dialect in (oracle.dialect(), postgresql.dialect()):
        assert dialect.identifier_preparer.quote(identifier) == identifier
