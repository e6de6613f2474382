"""A corpus of bad TR2000 API answers, generated over a world's real URLs.

Each case names the one path that answers badly, the stream that reads it, the server fault that
produces the answer, and what a correct tap does: fail with an error that names the stream and
the URL (and matches `message`), or retry and then finish as if nothing happened ("recovers").
The cases come from crossing the endpoints of the world with body, status and transport faults;
nothing here is copied from a real incident.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from testkit.tr2000.world import World

CONTEXT_FIELDS = frozenset({"PlantID", "IssueRevision", "PCS", "PCSRevision", "VDS", "Revision"})
HTML_PAGE = (
    b"<!DOCTYPE html><html><head><title>Sign in</title></head>"
    b"<body><form action='/login'>Proxy authentication required</form></body></html>"
)

HTML_503 = {"kind": "raw", "status": 503, "payload": HTML_PAGE, "content_type": "text/html"}


@dataclass(frozen=True)
class Endpoint:
    path: str
    stream: str
    # "some": the API always has rows here; "one": exactly one row; None: empty is fine.
    rows: str | None = None


@dataclass(frozen=True)
class BadResponse:
    name: str
    endpoint: Endpoint
    fault: dict[str, Any]
    outcome: str  # "error" or "recovers"
    message: str = ""  # regex the error must match, besides naming the stream and the URL
    config: dict[str, Any] = field(default_factory=dict)
    # Run once cleanly first and pass its state, so the plant has a bookmark.
    after_good_run: bool = False
    # Streams to select (default: the endpoint's stream; parents are read as needed).
    select: frozenset[str] = frozenset()

    @property
    def selected(self) -> set[str]:
        return set(self.select or {self.endpoint.stream})

    @property
    def id(self) -> str:
        return f"{self.endpoint.stream}-{self.name}"

    @property
    def pattern(self) -> str:
        return "^" + re.escape(self.endpoint.path) + "$"

    @property
    def stream(self) -> str:
        return self.endpoint.stream


def endpoints(world: World) -> list[Endpoint]:
    """One real URL of every kind the tap reads, for the world's first plant."""
    plant = world.plant_worlds[world.plant_ids()[0]]
    pid = plant.plant_id
    issue = plant.issues[0]["IssueRevision"]
    pcs = plant.pcs_list[0]
    pcs_path = f"/plants/{pid}/pcs/{pcs['PCS']}/rev/{pcs['Revision']}"
    vds = world.vds_list[0]
    return [
        Endpoint("/operators", "operators", "some"),
        Endpoint("/plants", "plants", "some"),
        Endpoint(f"/plants/{pid}", "plant_details", "one"),
        Endpoint(f"/plants/{pid}/issues", "issues"),
        Endpoint(f"/plants/{pid}/issues/rev/{issue}/pcs", "issue_pcs_references"),
        Endpoint(f"/plants/{pid}/issues/rev/{issue}/mds", "issue_mds_references"),
        Endpoint(
            f"/plants/{pid}/issues/rev/{issue}/pipe-elements", "issue_pipe_element_references"
        ),
        Endpoint(f"/plants/{pid}/pcs", "pcs"),
        Endpoint(pcs_path, "pcs_headers", "one"),
        Endpoint(f"{pcs_path}/pipe-sizes", "pcs_pipe_sizes"),
        Endpoint(f"{pcs_path}/embedded-notes", "pcs_embedded_notes"),
        Endpoint("/vds", "vds", "some"),
        Endpoint(f"/vds/{vds['VDS']}/rev/{vds['Revision']}", "vds_details"),
    ]


# ---- body transforms: the normal JSON body in, a bad one out --------------------------------


def _array_key(body: dict[str, Any]) -> str:
    return next(k for k, v in body.items() if k.startswith("get") and isinstance(v, list))


def _with_rows(body: dict[str, Any], rows: Any) -> dict[str, Any]:
    return {**body, _array_key(body): rows}


def _first_row_field(body: dict[str, Any], wanted: Callable[[str, Any], bool]) -> str | None:
    rows = body[_array_key(body)]
    if not rows:
        return None
    return next((k for k, v in rows[0].items() if k not in CONTEXT_FIELDS and wanted(k, v)), None)


