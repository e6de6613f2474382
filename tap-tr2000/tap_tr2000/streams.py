"""Operators, plants and the per-plant issue streams."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, ClassVar

from singer_sdk.helpers.types import Context

from tap_tr2000.client import require_rows
from tap_tr2000.settings import setting
from tap_tr2000.streams_base import Tr2000Stream

# Issue reference endpoint segment -> (stream name, array key, natural key after PlantID+issue).
ISSUE_REFERENCES: dict[str, tuple[str, str, list[str]]] = {
    "pcs": ("issue_pcs_references", "getIssuePCSList", ["PCS", "Revision"]),
    "sc": ("issue_sc_references", "getIssueSCList", ["SC", "Revision"]),
    "vsm": ("issue_vsm_references", "getIssueVSMList", ["VSM", "Revision"]),
    "vds": ("issue_vds_references", "getIssueVDSList", ["VDS", "Revision"]),
    "eds": ("issue_eds_references", "getIssueEDSList", ["EDS", "Revision"]),
    "mds": ("issue_mds_references", "getIssueMDSList", ["MDS", "Revision", "Area"]),
    "vsk": ("issue_vsk_references", "getIssueVSKList", ["VSK", "Revision"]),
    "esk": ("issue_esk_references", "getIssueESKList", ["ESK", "Revision"]),
    "pipe-elements": (
        "issue_pipe_element_references",
        "getIssuePipeElementList",
        ["ElementID", "Revision"],
    ),
}


class OperatorsStream(Tr2000Stream):
    name = "operators"
    primary_keys: ClassVar[list[str]] = ["OperatorID"]
    array_key = "getOperator"

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        envelope = self.fetch(self.client.url("operators"))
        require_rows(envelope, self.name)
        yield from self.records_from(envelope, {})


class PlantsStream(Tr2000Stream):
    """Every plant (or the configured `plant_ids`); the parent of all per-plant streams."""

    name = "plants"
    primary_keys: ClassVar[list[str]] = ["PlantID"]
    array_key = "getPlant"
    required_fields = ("PlantID",)
    LOOKAHEAD_PLANTS = 2

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        envelope = self.fetch(self.client.url("plants"))
        require_rows(envelope, self.name)
        wanted = {str(p) for p in self.config.get("plant_ids") or []}
        records = [
            r for r in self.records_from(envelope, {}) if not wanted or r["PlantID"] in wanted
        ]
        missing = wanted - {r["PlantID"] for r in records}
        if missing:
            msg = f"plant_ids {sorted(missing)} are not in the plant list at {envelope.url}"
            raise ValueError(msg)
        self._plant_order = [r["PlantID"] for r in records]
        self._tap_tr2000.progress.plants_total = len(records)
        yield from records

    def get_child_context(self, record: dict, context: Context | None) -> dict:
        return {"PlantID": record["PlantID"]}

    def generate_child_contexts(
        self, record: dict[str, Any], context: Context | None
    ) -> Iterator[dict[str, Any]]:
        # The SDK syncs the children of each context yielded here before it asks for the next:
        # the code after `yield` runs once the plant's children are done (and not if they fail).
        child_context = self.get_child_context(record, context)
        if not self.selected_children():
            yield child_context
            return
        plant_id = child_context["PlantID"]
        # Start the next plants' issue calls now: they decide whether those plants are crawled.
        index = self._plant_order.index(plant_id)
        upcoming = self._plant_order[index + 1 : index + 1 + self.LOOKAHEAD_PLANTS]
        self.client.prefetcher.schedule([self.crawler.issues_url(p) for p in upcoming], front=True)
        yield child_context
        self.crawler.finish_plant(plant_id)


class PlantDetailsStream(Tr2000Stream):
    """`/plants/{id}`: the plant with its configuration fields (one call per changed plant)."""

    name = "plant_details"
    primary_keys: ClassVar[list[str]] = ["PlantID"]
    array_key = "getPlant"
    parent_stream_type = PlantsStream

    def url_for(self, plant_id: str) -> str:
        return self.client.url("plants", plant_id)

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        if (crawl := self.changed_plant(context)) is None:
            return
        envelope = self.fetch(self.url_for(crawl.plant_id))
        require_rows(envelope, self.name, exactly_one=True)
        yield from self.records_from(envelope, {})


class IssuesStream(Tr2000Stream):
    """Issue revisions of a plant; the envelope's user fields are copied onto every row.

    Keeps the per-plant bookmark (latest issue revision) in its state partitions.
    """

    name = "issues"
    primary_keys: ClassVar[list[str]] = ["PlantID", "IssueRevision"]
    array_key = "getIssueList"
    required_fields = ("IssueRevision",)
    parent_stream_type = PlantsStream
    state_partitioning_keys: ClassVar[list[str] | None] = ["PlantID"]

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        if (crawl := self.changed_plant(context)) is None:
            return
        plant_id = crawl.plant_id
        self._schedule_plant_calls(plant_id, crawl.issue_revisions)
        yield from self.records_from(crawl.issues, {"PlantID": plant_id})

    def _schedule_plant_calls(self, plant_id: str, issue_revisions: list[str]) -> None:
        """Queue the plant's calls in the order its streams will read them."""
        tap = self._tap_tr2000
        urls = []
        for revision in issue_revisions:
            for child in self.selected_children():
                assert isinstance(child, IssueReferenceStream)
                urls.append(child.url_for(plant_id, revision))
        details = tap.streams["plant_details"]
        if details.selected:
            urls.append(self.client.url("plants", plant_id))
        pcs = tap.streams["pcs"]
        if pcs.selected or pcs.has_selected_descendents:
            urls.append(self.client.url("plants", plant_id, "pcs"))
            if (
                setting(tap.config, "pcs_revisions") == "issue_referenced"
                and pcs.has_selected_descendents
            ):
                urls += [
                    self.client.url("plants", plant_id, "issues", "rev", rev, "pcs")
                    for rev in issue_revisions
                ]
        self.client.prefetcher.schedule(urls)

    def get_child_context(self, record: dict, context: Context | None) -> dict:
        return {"PlantID": record["PlantID"], "IssueRevision": record["IssueRevision"]}


