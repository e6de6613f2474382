"""A corpus of bad MOLO and Stellar exports, generated from the table specs.

Every case is one export file (real key name) plus what must happen when a tap reads it:
`error` — the run fails with an ExportError whose text holds every `expect` fragment (the key,
and the member / line / column where that applies), and no ACTIVATE_VERSION leaves the tap;
`quarantine` — the run loads, with `skipped` rows counted (on_bad_row=skip) or kept.

Member damages are applied to a good member of one table and packed with a good member of
another table, in the export's real container (MOLO: ZIP; Stellar: gzip tar), so a case also
shows that one bad member stops the good one from being activated.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import random
import tarfile
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from testkit.marina.generator import Quirks, export_key, load_spec, write_member

WHEN = {"molo": datetime(2025, 12, 21, 5, 0, 3), "stellar": datetime(2025, 12, 21, 7, 1)}
# The damaged table and a good companion in the same export, per kind. The companion syncs
# first (streams sync in alphabetical order), so each case shows that a member that was read
# and found good is not activated either.
DAMAGED = {"molo": "piers", "stellar": "accessory_options"}
COMPANION = {"molo": "marina_locations", "stellar": "accessories"}
ROWS = 5


@dataclass(frozen=True)
class BadExport:
    id: str
    kind: str
    build: Callable[[], bytes]
    expect: tuple[str, ...]
    outcome: str = "error"
    config: dict[str, Any] = field(default_factory=dict)
    # quarantine: rows of the damaged stream that still load, and rows counted as skipped
    loaded: int | None = None
    skipped: int = 0

    @property
    def key(self) -> str:
        return export_key(self.kind, WHEN[self.kind])

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / self.key
        path.write_bytes(self.build())
        return path

    def expected(self, location: str) -> list[str]:
        """The fragments the error must hold; `location` is how the tap names the export."""
        return [location, *self.expect]


# Tables ------------------------------------------------------------------------------------


def _table(kind: str, stream: str) -> dict[str, Any]:
    return next(t for t in load_spec(kind)["tables"] if t["stream"] == stream)


def good_member(kind: str, stream: str, rows: int = ROWS, seed: int = 0) -> bytes:
    handle = io.BytesIO()
    write_member(handle, kind, _table(kind, stream), rows, Quirks(), seed)
    return handle.getvalue()


def member_name(kind: str, stream: str) -> str:
    return _table(kind, stream)["member"]


@dataclass
class _Grid:
    """A member as header + rows, to damage by column role."""

    kind: str
    stream: str
    header: list[str]
    rows: list[list[str]]

    @classmethod
    def of(cls, kind: str, stream: str) -> _Grid:
        parsed = list(csv.reader(io.StringIO(good_member(kind, stream).decode("utf-8"))))
        return cls(kind, stream, parsed[0], parsed[1:])

    def index(self, role: str) -> int:
        table = _table(self.kind, self.stream)
        key = table["key"][0]
        for position, name in enumerate(self.header):
            column = next(c for c in table["columns"] if c["name"] == name)
            kind = column["type"]
            if role == "key" and name == key:
                return position
            if name == key:
                continue
            if (role == "integer" and kind == "integer") or (role == "string" and kind == "string"):
                return position
            if role == "date" and kind in {"date", "date-time"}:
                return position
        msg = f"{self.stream} has no {role} column"
        raise LookupError(msg)

    def encode(self) -> bytes:
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\n")
        writer.writerow(self.header)
        writer.writerows(self.rows)
        return text.getvalue().encode("utf-8")


# Member damages: (id, damage(kind) -> member bytes, fragments beyond the member name) --------


def _grid_damage(change: Callable[[_Grid], None]) -> Callable[[str], bytes]:
    def damage(kind: str) -> bytes:
        grid = _Grid.of(kind, DAMAGED[kind])
        change(grid)
        return grid.encode()

    return damage


def _set(row: int, role: str, value: str) -> Callable[[_Grid], None]:
    def change(grid: _Grid) -> None:
        grid.rows[row][grid.index(role)] = value

    return change


def _drop_key(grid: _Grid) -> None:
    position = grid.index("key")
    del grid.header[position]
    for row in grid.rows:
        del row[position]


def _rename_header(position_role: str, name: str) -> Callable[[_Grid], None]:
    def change(grid: _Grid) -> None:
        grid.header[grid.index(position_role)] = name

    return change


def _good(kind: str) -> bytes:
    return good_member(kind, DAMAGED[kind])


def _good_text(kind: str) -> str:
    return _good(kind).decode("utf-8")


def _replace_in_row(kind: str, row: int, role: str, raw: bytes) -> bytes:
    grid = _Grid.of(kind, DAMAGED[kind])
    grid.rows[row][grid.index(role)] = "@@"
    return grid.encode().replace(b"@@", raw)


def _png(kind: str) -> bytes:
    rng = random.Random(f"png:{kind}")
    return b"\x89PNG\r\n\x1a\n" + bytes(rng.randrange(256) for _ in range(2048))


def _xlsx(kind: str) -> bytes:
    handle = io.BytesIO()
    with zipfile.ZipFile(handle, "w") as book:
        book.writestr("[Content_Types].xml", "<Types/>")
        book.writestr("xl/worksheets/sheet1.xml", "<worksheet/>")
    return handle.getvalue()


MEMBER_DAMAGES: list[tuple[str, Callable[[str], bytes], tuple[str, ...]]] = [
    ("nul_only", lambda kind: b"\x00" * 4096, ("line 1", "NUL or control characters")),
    ("nul_lines", lambda kind: b"\x00\x00\x00\n" * 50, ("line 1", "NUL or control characters")),
    ("empty", lambda kind: b"", ("the member is empty",)),
    ("blank_lines_only", lambda kind: b"\n\n\n", ("line 1", "lacks the key column")),
    ("header_without_key", _grid_damage(_drop_key), ("line 1", "lacks the key column")),
    (
        "no_header_line",
        lambda kind: _good(kind).split(b"\n", 1)[1],
        ("line 1", "header"),
    ),
    (
        "html_error_page",
        lambda kind: b"<html><body><h1>403 Forbidden</h1></body></html>\n",
        ("line 1", "lacks the key column"),
    ),
    ("json_lines", lambda kind: b'{"id": 1, "name": "x"}\n', ("line 1", "lacks the key column")),
    (
        "double_bom",
        lambda kind: b"\xef\xbb\xbf\xef\xbb\xbf" + _good(kind),
        ("line 1", "lacks the key column"),
    ),
    ("utf16_with_bom", lambda kind: _good_text(kind).encode("utf-16"), ("line 1", "UTF-16")),
    (
        "utf16_without_bom",
        lambda kind: _good_text(kind).encode("utf-16-le"),
        ("line 1", "NUL or control characters"),
    ),
    (
        "latin1_value",
        lambda kind: _replace_in_row(kind, 1, "string", "caf\xe9".encode("latin-1")),
        ("line 3", "invalid UTF-8 byte b'\\xe9'"),
    ),
    (
        "latin1_header",
        lambda kind: _good(kind).replace(b"\n", b",B\xe9n\xe9ficiaire\n", 1),
        ("line 1", "invalid UTF-8"),
    ),
    ("png_image", _png, ("line 1", "invalid UTF-8")),
    ("gzip_inside", lambda kind: gzip.compress(_good(kind), mtime=0), ("line 1", "invalid UTF-8")),
    ("xlsx_inside", _xlsx, ("line 1",)),
    (
        "cut_inside_quoted_value",
        lambda kind: _good(kind) + b'99,"unfinished value',
        ("malformed CSV", "unexpected end of data"),
    ),
    ("cut_mid_row", lambda kind: _good(kind) + b"99", (f"line {ROWS + 2}", "fields where")),
    ("nul_padding", lambda kind: _good(kind) + b"\x00" * 512, (f"line {ROWS + 2}", "fields where")),
    (
        "nul_in_value",
        lambda kind: _replace_in_row(kind, 2, "string", b"a\x00b"),
        ("line 4", "NUL character"),
    ),
    (
        "extra_field",
        lambda kind: _good(kind).replace(b"\n", b",surplus\n", 2).replace(b",surplus", b"", 1),
        ("line 2", "fields where the header has"),
    ),
    (
        "header_empty_name",
        _grid_damage(_rename_header("integer", "")),
        ("line 1", "empty column names"),
    ),
    (
        "header_repeats_a_name",
        _grid_damage(lambda grid: grid.header.__setitem__(-1, grid.header[0])),
        ("line 1", "repeats column names"),
    ),
    (
        "header_control_character",
        _grid_damage(_rename_header("integer", "col\x01umn")),
        ("line 1", "NUL or control characters"),
    ),
    (
        "integer_as_word",
        _grid_damage(_set(1, "integer", "two")),
        ("line 3", "column '", "'two'"),
    ),
    (
        "integer_with_fraction",
        _grid_damage(_set(3, "integer", "2.5")),
        ("line 5", "column '", "2.5"),
    ),
    (
        "stray_quote",
        lambda kind: _replace_in_row(kind, 0, "string", b'"quoted"tail'),
        ("line 2", "malformed CSV"),
    ),
]
# Stellar's damaged table has a date column; MOLO's piers has none.
STELLAR_ONLY_DAMAGES = [
    (
        "impossible_date",
        _grid_damage(_set(2, "date", "2025-02-30 10:00:00")),
        ("line 4", "column 'created_at'", "day is out of range"),
    ),
    (
        "day_first_date",
        _grid_damage(_set(0, "date", "21/12/2025 10:00:00")),
        ("line 2", "column 'created_at'", "does not match"),
    ),
]


# Containers ----------------------------------------------------------------------------------


def zip_bytes(members: list[tuple[str, bytes]], **options: Any) -> bytes:
    handle = io.BytesIO()
    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED, **options) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return handle.getvalue()


def tar_bytes(members: list[tuple[str, bytes]]) -> bytes:
    handle = io.BytesIO()
    with tarfile.open(fileobj=handle, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 1_700_000_000
            archive.addfile(info, io.BytesIO(data))
    return handle.getvalue()


def tar_gz_bytes(members: list[tuple[str, bytes]]) -> bytes:
    return gzip.compress(tar_bytes(members), mtime=0)


def _pack_damaged(kind: str, damage: Callable[[str], bytes]) -> bytes:
    return pack(kind, damage(kind))


def pack(kind: str, damaged: bytes) -> bytes:
    """The damaged member and a good companion, in the kind's real container."""
    members = [
        (member_name(kind, DAMAGED[kind]), damaged),
        (member_name(kind, COMPANION[kind]), good_member(kind, COMPANION[kind])),
    ]
    return zip_bytes(members) if kind == "molo" else tar_gz_bytes(members)