def _set_first_row(body: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    rows = [dict(r) for r in body[_array_key(body)]]
    rows[0][key] = value
    return _with_rows(body, rows)


def _json(transform: Callable[[Any], Any]) -> dict[str, Any]:
    return {"kind": "json", "transform": transform}


def _envelope_cases() -> list[tuple[str, dict[str, Any], str]]:
    """Bad bodies any endpoint can send: (name, fault, message regex)."""
    not_json = r"is not valid JSON"
    return [
        (
            "html_login_page",
            {"kind": "raw", "status": 200, "payload": HTML_PAGE, "content_type": "text/html"},
            r"is not valid JSON \(text/html, \d+ bytes, starts '<!DOCTYPE html>",
        ),
        ("empty_body", {"kind": "raw", "status": 200, "payload": b""}, not_json),
        ("cut_in_half", {"kind": "cut_json", "cut": 0.5}, not_json),
        ("last_byte_missing", {"kind": "cut_json", "cut": 0.999}, not_json),
        (
            "gzip_without_content_encoding",
            {"kind": "raw", "status": 200, "payload": b"\x1f\x8b\x08\x00\x00\x00\x00\x00"},
            not_json,
        ),
        ("top_level_list", _json(lambda b: [b]), r"is not a JSON object \(got list\)"),
        ("top_level_null", _json(lambda b: None), r"is not a JSON object \(got NoneType\)"),
        ("top_level_string", _json(lambda b: "OK"), r"is not a JSON object \(got str\)"),
        ("success_false_with_data", {"kind": "success_false_with_data"}, r"has success=False"),
        ("success_is_text", _json(lambda b: {**b, "success": "true"}), r"has success='true'"),
        (
            "success_missing",
            _json(lambda b: {k: v for k, v in b.items() if k != "success"}),
            r"has success=None",
        ),
        ("array_missing", {"kind": "missing_array"}, r"lacks the array"),
        (
            "array_under_another_name",
            _json(lambda b: {"success": True, "data": b[_array_key(b)]}),
            r"lacks the array",
        ),
        ("array_is_object", _json(lambda b: _with_rows(b, {"0": {}})), r"lacks the array"),
        ("array_is_null", _json(lambda b: _with_rows(b, None)), r"lacks the array"),
        (
            "rows_are_strings",
            _json(lambda b: _with_rows(b, ["row"])),
            r"row 1 of '\w+' is not an object \(got str\)",
        ),
        (
            "null_row_at_the_end",
            _json(lambda b: _with_rows(b, [*b[_array_key(b)], None])),
            r"row \d+ of '\w+' is not an object \(got NoneType\)",
        ),
    ]


def _value_cases(body: dict[str, Any]) -> list[tuple[str, dict[str, Any], str]]:
    """Bad values in the first row, where the endpoint's rows have such a field."""
    cases = []
    text = _first_row_field(body, lambda k, v: isinstance(v, str))
    if text:
        cases.append(
            (
                "text_field_is_an_object",
                _json(partial(_set_first_row, key=text, value={"nested": 1})),
                rf"field '{text}' at \S+: expected a string, got dict",
            )
        )
    date = _first_row_field(body, lambda k, v: k.endswith("RevDate") and bool(v))
    if date:
        cases.append(
            (
                "iso_date_instead_of_dd_mm_yyyy",
                _json(partial(_set_first_row, key=date, value="2016-10-13")),
                rf"field '{date}' at \S+: expected a date DD.MM.YYYY",
            )
        )
    number = _first_row_field(body, lambda k, v: isinstance(v, int) and not isinstance(v, bool))
    if number:
        cases.append(
            (
                "integer_beyond_int32",
                _json(partial(_set_first_row, key=number, value=2**40)),
                rf"field '{number}' at \S+: expected an integer in",
            )
        )
        cases.append(
            (
                "integer_as_words",
                _json(partial(_set_first_row, key=number, value="seven")),
                rf"field '{number}' at \S+: expected an integer, got 'seven'",
            )
        )
    return cases


def _row_count_cases(endpoint: Endpoint) -> list[tuple[str, dict[str, Any], str]]:
    if endpoint.rows is None:
        return []
    cases = [("empty_list", _json(lambda b: _with_rows(b, [])), r"has 0 rows in '\w+'")]
    if endpoint.rows == "one":
        cases.append(
            (
                "two_rows_for_one",
                _json(lambda b: _with_rows(b, b[_array_key(b)] * 2)),
                r"has 2 rows in '\w+'; expected exactly one row",
            )
        )
    return cases


# Every envelope fault runs on these (a top-level list, a per-plant call read by the crawl, a
# prefetched detail call, both array-by-prefix endpoints); the other endpoints get a sample.
ALL_ENVELOPE_FAULTS = frozenset(
    {"operators", "issues", "pcs_pipe_sizes", "pcs_embedded_notes", "vds_details"}
)
SAMPLE_ENVELOPE_FAULTS = frozenset(
    {
        "html_login_page",
        "cut_in_half",
        "success_false_with_data",
        "array_missing",
        "rows_are_strings",
    }
)
# Every status and transport fault runs on a list call and a prefetched detail call; a sample
# on the per-plant call and the N+1 VDS calls.
ALL_STATUS_FAULTS = frozenset({"operators", "pcs_pipe_sizes"})
SAMPLE_STATUS_FAULTS = frozenset({"http_500_every_time", "http_500_twice", "dropped_every_time"})
SAMPLE_STATUS_STREAMS = frozenset({"issues", "vds_details", "plants"})


def _status_cases() -> Iterator[tuple[str, dict[str, Any], str, str]]:
    """(name, fault, outcome, message regex)."""
    for status in (408, 429, 500, 502, 503, 504):
        yield (
            f"http_{status}_every_time",
            {"kind": "status", "status": status},
            "error",
            rf"failed after 3 attempts: GET \S+: HTTP {status}",
        )
    for status in (400, 401, 403, 410):
        yield (
            f"http_{status}",
            {"kind": "status", "status": status},
            "error",
            rf"returned HTTP {status} for",
        )
    yield (
        "html_503_every_time",
        HTML_503,
        "error",
        r"failed after 3 attempts: GET \S+: HTTP 503",
    )
    yield ("dropped_every_time", {"kind": "drop"}, "error", r"failed after 3 attempts")
    yield ("truncated_every_time", {"kind": "truncate"}, "error", r"failed after 3 attempts")
    yield ("http_500_twice", {"kind": "status", "status": 500, "times": 2}, "recovers", "")
    yield (
        "http_429_with_retry_after",
        {"kind": "status", "status": 429, "times": 1, "retry_after": 0},
        "recovers",
        "",
    )
    yield (
        "html_503_twice",
        {
            "kind": "raw",
            "status": 503,
            "payload": HTML_PAGE,
            "content_type": "text/html",
            "times": 2,
        },
        "recovers",
        "",
    )
    yield ("dropped_once", {"kind": "drop", "times": 1}, "recovers", "")
    yield ("truncated_once", {"kind": "truncate", "times": 1}, "recovers", "")


def bad_response_corpus(world: World) -> list[BadResponse]:
    """Every case for the world's first plant (the world must have issues, PCS and VDS)."""
    cases: list[BadResponse] = []
    for endpoint in endpoints(world):
        status, body = world.response(endpoint.path)
        assert status == 200, endpoint.path
        assert body, endpoint.path
        envelope = [
            case
            for case in _envelope_cases()
            if endpoint.stream in ALL_ENVELOPE_FAULTS or case[0] in SAMPLE_ENVELOPE_FAULTS
        ]
        for name, fault, message in [
            *envelope,
            *_value_cases(body),
            *_row_count_cases(endpoint),
        ]:
            cases.append(BadResponse(name, endpoint, fault, "error", message))
        for name, fault, outcome, message in _status_cases():
            if endpoint.stream in ALL_STATUS_FAULTS or (
                endpoint.stream in SAMPLE_STATUS_STREAMS and name in SAMPLE_STATUS_FAULTS
            ):
                cases.append(BadResponse(name, endpoint, fault, outcome, message))
        if endpoint.stream not in {"pcs_headers", "pcs_pipe_sizes", "pcs_embedded_notes"}:
            cases.append(
                BadResponse(
                    "http_404",
                    endpoint,
                    {"kind": "status", "status": 404},
                    "error",
                    r"HTTP 404 Not Found for",
                )
            )
    cases += _empty_lists_that_matter(world)
    return cases


def _empty_lists_that_matter(world: World) -> list[BadResponse]:
    pid = world.plant_ids()[0]
    empty = _json(lambda b: _with_rows(b, []))
    return [
        # Issue revisions are never withdrawn: a plant with a bookmark that lists none is wrong.
        BadResponse(
            "empty_after_a_good_run",
            Endpoint(f"/plants/{pid}/issues", "issues"),
            empty,
            "error",
            r"lists no issue revisions, but plant \d+ was extracted at revision",
            after_good_run=True,
        ),
        # The plant's issues reference PCS revisions, so an empty PCS list is a bad answer.
        BadResponse(
            "empty_while_issues_reference_pcs",
            Endpoint(f"/plants/{pid}/pcs", "pcs"),
            empty,
            "error",
            r"lists no PCS revisions, but the plant's issues reference \d+",
            config={"pcs_revisions": "issue_referenced"},
            select=frozenset({"pcs", "pcs_headers"}),
        ),
    ]
