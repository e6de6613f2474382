"""The plant's PCS list and the six detail streams of each selected PCS revision."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from singer_sdk.helpers.types import Context

from tap_tr2000.client import Tr2000Error, Tr2000NotFoundError, require_rows
from tap_tr2000.settings import setting
from tap_tr2000.streams import PlantsStream
from tap_tr2000.streams_base import Tr2000Stream


class PcsStream(Tr2000Stream):
    """`/plants/{id}/pcs`: every revision of every PCS; details follow for the selected ones."""

    name = "pcs"
    primary_keys: ClassVar[list[str]] = ["PlantID", "PCS", "Revision"]
    array_key = "getPCS"
    required_fields = ("PCS", "Revision")
    parent_stream_type = PlantsStream

    def __init__(self, tap: Any) -> None:
        super().__init__(tap)
        self._detail_revisions: set[tuple[str, str]] = set()

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        if (crawl := self.changed_plant(context)) is None:
            return
        plant_id = crawl.plant_id
        envelope = self.fetch(self.client.url("plants", plant_id, "pcs"))
        records = list(self.records_from(envelope, {"PlantID": plant_id}))
        chosen = self._choose_revisions(plant_id, records) if self.selected_children() else []
        self._detail_revisions = set(chosen)
        self.logger.info(
            "Plant %s: %d PCS revisions listed, %d selected for details (%s)",
            plant_id,
            len(records),
            len(chosen),
            setting(self.config, "pcs_revisions"),
        )
        self.client.prefetcher.schedule(
            [
                child.url_for(plant_id, pcs, revision)
                for pcs, revision in chosen
                for child in self.selected_children()
                if isinstance(child, PcsDetailStream)
            ]
        )
        yield from records

    def _choose_revisions(
        self, plant_id: str, records: list[dict[str, Any]]
    ) -> list[tuple[str, str]]:
        """(PCS, Revision) pairs in PCS-list order, per the `pcs_revisions` scope."""
        scope = setting(self.config, "pcs_revisions")
        listed = [(r["PCS"], r["Revision"]) for r in records]
        if scope == "all":
            return listed
        if scope == "latest":
            newest: dict[str, tuple[str, tuple[str, int]]] = {}
            for position, record in enumerate(records):
                # Latest by RevDate; the later list position wins a tie.
                rank = (record.get("RevDate") or "", position)
                if record["PCS"] not in newest or rank > newest[record["PCS"]][1]:
                    newest[record["PCS"]] = (record["Revision"], rank)
            return [pair for pair in listed if newest[pair[0]][0] == pair[1]]
        crawl = self.crawler.plant(plant_id)
        referenced: set[tuple[str, str]] = set()
        for issue_revision in crawl.issue_revisions:
            envelope = self.crawler.pcs_references(crawl, issue_revision)
            for row in envelope.rows:
                revision = row.get("OfficialRevision") or row.get("Revision")
                if row.get("PCS") and revision not in (None, ""):
                    referenced.add((str(row["PCS"]), str(revision)))
        if referenced and not listed:
            msg = (
                f"stream pcs: TR2000 response from {self.client.url('plants', plant_id, 'pcs')} "
                f"lists no PCS revisions, but the plant's issues reference {len(referenced)}"
            )
            raise Tr2000Error(msg)
        unlisted = referenced - set(listed)
        if unlisted:
            self.crawler.counters.unlisted_referenced_revisions += len(unlisted)
            self.logger.warning(
                "Plant %s: %d PCS revisions referenced by issues are not in the PCS list, so "
                "have no details: %s",
                plant_id,
                len(unlisted),
                sorted(unlisted)[:20],
            )
        return [pair for pair in listed if pair in referenced]

    def generate_child_contexts(
        self, record: dict, context: Context | None
    ) -> Iterable[dict | None]:
        if (record["PCS"], record["Revision"]) in self._detail_revisions:
            yield {
                "PlantID": record["PlantID"],
                "PCS": record["PCS"],
                "PCSRevision": record["Revision"],
            }


class PcsDetailStream(Tr2000Stream):
    """Base for `/plants/{id}/pcs/{pcs}/rev/{rev}[/{segment}]`.

    Every row carries PlantID, PCS and PCSRevision (from the URL) plus the envelope's header
    scalars. A 404 for one revision is a counted warning: the list names revisions whose detail
    is not served.
    """

    parent_stream_type = PcsStream
    segment: ClassVar[str] = ""
    exactly_one_row: ClassVar[bool] = False

    def url_for(self, plant_id: str, pcs: str, revision: str) -> str:
        parts = ["plants", plant_id, "pcs", pcs, "rev", revision]
        return self.client.url(*parts, *([self.segment] if self.segment else []))

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        assert context is not None
        plant_id, pcs, revision = context["PlantID"], context["PCS"], context["PCSRevision"]
        url = self.url_for(plant_id, pcs, revision)
        try:
            envelope = self.fetch(url)
        except Tr2000NotFoundError:
            self.crawler.counters.missing_pcs_details += 1
            self.logger.warning(
                "Stream %s: HTTP 404 for %s; no rows for this revision", self.name, url
            )
            return
        if self.exactly_one_row:
            require_rows(envelope, self.name, exactly_one=True)
        yield from self.records_from(
            envelope, {"PlantID": plant_id, "PCS": pcs, "PCSRevision": revision}
        )


class PcsHeadersStream(PcsDetailStream):
    name = "pcs_headers"
    primary_keys: ClassVar[list[str]] = ["PlantID", "PCS", "PCSRevision"]
    array_key = "getPCS"
    exactly_one_row = True  # a listed revision always has its header


class PcsTempPressuresStream(PcsDetailStream):
    name = "pcs_temp_pressures"
    primary_keys: ClassVar[list[str]] = ["PlantID", "PCS", "PCSRevision", "Temperature"]
    array_key = "getTempPressure"
    segment = "temp-pressures"


class PcsPipeSizesStream(PcsDetailStream):
    name = "pcs_pipe_sizes"
    primary_keys: ClassVar[list[str]] = ["PlantID", "PCS", "PCSRevision", "NomSize"]
    array_key = "getPipeSize"
    segment = "pipe-sizes"


class PcsPipeElementsStream(PcsDetailStream):
    name = "pcs_pipe_elements"
    primary_keys: ClassVar[list[str]] = [
        "PlantID",
        "PCS",
        "PCSRevision",
        "ElementGroupNo",
        "LineNo",
    ]
    array_key = "getPipeElement"
    segment = "pipe-elements"


class PcsValveElementsStream(PcsDetailStream):
    name = "pcs_valve_elements"
    primary_keys: ClassVar[list[str]] = ["PlantID", "PCS", "PCSRevision", "ValveGroupNo", "LineNo"]
    array_key = "getValveElement"
    segment = "valve-elements"


class PcsEmbeddedNotesStream(PcsDetailStream):
    """TextSectionID repeats within a revision, so NoteSequence (row position) is the key."""

    name = "pcs_embedded_notes"
    primary_keys: ClassVar[list[str]] = ["PlantID", "PCS", "PCSRevision", "NoteSequence"]
    array_key = "getEmbeddedNote"  # getEmbeddedNotes or getEmbeddedNote: unconfirmed
    array_key_is_prefix = True
    sequence_field = "NoteSequence"
    segment = "embedded-notes"


PCS_DETAIL_STREAMS: list[type[PcsDetailStream]] = [
    PcsHeadersStream,
    PcsTempPressuresStream,
    PcsPipeSizesStream,
    PcsPipeElementsStream,
    PcsValveElementsStream,
    PcsEmbeddedNotesStream,
]
