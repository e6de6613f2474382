"""The shared fixtures talk to the real services and clean up after themselves."""

from __future__ import annotations

import sqlalchemy as sa


def test_pg_schema_is_fresh_and_on_search_path(pg_url) -> None:
    engine = pg_url.engine()
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE probe (id INTEGER)"))
        where = (
            conn.execute(
                sa.text(
                    "SELECT table_schema FROM information_schema.tables WHERE table_name = 'probe'"
                )
            )
            .scalars()
            .all()
        )
    engine.dispose()
    assert where == [pg_url.schema]


def test_moto_bucket_roundtrip(moto_s3, s3_bucket) -> None:
    client = moto_s3.client()
    client.put_object(Bucket=s3_bucket, Key="a/b.txt", Body=b"hello")
    body = client.get_object(Bucket=s3_bucket, Key="a/b.txt")["Body"].read()
    assert body == b"hello"
    assert moto_s3.endpoint_url.startswith("http://127.0.0.1:")


def test_duckdb_path_is_new(duckdb_path) -> None:
    assert not duckdb_path.exists()
    assert duckdb_path.name.endswith(".duckdb")


def test_duplicate_keys_finds_repeats_and_treats_empty_as_null() -> None:
    from testkit.tr2000.keys import duplicate_keys

    keys = ["PlantID", "Area"]
    rows = [{"PlantID": "1", "Area": "A"}, {"PlantID": "1", "Area": "B"}]
    assert duplicate_keys(rows, keys) == {}
    rows += [{"PlantID": "1", "Area": "A"}, {"PlantID": "1", "Area": ""}, {"PlantID": "1"}]
    assert duplicate_keys(rows, keys) == {("1", "A"): 2, ("1", None): 2}
