"""Per-plant change detection and bookkeeping shared by the plant's streams.

A plant is crawled (details, PCS list and every detail call) only when its latest issue revision
differs from the bookmark saved in state; otherwise its issues response is the only call made.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tap_tr2000.client import Envelope, Tr2000Client, Tr2000Error

if TYPE_CHECKING:
    from singer_sdk import Stream

    from tap_tr2000.progress import Progress

BOOKMARK_KEY = "latest_issue_revision"


def issue_revision_order(revision: str) -> tuple[int, tuple[int, ...] | str]:
    """Sort key for issue revisions like "1", "3.3", "10" (numeric parts compared as numbers)."""
    try:
        return (1, tuple(int(part) for part in revision.split(".")))
    except ValueError:
        return (0, revision)


@dataclass
class PlantCrawl:
    plant_id: str
    issues: Envelope
    latest_revision: str | None
    changed: bool
    pcs_reference_memo: dict[str, Envelope] = field(default_factory=dict)

    @property
    def issue_revisions(self) -> list[str]:
        return [str(row["IssueRevision"]) for row in self.issues.rows if row.get("IssueRevision")]


@dataclass
class CrawlCounters:
    plants_crawled: int = 0
    plants_unchanged: int = 0
    missing_pcs_details: int = 0
    unlisted_referenced_revisions: int = 0
    duplicate_keys: int = 0
    unknown_fields: dict[str, set[str]] = field(default_factory=dict)


class Crawler:
    def __init__(
        self,
        client: Tr2000Client,
        issues_stream: Stream,
        logger: logging.Logger,
        progress: Progress,
        write_state: Callable[[], None],
    ) -> None:
        self.client = client
        self.write_state = write_state
        self.progress = progress
        self.issues_stream = issues_stream
        self.logger = logger
        self.counters = CrawlCounters()
        self._plants: dict[str, PlantCrawl] = {}

    def issues_url(self, plant_id: str) -> str:
        return self.client.url("plants", plant_id, "issues")

    def plant(self, plant_id: str) -> PlantCrawl:
        """The plant's issues and whether it changed since the bookmark (fetched once per run)."""
        if plant_id in self._plants:
            return self._plants[plant_id]
        issues = self.client.fetch(self.issues_url(plant_id), "getIssueList", stream="issues")
        revisions = [str(r["IssueRevision"]) for r in issues.rows if r.get("IssueRevision")]
        latest = max(revisions, key=issue_revision_order) if revisions else None
        state = self._bookmark_state(plant_id)
        if latest is None and state.get(BOOKMARK_KEY):
            # Issue revisions are never withdrawn: an empty list now is a bad answer.
            msg = (
                f"stream issues: TR2000 response from {issues.url} lists no issue revisions, "
                f"but plant {plant_id} was extracted at revision {state[BOOKMARK_KEY]}"
            )
            raise Tr2000Error(msg)
        changed = BOOKMARK_KEY not in state or state[BOOKMARK_KEY] != latest
        crawl = PlantCrawl(plant_id, issues, latest, changed)
        self._plants[plant_id] = crawl
        if changed:
            self.counters.plants_crawled += 1
            self.logger.info(
                "Plant %s: latest issue revision %s (bookmark %s): extracting",
                plant_id,
                latest,
                state.get(BOOKMARK_KEY, "none"),
            )
        else:
            self.counters.plants_unchanged += 1
            self.logger.info(
                "Plant %s: issues unchanged since revision %s: skipped with its children",
                plant_id,
                latest,
            )
        return crawl

    def pcs_references(self, crawl: PlantCrawl, issue_revision: str) -> Envelope:
        """An issue's PCS references, fetched once (read by its stream and the revision scope)."""
        if issue_revision not in crawl.pcs_reference_memo:
            url = self.client.url("plants", crawl.plant_id, "issues", "rev", issue_revision, "pcs")
            crawl.pcs_reference_memo[issue_revision] = self.client.fetch(
                url, "getIssuePCSList", stream="issue_pcs_references"
            )
        return crawl.pcs_reference_memo[issue_revision]

    def finish_plant(self, plant_id: str) -> None:
        """Every stream of the plant is done: advance its bookmark and free its memory."""
        crawl = self._plants.pop(plant_id, None)
        self.progress.plant_done(unchanged=crawl is not None and not crawl.changed)
        leftover = self.client.prefetcher.discard_pending(self.client.url("plants", plant_id) + "/")
        if leftover:  # a scheduling bug, not a data problem: say so, the data is complete
            self.logger.warning("Plant %s: %d prefetched calls were not read", plant_id, leftover)
        if crawl is None or not crawl.changed:
            return
        state = self._bookmark_state(plant_id)
        state[BOOKMARK_KEY] = crawl.latest_revision
        # Emit STATE now: everything of this plant has been written, so a later failure keeps
        # this plant's progress.
        self.write_state()

    def _bookmark_state(self, plant_id: str) -> dict[str, Any]:
        return self.issues_stream.get_context_state({"PlantID": plant_id})
