"""The global VDS list and (opt-in) the detail of each VDS revision."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from singer_sdk.helpers.types import Context

from tap_tr2000.client import require_rows
from tap_tr2000.streams_base import Tr2000Stream


class VdsStream(Tr2000Stream):
    """`/vds`: one large response (~50k rows, ~30 MB, 20-40 s)."""

    name = "vds"
    primary_keys: ClassVar[list[str]] = ["VDS", "Revision"]
    array_key = "getVDS"
    required_fields = ("VDS", "Revision")

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        envelope = self.fetch(self.client.url("vds"))
        require_rows(envelope, self.name)
        if not self.selected_children():
            yield from self.records_from(envelope, {})
            return
        # Conform first (a row without VDS or Revision fails here), then queue the detail calls.
        records = list(self.records_from(envelope, {}))
        self.client.prefetcher.schedule(
            [self.client.url("vds", r["VDS"], "rev", r["Revision"]) for r in records]
        )
        yield from records

    def get_child_context(self, record: dict, context: Context | None) -> dict:
        return {"VDS": record["VDS"], "Revision": record["Revision"]}


class VdsDetailsStream(Tr2000Stream):
    """`/vds/{vds}/rev/{rev}`: wrapper name unconfirmed, so the first `get…` array is read."""

    name = "vds_details"
    primary_keys: ClassVar[list[str]] = ["VDS", "Revision", "RowNumber"]
    array_key = "get"
    array_key_is_prefix = True
    sequence_field = "RowNumber"
    parent_stream_type = VdsStream

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        assert context is not None
        url = self.client.url("vds", context["VDS"], "rev", context["Revision"])
        yield from self.records_from(
            self.fetch(url), {"VDS": context["VDS"], "Revision": context["Revision"]}
        )
