"""A "world" of TR2000 API responses: what the fixture server answers for each URL.

Operators and plants are the real snapshot; everything below a plant is generated from the field
lists of the API notes with a deterministic seed, with the real samples (plant 110's PCS list, the
SC reference of issue 3.3, AD100 rev C2's pipe elements and properties) placed where they belong.
PCS and VDS detail bodies are generated on request from a hash of their identity, so a world with
thousands of detail URLs costs nothing until they are asked for.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

DATA_DIR = Path(__file__).parent / "data"

# Issue reference endpoint segment -> array key.
ISSUE_REFERENCE_KEYS = {
    "pcs": "getIssuePCSList",
    "sc": "getIssueSCList",
    "vsm": "getIssueVSMList",
    "vds": "getIssueVDSList",
    "eds": "getIssueEDSList",
    "mds": "getIssueMDSList",
    "vsk": "getIssueVSKList",
    "esk": "getIssueESKList",
    "pipe-elements": "getIssuePipeElementList",
}
# PCS revision detail endpoint segment ("" = the header) -> array key.
PCS_DETAIL_KEYS = {
    "": "getPCS",
    "temp-pressures": "getTempPressure",
    "pipe-sizes": "getPipeSize",
    "pipe-elements": "getPipeElement",
    "valve-elements": "getValveElement",
    "embedded-notes": "getEmbeddedNotes",
    "properties": "getPCSMapping",
}
PCS_REVISIONS = ["0", "00", "01", "A", "B", "C", "C2", "D", "E", "F"]
STATUSES = ["R", "S", "W", "O", "I"]


def load_sample(name: str) -> dict[str, Any]:
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


def _seeded(*parts: object) -> random.Random:
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _date(rng: random.Random, year_from: int = 2010, year_to: int = 2025) -> str:
    return f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.{rng.randint(year_from, year_to)}"


def _datetime(rng: random.Random) -> str:
    return f"{_date(rng)} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}"


def issue_revision_key(revision: str) -> tuple[int, ...]:
    return tuple(int(part) for part in revision.split("."))


@dataclass
class PlantWorld:
    """Everything below one plant."""

    plant_id: int
    issues_header: dict[str, Any]
    issues: list[dict[str, Any]]
    references: dict[tuple[str, str], list[dict[str, Any]]]  # (issue rev, segment) -> rows
    pcs_list: list[dict[str, Any]]
    # Issues reference only the first N PCS names (plant 110 lists 152 of them).
    referenced_pcs_limit: int | None = None


@dataclass
class _DetailRequest:
    pid: int
    pcs: str
    rev: str
    row: dict[str, Any]
    rng: random.Random
    material_group_id: int


@dataclass
class WorldShape:
    """How much to generate below each plant."""

    issues_per_plant: int = 2
    pcs_per_plant: int = 3
    revisions_per_pcs: int = 2
    vds_count: int = 20
    # Plants that get issues and PCS; None = every plant. The others answer empty lists.
    rich_plants: frozenset[int] | None = None


@dataclass
class World:
    operators: list[dict[str, Any]]
    plants: list[dict[str, Any]]
    shape: WorldShape
    seed: int = 2000
    plant_worlds: dict[int, PlantWorld] = field(default_factory=dict)
    vds_list: list[dict[str, Any]] = field(default_factory=list)
    # (plant, pcs, revision) whose detail endpoints answer 404.
    missing_pcs_details: set[tuple[int, str, str]] = field(default_factory=set)
    # The embedded-notes wrapper is unconfirmed (getEmbeddedNotes or getEmbeddedNote).
    embedded_notes_key: str = "getEmbeddedNotes"
    pipe_elements_sample: dict[str, Any] | None = None
    properties_sample: dict[str, Any] | None = None

    # ---- building -------------------------------------------------------------------------

    def populate(self) -> World:
        for plant in self.plants:
            pid = int(plant["PlantID"])
            self.plant_worlds[pid] = self._generate_plant(pid)
        self.vds_list = [self._vds_row(i) for i in range(self.shape.vds_count)]
        return self

    def _generate_plant(self, pid: int) -> PlantWorld:
        rng = _seeded(self.seed, "plant", pid)
        rich = self.shape.rich_plants is None or pid in self.shape.rich_plants
        pcs_list = []
        for n in range(self.shape.pcs_per_plant if rich else 0):
            name = f"{rng.choice(['AC', 'AD', 'BC', 'CD', 'DF', 'GD'])}{100 + n:03d}"
            for r in range(self.shape.revisions_per_pcs):
                pcs_list.append(self._pcs_row(rng, name, PCS_REVISIONS[r]))
        world = PlantWorld(
            plant_id=pid,
            issues_header={
                "UserName": "EIBB",
                "UserEntryTime": _datetime(rng),
                "UserProtected": "",
            },
            issues=[],
            references={},
            pcs_list=pcs_list,
        )
        for _ in range(self.shape.issues_per_plant if rich else 0):
            self._add_issue(world)
        return world

    def _pcs_row(self, rng: random.Random, name: str, revision: str) -> dict[str, Any]:
        return {
            "PCS": name,
            "Revision": revision,
            "Status": rng.choice(STATUSES),
            "RevDate": _date(rng),
            "RatingClass": rng.choice(["CL150", "CL300", "CL600", "3000 Psi"]),
            "TestPressure": "",
            "MaterialGroup": rng.choice(["CSLT", "CSNT", "SS316", "DSS"]),
            "DesignCode": rng.choice(["ASME B31.3", "DNV OS-F101", ""]),
            "LastUpdate": _datetime(rng),
            "LastUpdateBy": rng.choice(["EIBB", "ZEG", "KAH"]),
            "Approver": rng.choice(["EIBB", ""]),
            "Notepad": rng.choice(["\r\n", "", None]),
            "SpecialReqID": 0,
            "TubePCS": "",
            "NewVDSSection": "Y",
        }

    def _add_issue(self, world: PlantWorld) -> str:
        """Append the next issue revision, referencing one revision of every PCS."""
        index = len(world.issues)
        revision = str(index + 1) if index < 3 else f"{index}.{index - 2}"
        rng = _seeded(self.seed, "issue", world.plant_id, revision)
        for row in world.issues:
            row["Status"] = "S"
        row = {"IssueRevision": revision, "Status": "R", "RevDate": _date(rng), "ProtectStatus": ""}
        for part in ["General", "PCS", "EDS", "VDS", "VSK", "MDS", "ESK", "SC", "VSM"]:
            row[f"{part}Revision"] = rng.choice(["0", "A", "1", "2"])
            row[f"{part}RevDate"] = _date(rng)
        world.issues.append(row)
        # The i-th issue points at the i-th revision of each PCS (capped at the newest).
        names = list(dict.fromkeys(p["PCS"] for p in world.pcs_list))[: world.referenced_pcs_limit]
        pcs_refs = []
        for name in names:
            revisions = [p for p in world.pcs_list if p["PCS"] == name]
            chosen = revisions[min(index, len(revisions) - 1)]
            pcs_refs.append(
                {
                    "PCS": name,
                    "Revision": chosen["Revision"],
                    "RevDate": chosen["RevDate"],
                    "Status": chosen["Status"],
                    "OfficialRevision": chosen["Revision"],
                    "RevisionSuffix": "",
                    "RatingClass": chosen["RatingClass"],
                    "MaterialGroup": chosen["MaterialGroup"],
                    "HistoricalPCS": "",
                    "Delta": "N" if index else "Y",
                }
            )
        world.references[(revision, "pcs")] = pcs_refs
        for segment in ["sc", "vsm", "vds", "eds", "vsk", "esk"]:
            world.references[(revision, segment)] = [
                {
                    segment.upper(): f"{segment.upper()}{n:03d}",
                    "Revision": rng.choice(["0", "A", "B"]),
                    "RevDate": _date(rng),
                    "Status": rng.choice(["R", "O"]),
                    "OfficialRevision": rng.choice(["0", "A"]),
                    "Delta": rng.choice(["N", "Y"]),
                }
                for n in range(rng.randint(1, 3))
            ]
        world.references[(revision, "mds")] = [
            {
                "MDS": f"DP{100 + n}",
                "Revision": rng.choice(["A", "B", "C"]),
                "Area": "Europe",
                "RevDate": _date(rng),
                "Status": "R",
                "OfficialRevision": "C",
                "Delta": "N",
            }
            for n in range(rng.randint(1, 4))
        ]
        # Real MDS references can come with an empty Area, which is part of their key: the first
        # MDS is listed a second time without an area (no rng draw, so the rest stays the same).
        mds = world.references[(revision, "mds")]
        mds.append({**mds[0], "Area": ""})
        world.references[(revision, "pipe-elements")] = [
            {
                "ElementGroup": rng.choice(["PIPE", "FITTING", "FLANGE"]),
                "DimensionStandard": "ASME B16.9",
                "ProductForm": rng.choice(["Smls", "Welded"]),
                "MaterialGrade": "A790 S31803",
                "MDS": f"DP{100 + n}",
                "MDSRevision": "C",
                "Area": "Europe",
                "ElementID": 900 + n,
                "Revision": rng.choice(["0", "A"]),
                "RevDate": _date(rng),
                "Status": "R",
                "Delta": "N",
            }
            for n in range(rng.randint(1, 4))
        ]
        return revision

    def _vds_row(self, i: int) -> dict[str, Any]:
        rng = _seeded(self.seed, "vds", i)
        return {
            "VDS": f"{rng.choice(['BSFB', 'DBNA', 'GLRA'])}{10 + i}R",
            "Revision": rng.choice(["0", "A", "B"]),
            "Status": rng.choice(["R", "O"]),
            "RevDate": _date(rng),
            "LastUpdate": _datetime(rng),
            "LastUpdateBy": "EIBB",
            "Description": "Ball valve, full bore",
            "Notepad": "",
            "SpecialReqID": 0,
            "ValveTypeID": rng.randint(1, 30),
            "RatingClassID": rng.randint(1, 10),
            "MaterialGroupID": rng.randint(1, 20),
            "EndConnectionID": rng.randint(1, 9),
            "BoreID": rng.randint(1, 3),
            "VDSSizeID": rng.randint(1, 12),
            "SizeRange": '1/2" - 2"',
            "CustomName": "",
            "SubsegmentList": "1,2,3",
        }

    # ---- changes tests make -------------------------------------------------------------

    def publish_issue(self, plant_id: int) -> str:
        """A new issue revision for one plant (what a weekly change looks like)."""
        return self._add_issue(self.plant_worlds[plant_id])

    # ---- answering ------------------------------------------------------------------------

    def response(self, path: str) -> tuple[int, dict[str, Any] | None]:
        """(HTTP status, JSON body) for a URL path (query string ignored)."""
        segments = [unquote(s) for s in path.split("?", 1)[0].split("/") if s]
        try:
            body = self._route(segments)
        except KeyError:
            return 404, None
        return (200, body) if body is not None else (404, None)

    def _route(self, seg: list[str]) -> dict[str, Any] | None:  # noqa: PLR0911
        match seg:
            case ["operators"]:
                return {"success": True, "getOperator": self.operators}
            case ["operators", op, "plants"]:
                rows = [p for p in self.plants if str(p["OperatorID"]) == op]
                return {"success": True, "getPlant": rows}
            case ["plants"]:
                return {"success": True, "getPlant": self.plants}
            case ["plants", pid]:
                return {"success": True, "getPlant": [self._plant_detail(int(pid))]}
            case ["plants", pid, "issues"]:
                world = self.plant_worlds[int(pid)]
                return {"success": True, **world.issues_header, "getIssueList": world.issues}
            case ["plants", pid, "issues", "rev", rev, kind] if kind in ISSUE_REFERENCE_KEYS:
                rows = self.plant_worlds[int(pid)].references[(rev, kind)]
                return {"success": True, ISSUE_REFERENCE_KEYS[kind]: rows}
            case ["plants", pid, "pcs"]:
                return {"success": True, "getPCS": self.plant_worlds[int(pid)].pcs_list}
            case ["plants", pid, "pcs", pcs, "rev", rev]:
                return self._pcs_detail(int(pid), pcs, rev, "")
            case ["plants", pid, "pcs", pcs, "rev", rev, kind] if kind in PCS_DETAIL_KEYS:
                return self._pcs_detail(int(pid), pcs, rev, kind)
            case ["vds"]:
                return {"success": True, "getVDS": self.vds_list}
            case ["vds", vds, "rev", rev]:
                return self._vds_detail(vds, rev)
        return None

    def _plant_detail(self, pid: int) -> dict[str, Any]:
        plant = next(p for p in self.plants if int(p["PlantID"]) == pid)
        rng = _seeded(self.seed, "plant-detail", pid)
        extra = {
            "EnableEmbeddedNote": rng.choice(["Y", "N"]),
            "CategoryID": str(rng.randint(1, 5)),
            "Category": rng.choice(["Platform", "Library", "Frame agreement"]),
            "DocumentSpaceLink": "",
            "EnableCopyPCSFromPlant": "N",
            "OverLength": "N",
            "PCSQA": "Y",
            "EDSMJ": "N",
            "CelsiusBar": "Y",
            "WebInfoText": "",
            "BoltTensionText": "",
            "Visible": "Y",
            "WindowsRemarkText": "",
            "UserProtected": "",
        }
        return {**plant, **extra}

    def _pcs_detail(self, pid: int, pcs: str, rev: str, kind: str) -> dict[str, Any] | None:
        listed = [
            p for p in self.plant_worlds[pid].pcs_list if p["PCS"] == pcs and p["Revision"] == rev
        ]
        if not listed or (pid, pcs, rev) in self.missing_pcs_details:
            return None
        request = _DetailRequest(
            pid=pid,
            pcs=pcs,
            rev=rev,
            row=listed[0],
            rng=_seeded(self.seed, "pcs-detail", pid, pcs, rev, kind),
            material_group_id=_seeded(self.seed, "mgid", pid, pcs).randint(1, 30),
        )
        builder = getattr(self, "_detail_" + (kind.replace("-", "_") or "header"))
        return builder(request)

    def _detail_header(self, req: _DetailRequest) -> dict[str, Any]:
        return {
            "success": True,
            "getPCS": [self._pcs_header(req.rng, req.row, req.material_group_id)],
        }

    def _detail_temp_pressures(self, req: _DetailRequest) -> dict[str, Any]:
        rng = req.rng
        temps = sorted({rng.randint(-46, 200) for _ in range(rng.randint(2, 6))})
        rows = [{"Temperature": str(t), "Pressure": f"{rng.uniform(5, 50):.1f}"} for t in temps]
        return {"success": True, "getTempPressure": rows}

    def _detail_pipe_sizes(self, req: _DetailRequest) -> dict[str, Any]:
        rng = req.rng
        sizes = ["0.5", "0.75", "1", "1.5", "2", "3", "4", "6", "8", "10"]
        rows = [
            {
                "NomSize": size,
                "OuterDiam": f"{float(size) * 25.4 + 10:.1f}",
                "WallThickness": f"{rng.uniform(2, 12):.2f}",
                "Schedule": rng.choice(["10S", "40S", "80S", "STD", ""]),
                "UnderTolerance": "12.5",
                "CorrosionAllowance": "0",
                "WeldingFactor": "1.00",
                "DimElementChange": "",
                "ScheduleInMatrix": "Y",
            }
            for size in sizes[: rng.randint(3, len(sizes))]
        ]
        # An early help-page copy lists per-column revision marks; serve them on some revisions.
        if rng.random() < 0.5:
            marks = [
                "NomSize",
                "OuterDiam",
                "WallThickness",
                "Schedule",
                "CorrAllow",
                "WeldFactor",
                "UnderTol",
            ]
            for row in rows:
                row.update({f"{m}RevisionMark": rng.choice(["", "A"]) for m in marks})
        return {"success": True, "PCS": req.pcs, "Revision": req.rev, "getPipeSize": rows}

    def _detail_pipe_elements(self, req: _DetailRequest) -> dict[str, Any]:
        if (req.pid, req.pcs, req.rev) == (34, "AD100", "C2") and self.pipe_elements_sample:
            return self.pipe_elements_sample
        return {
            "success": True,
            "PCS": req.pcs,
            "Revision": req.rev,
            "MaterialGroupID": req.material_group_id,
            "getPipeElement": self._element_rows(req.rng, "ElementGroupNo", pipe=True),
        }

    def _detail_valve_elements(self, req: _DetailRequest) -> dict[str, Any]:
        return {"success": True, "getValveElement": self._element_rows(req.rng, "ValveGroupNo")}

    def _detail_embedded_notes(self, req: _DetailRequest) -> dict[str, Any]:
        rows = [
            {
                "PCSName": req.pcs,
                "Revision": req.rev,
                "TextSectionID": str(n),
                "TextSectionDescription": f"Note section {n}",
                "PageBreak": "N",
                "HTMLCLOB": f"<p>Note {n} for {req.pcs} rev {req.rev}.</p>",
            }
            for n in range(1, req.rng.randint(1, 4) + 1)
        ]
        return {"success": True, self.embedded_notes_key: rows}

    def _detail_properties(self, req: _DetailRequest) -> dict[str, Any] | None:
        # Only the one recorded response exists; the endpoint is undocumented.
        if (req.pid, req.pcs, req.rev) == (34, "AD100", "C2"):
            return self.properties_sample
        return None

    def _pcs_header(self, rng: random.Random, row: dict[str, Any], mgid: int) -> dict[str, Any]:
        header = {k: row[k] for k in ["PCS", "Revision", "Status", "RevDate", "RatingClass"]}
        header.update(
            {
                "TestPressure": row["TestPressure"],
                "MaterialGroup": row["MaterialGroup"],
                "DesignCode": row["DesignCode"],
                "LastUpdate": row["LastUpdate"],
                "LastUpdateBy": row["LastUpdateBy"],
                "Approver": row["Approver"],
                "Notepad": row["Notepad"],
                "SC": "SUMMARY",
                "VSM": "",
                "DesignCodeRevMark": "",
                "CorrAllowance": rng.choice([0, 1, 3]),
                "CorrAllowanceRevMark": "",
                "LongWeldEff": "1.0",
                "LongWeldEffRevMark": "",
                "WallThkTol": "12.5",
                "WallThkTolRevMark": "",
                "ServiceRemark": "",
                "ServiceRemarkRevMark": "",
            }
        )
        for n in range(1, 13):
            header[f"DesignPress{n:02d}"] = f"{rng.uniform(5, 50):.1f}" if n <= 4 else ""
            header[f"DesignTemp{n:02d}"] = str(-46 + 40 * n) if n <= 4 else ""
        header.update({"DesignPressRevMark": "", "DesignTempRevMark": ""})
        for name in [
            "NoteIDCorrAllowance",
            "NoteIDServiceCode",
            "NoteIDWallThkTol",
            "NoteIDLongWeldEff",
            "NoteIDGeneralPCS",
            "NoteIDDesignCode",
            "NoteIDPressTempTable",
            "NoteIDPipeSizeWthTable",
        ]:
            header[name] = rng.choice(["", "1", "12"])
        header.update(
            {
                "PressElementChange": "",
                "TempElementChange": "",
                "MaterialGroupID": mgid,
                "SpecialReqID": row["SpecialReqID"],
                "SpecialReq": "",
                "NewVDSSection": row["NewVDSSection"],
                "TubePCS": row["TubePCS"],
                "EDSMJMatrix": "N",
                "MJReductionFactor": 0,
            }
        )
        return header

    def _element_rows(
        self, rng: random.Random, group_field: str, *, pipe: bool = False
    ) -> list[dict[str, Any]]:
        rows = []
        for group in range(1, rng.randint(2, 5) + 1):
            for line in range(1, rng.randint(1, 4) + 1):
                common = {
                    group_field: group * 10,
                    "LineNo": line,
                    "FromSize": "0.5",
                    "ToSize": rng.choice(["2", "24", "48"]),
                    "Revmark": rng.choice(["", "A"]),
                    "Remark": "",
                    "PageBreak": "N",
                    "NoteID": "",
                    "NewDeletedLine": "",
                    "InitialInfo": "",
                    "InitialRevmark": "",
                }
                if pipe:
                    common.update(
                        {
                            "Element": rng.choice(["PIPE", "FITTING", "FLANGE"])
                            if line == 1
                            else "",
                            "DimStandard": "ASME B36.19/10",
                            "ProductForm": rng.choice(["Smls", "Welded"]),
                            "Material": "A790 S31803",
                            "MDS": "DP101",
                            "EDS": "",
                            "EDSRevision": "",
                            "ESK": "",
                            "ElementID": rng.randint(900, 1200),
                            "FreeText": "N",
                            "MDSVariant": "DP101-001",
                            "MDSRevision": "C",
                            "Area": "Europe",
                        }
                    )
                else:
                    common.update(
                        {
                            "ValveType": rng.choice(["BALL", "GATE", "CHECK"]) if line == 1 else "",
                            "VDS": f"BSFB{rng.randint(10, 99)}R",
                            "ValveDescription": "Ball valve",
                            "PreviousVDS": "",
                            "SizeRange": '1/2" - 2"',
                            "Status": "R",
                            "Revision": "A",
                        }
                    )
                rows.append(common)
        return rows

    def _vds_detail(self, vds: str, rev: str) -> dict[str, Any] | None:
        if not any(v["VDS"] == vds and v["Revision"] == rev for v in self.vds_list):
            return None
        rng = _seeded(self.seed, "vds-detail", vds, rev)
        rows = [
            {
                "ValveTypeID": rng.randint(1, 30),
                "RatingClassID": rng.randint(1, 10),
                "MaterialTypeID": rng.randint(1, 20),
                "EndConnectionID": rng.randint(1, 9),
                "FullReducedBoreIndicator": "F",
                "BoreID": 1,
                "VDSSizeID": 3,
                "HousingDesignIndicator": "",
                "HousingDesignID": 0,
                "SpecialReqID": 0,
                "MinOperatingTemperature": -46,
                "MaxOperatingTemperature": 200,
                "VDSDescription": "Ball valve, full bore",
                "Notepad": "",
                "RevDate": _date(rng),
                "LastUpdate": _datetime(rng),
                "LastUpdateBy": "EIBB",
                "SubsegmentID": 100 + n,
                "SubsegmentName": f"Subsegment {n}",
                "Sequence": n,
            }
            for n in range(1, rng.randint(1, 3) + 1)
        ]
        # The wrapper of this endpoint is unknown (NOTES §9); the tap accepts any get* array.
        return {"success": True, "getVDSSubsegmentsAndProperties": rows}

    # ---- inventory (tests and the bench count on it) -----------------------------------------

    def plant_ids(self) -> list[int]:
        return [int(p["PlantID"]) for p in self.plants]


def _place_real_samples(world: World) -> None:
    """Put the real recorded responses where they came from (plants 110 and 34)."""
    if 110 in world.plant_worlds:
        js = world.plant_worlds[110]
        js.pcs_list = load_sample("pcs_list.reconstructed.json")["getPCS"]
        js.referenced_pcs_limit = 8
        js.issues.clear()
        js.references.clear()
        for _ in range(3):
            world._add_issue(js)
        # The recorded SC row belongs to issue revisions 3.3/3.4/3.5 of plant 110.
        sc_rows = load_sample("issue_sc_references.reconstructed.json")["getIssueSCList"]
        for revision in [row["IssueRevision"] for row in js.issues]:
            js.references[(revision, "sc")] = sc_rows
    if 34 in world.plant_worlds:
        grane = world.plant_worlds[34]
        if not any(p["PCS"] == "AD100" for p in grane.pcs_list):
            rng = _seeded(world.seed, "grane")
            grane.pcs_list.append(world._pcs_row(rng, "AD100", "C2"))
            for (_, kind), rows in grane.references.items():
                if kind == "pcs":
                    rows.append(
                        {**rows[0], "PCS": "AD100", "Revision": "C2", "OfficialRevision": "C2"}
                    )
        world.pipe_elements_sample = load_sample("pcs_pipe_elements.reconstructed.json")
        world.properties_sample = load_sample("pcs_properties.json")


SAMPLE_RICH_PLANTS = frozenset({7, 34, 47, 110})


def sample_world(seed: int = 2000, shape: WorldShape | None = None) -> World:
    """The real 8 operators and 130 plants; issues and PCS below plants 7, 34, 47 and 110.

    The other plants answer empty issue and PCS lists (like the many library plants), which keeps
    the demo and the tests quick.
    """
    world = World(
        operators=load_sample("operators.reconstructed.json")["getOperator"],
        plants=load_sample("plants.reconstructed.json")["getPlant"],
        shape=shape or WorldShape(rich_plants=SAMPLE_RICH_PLANTS),
        seed=seed,
    ).populate()
    _place_real_samples(world)
    return world


def generated_world(plants: int = 20, seed: int = 2000, shape: WorldShape | None = None) -> World:
    """A world of generated plants, sized for tests and the benchmark."""
    operators = load_sample("operators.reconstructed.json")["getOperator"]
    rng = _seeded(seed, "plants")
    rows = []
    for n in range(plants):
        operator = operators[n % len(operators)]
        rows.append(
            {
                "OperatorID": operator["OperatorID"],
                "OperatorName": operator["OperatorName"],
                "PlantID": 1000 + n,
                "ShortDescription": f"PLANT{n}",
                "Project": "",
                "LongDescription": f"Generated plant {n}",
                "CommonLibPlantCode": rng.choice(["", "GFA;GFB"]),
                "InitialRevision": "1",
                "AreaID": 1,
                "Area": "Europe",
            }
        )
    shape = shape or WorldShape(issues_per_plant=4, pcs_per_plant=12, revisions_per_pcs=3)
    return World(operators=operators, plants=rows, shape=shape, seed=seed).populate()


def build_world(kind: str, seed: int = 2000) -> World:
    if kind == "sample":
        return sample_world(seed)
    if kind == "full":
        return generated_world(seed=seed)
    msg = f"unknown TR2000 world {kind!r}; use 'sample' or 'full'"
    raise ValueError(msg)