class IssueReferenceStream(Tr2000Stream):
    """Base for the nine `/plants/{id}/issues/rev/{rev}/{type}` streams."""

    parent_stream_type = IssuesStream
    segment: ClassVar[str] = ""

    def url_for(self, plant_id: str, issue_revision: str) -> str:
        return self.client.url("plants", plant_id, "issues", "rev", issue_revision, self.segment)

    def get_records(self, context: Context | None) -> Iterator[dict[str, Any]]:
        assert context is not None
        plant_id, revision = context["PlantID"], context["IssueRevision"]
        crawl = self.crawler.plant(plant_id)
        if self.segment == "pcs":
            envelope = self.crawler.pcs_references(crawl, revision)
        else:
            envelope = self.fetch(self.url_for(plant_id, revision))
        yield from self.records_from(envelope, {"PlantID": plant_id, "IssueRevision": revision})


def _reference_stream(segment: str) -> type[IssueReferenceStream]:
    name, array_key, natural_key = ISSUE_REFERENCES[segment]
    class_name = "".join(part.title() for part in name.split("_")) + "Stream"
    return type(
        class_name,
        (IssueReferenceStream,),
        {
            "name": name,
            "segment": segment,
            "array_key": array_key,
            "primary_keys": ["PlantID", "IssueRevision", *natural_key],
            "__doc__": f"`/plants/{{id}}/issues/rev/{{rev}}/{segment}` ({array_key}).",
        },
    )


ISSUE_REFERENCE_STREAMS = [_reference_stream(segment) for segment in ISSUE_REFERENCES]