def good_export(kind: str, seed: int = 0) -> bytes:
    """The same two tables, undamaged: what an earlier run loaded."""
    return pack(kind, good_member(kind, DAMAGED[kind], seed=seed))


# Archive damages -----------------------------------------------------------------------------


def _good_tar_members() -> list[tuple[str, bytes]]:
    return [
        (member_name("stellar", s), good_member("stellar", s))
        for s in (DAMAGED["stellar"], COMPANION["stellar"])
    ]


def _good_zip_members() -> list[tuple[str, bytes]]:
    return [
        (member_name("molo", s), good_member("molo", s))
        for s in (DAMAGED["molo"], COMPANION["molo"])
    ]


def _flip(data: bytes, position: int) -> bytes:
    return data[:position] + bytes([data[position] ^ 0xFF]) + data[position + 1 :]


def _zip_with_corrupt_deflate() -> bytes:
    data = zip_bytes(_good_zip_members())
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo("Piers.csv")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    return _flip(data, start + info.compress_size // 2)


def _zip_with_bad_crc() -> bytes:
    stored = io.BytesIO()
    with zipfile.ZipFile(stored, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, member in _good_zip_members():
            archive.writestr(name, member)
    data = stored.getvalue()
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo("Piers.csv")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    # A digit changed inside the stored member: it still parses, only the CRC tells.
    position = data.index(b"1", start + 20)
    return data[:position] + b"7" + data[position + 1 :]


def _zip_with_duplicate_member() -> bytes:
    handle = io.BytesIO()
    with zipfile.ZipFile(handle, "w") as archive:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # zipfile warns about the duplicate name
            archive.writestr("Piers.csv", good_member("molo", "piers"))
            archive.writestr("Piers.csv", good_member("molo", "piers", seed=5))
        archive.writestr("SlipTypes.csv", good_member("molo", "slip_types"))
    return handle.getvalue()


def _zip_encrypted_flag() -> bytes:
    data = bytearray(zip_bytes(_good_zip_members()))
    # Set the "encrypted" bit in the central directory entry of the first member.
    central = data.rindex(b"PK\x01\x02", 0, data.rindex(b"PK\x01\x02"))
    data[central + 8] |= 0x01
    return bytes(data)


def _large_tar_members() -> list[tuple[str, bytes]]:
    """The good members plus a member of incompressible text, so the gzip's end lies beyond
    what the tap reads to detect the format and to open the tar."""
    rng = random.Random("large")
    noise = "".join(f"{index},{rng.getrandbits(128):032x}\n" for index in range(12_000))
    return [*_good_tar_members(), ("data/users.csv", ("id,hash\n" + noise).encode())]


def _gzip_cut_trailer(large: bool = False) -> bytes:
    members = _large_tar_members() if large else _good_tar_members()
    return tar_gz_bytes(members)[:-6]


def _gzip_bad_crc(large: bool = False) -> bytes:
    data = tar_gz_bytes(_large_tar_members() if large else _good_tar_members())
    return data[:-8] + bytes([data[-8] ^ 0x01]) + data[-7:]


def _gzip_cut_in_half() -> bytes:
    data = tar_gz_bytes(_good_tar_members())
    return data[: len(data) // 2]


def _gzip_corrupt_middle() -> bytes:
    data = tar_gz_bytes(_good_tar_members())
    return _flip(data, len(data) // 2)


def _tar_cut_inside_member() -> bytes:
    raw = tar_bytes(_good_tar_members())
    return gzip.compress(raw[: 512 + 200], mtime=0)


def _first_tar_member_only() -> bytes:
    """The first member's header and data, without the end-of-archive blocks."""
    members = _good_tar_members()
    size = 512 + (len(members[0][1]) + 511) // 512 * 512
    return tar_bytes(members[:1])[:size]


def _tar_cut_between_members() -> bytes:
    return gzip.compress(_first_tar_member_only(), mtime=0)


def _tar_garbage_after_member() -> bytes:
    garbage = b"this is not a tar header".ljust(512, b"!") * 2
    return gzip.compress(_first_tar_member_only() + garbage, mtime=0)


def _two_tars_appended() -> bytes:
    members = _good_tar_members()
    return gzip.compress(tar_bytes(members[:1]), mtime=0) + gzip.compress(
        tar_bytes(members[1:]), mtime=0
    )


def _tar_duplicate_member() -> bytes:
    members = _good_tar_members()
    return tar_gz_bytes(
        [*members, (members[0][0], good_member("stellar", DAMAGED["stellar"], seed=3))]
    )


def _tar_same_name_two_folders() -> bytes:
    members = _good_tar_members()
    return tar_gz_bytes([*members, ("backup/" + members[0][0], members[0][1])])


POSTGRES_DUMP = (
    b"--\n-- PostgreSQL database dump\n--\n\nSET statement_timeout = 0;\n"
    b"COPY public.customers (user_id, email) FROM stdin;\n1\ta@example.com\n\\.\n"
)


ARCHIVE_CASES: list[BadExport] = [
    # MOLO: ZIP
    BadExport(
        "zip_empty",
        "molo",
        lambda: zip_bytes([]),
        ("holds none of the members", "no members at all"),
    ),
    BadExport(
        "zip_only_unrelated_members",
        "molo",
        lambda: zip_bytes([("README.txt", b"hello\n"), ("AspNetUsers.csv", b"Id\n1\n")]),
        ("holds none of the members", "README.txt"),
    ),
    BadExport(
        "zip_tables_renamed_lower_case",
        "molo",
        lambda: zip_bytes([(n.lower(), d) for n, d in _good_zip_members()]),
        ("holds none of the members", "piers.csv"),
    ),
    BadExport(
        "zip_only_a_folder",
        "molo",
        lambda: zip_bytes([("export/", b"")]),
        ("holds none of the members",),
    ),
    BadExport(
        "zip_cut_in_half",
        "molo",
        lambda: zip_bytes(_good_zip_members())[:300],
        ("is not a readable ZIP",),
    ),
    BadExport(
        "zip_corrupt_deflate",
        "molo",
        _zip_with_corrupt_deflate,
        ("member Piers.csv", "damaged"),
    ),
    BadExport("zip_bad_crc", "molo", _zip_with_bad_crc, ("member Piers.csv", "Bad CRC-32")),
    BadExport(
        "zip_duplicate_member", "molo", _zip_with_duplicate_member, ("Piers.csv is ambiguous",)
    ),
    BadExport(
        "zip_same_name_two_folders",
        "molo",
        lambda: zip_bytes(
            [("a/Piers.csv", good_member("molo", "piers")), ("b/Piers.csv", b"Id\n")]
        ),
        ("Piers.csv is ambiguous", "a/Piers.csv", "b/Piers.csv"),
    ),
    BadExport(
        "zip_encrypted_member", "molo", _zip_encrypted_flag, ("member Piers.csv", "encrypted")
    ),
    BadExport("zip_zero_bytes", "molo", lambda: b"", ("neither a ZIP nor a gzip",)),
    BadExport(
        "zip_plain_csv_under_zip_name",
        "molo",
        lambda: good_member("molo", "piers"),
        ("neither a ZIP nor a gzip", "b'Id,Name,'"),
    ),
    BadExport(
        "zip_is_an_xlsx_workbook",
        "molo",
        lambda: _xlsx("molo"),
        ("holds none of the members", "xl/worksheets/sheet1.xml"),
    ),
    # Stellar: gzip tar
    BadExport(
        "tar_empty",
        "stellar",
        lambda: tar_gz_bytes([]),
        ("(tar.gz) holds none of the members", "no members at all"),
    ),
    BadExport(
        "tar_tables_as_tsv",
        "stellar",
        lambda: tar_gz_bytes([(n.replace(".csv", ".tsv"), d) for n, d in _good_tar_members()]),
        ("holds none of the members", "data/accessory_options.tsv"),
    ),
    BadExport("gzip_trailer_cut", "stellar", _gzip_cut_trailer, ("damaged", "ended before")),
    BadExport(
        "gzip_trailer_cut_large",
        "stellar",
        lambda: _gzip_cut_trailer(large=True),
        ("after member data/users.csv", "Compressed file ended before the end-of-stream marker"),
    ),
    BadExport("gzip_bad_crc", "stellar", _gzip_bad_crc, ("damaged", "incorrect data check")),
    BadExport(
        "gzip_bad_crc_large",
        "stellar",
        lambda: _gzip_bad_crc(large=True),
        ("after member data/users.csv", "CRC check failed"),
    ),
    BadExport("gzip_cut_in_half", "stellar", _gzip_cut_in_half, ("damaged", "ended before")),
    BadExport("gzip_corrupt_middle", "stellar", _gzip_corrupt_middle, ("damaged",)),
    BadExport(
        "tar_cut_inside_member",
        "stellar",
        _tar_cut_inside_member,
        ("data/accessory_options.csv", "damaged"),
    ),
    BadExport(
        "tar_cut_between_members",
        "stellar",
        _tar_cut_between_members,
        ("no end-of-archive marker",),
    ),
    BadExport(
        "tar_garbage_after_member",
        "stellar",
        _tar_garbage_after_member,
        ("no end-of-archive marker",),
    ),
    BadExport(
        "two_tars_appended", "stellar", _two_tars_appended, ("data follows the end-of-archive",)
    ),
    BadExport(
        "tar_duplicate_member",
        "stellar",
        _tar_duplicate_member,
        ("holds accessory_options.csv twice",),
    ),
    BadExport(
        "tar_same_name_two_folders",
        "stellar",
        _tar_same_name_two_folders,
        ("holds accessory_options.csv twice", "backup/data/accessory_options.csv"),
    ),
    BadExport(
        "gzip_postgres_dump",
        "stellar",
        lambda: gzip.compress(POSTGRES_DUMP, mtime=0),
        ("gzip-compressed SQL dump", "PostgreSQL"),
    ),
    BadExport(
        "gzip_mysql_dump",
        "stellar",
        lambda: gzip.compress(b"-- MySQL dump 10.13\n/*!40101 SET NAMES utf8 */;\n", mtime=0),
        ("gzip-compressed SQL dump",),
    ),
    BadExport(
        "zip_under_sql_gz_name",
        "stellar",
        lambda: zip_bytes(_good_zip_members()),
        ("(zip) holds none of the members", "Piers.csv"),
    ),
    BadExport(
        "gzip_single_csv_named_like_the_key",
        "stellar",
        lambda: gzip.compress(good_member("stellar", "holidays"), mtime=0),
        ("(csv.gz) holds none of the members",),
    ),
    BadExport("sql_gz_zero_bytes", "stellar", lambda: b"", ("neither a ZIP nor a gzip",)),
    BadExport(
        "plain_tar_under_sql_gz_name",
        "stellar",
        lambda: tar_bytes(_good_tar_members()),
        ("neither a ZIP nor a gzip",),
    ),
    BadExport(
        "bzip2_under_sql_gz_name",
        "stellar",
        lambda: bz2.compress(tar_bytes(_good_tar_members())),
        ("neither a ZIP nor a gzip", "BZh"),
    ),
]


def member_cases() -> list[BadExport]:
    cases = []
    for kind in ("molo", "stellar"):
        damages = MEMBER_DAMAGES + (STELLAR_ONLY_DAMAGES if kind == "stellar" else [])
        member = member_name(kind, DAMAGED[kind])
        for name, damage, fragments in damages:
            cases.append(
                BadExport(
                    f"{kind}_member_{name}",
                    kind,
                    partial(_pack_damaged, kind, damage),
                    (f"member {member}", *fragments),
                )
            )
    return cases


# Rows that on_bad_row=skip drops (counted) and keep loads; the rest of the member loads.
QUARANTINE_DAMAGES = ("extra_field", "nul_in_value", "integer_as_word", "integer_with_fraction")


def quarantine_cases() -> list[BadExport]:
    by_name = {name: damage for name, damage, _ in MEMBER_DAMAGES}
    cases = []
    for kind in ("molo", "stellar"):
        for name in QUARANTINE_DAMAGES:
            damage = by_name[name]
            for policy in ("skip", "keep"):
                cases.append(
                    BadExport(
                        f"{kind}_{policy}_{name}",
                        kind,
                        partial(_pack_damaged, kind, damage),
                        (),
                        outcome="quarantine",
                        config={"on_bad_row": policy},
                        loaded=ROWS - 1 if policy == "skip" else ROWS,
                        skipped=1 if policy == "skip" else 0,
                    )
                )
    return cases


def all_cases() -> list[BadExport]:
    return [*member_cases(), *ARCHIVE_CASES, *quarantine_cases()]
