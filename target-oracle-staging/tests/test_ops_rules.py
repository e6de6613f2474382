"""The rules file: shipped defaults load; every mistake names the file, the rule and the line."""

from __future__ import annotations

from pathlib import Path

import pytest
from target_oracle_staging.ops.rules import KINDS, RulesError, load_rules, parse_rules


def test_shipped_rules_cover_every_kind() -> None:
    rules = load_rules()
    assert {r.kind for r in rules} == set(KINDS)
    assert len({r.name for r in rules}) == len(rules)


def test_a_rule_with_filters_and_recipients() -> None:
    (rule,) = parse_rules(
        "rules:\n"
        "  - name: big_rejects\n"
        "    kind: rejects\n"
        "    threshold: 10\n"
        "    scope: run\n"
        "    source: [MOLO, STELLAR]\n"
        "    notify: marina-team@example.com\n",
        "rules.yml",
    )
    assert rule.params == {"threshold": 10, "scope": "run"}
    assert rule.notify == ("marina-team@example.com",)
    assert rule.matches("molo")
    assert rule.matches("STELLAR")
    assert not rule.matches("TR2000")


def test_disabled_rules_are_skipped() -> None:
    text = "rules:\n  - {name: a, kind: rejects, enabled: false}\n  - {name: b, kind: rejects}\n"
    assert [r.name for r in parse_rules(text, "r.yml")] == ["b"]


BAD = [
    ("rules:\n  - {name: a, kind: rejects}\n  - {name: b, kind: duration}\n",
     "r.yml, rule 2 (b) at line 3: max_seconds is required for kind duration"),
    ("rules:\n  - name: a\n    kind: rejects\n    threshhold: 3\n",
     "r.yml, rule 1 (a) at line 2, line 4: unknown key 'threshhold' for kind rejects"),
    ("rules:\n  - {name: a, kind: rejected}\n",
     "r.yml, rule 1 (a) at line 2: kind must be one of rejects, duration"),
    ("rules:\n  - {name: a, kind: rejects}\n  - {name: a, kind: duration, max_seconds: 5}\n",
     "r.yml, rule 2 (a) at line 3: name 'a' is also the name of the rule at line 2"),
    ("rules:\n  - {name: a, kind: rejects, threshold: many}\n",
     "r.yml, rule 1 (a) at line 2, line 2: threshold must be int, got 'many'"),
    ("rules:\n  - {name: a, kind: duration, max_seconds: -1}\n",
     "r.yml, rule 1 (a) at line 2: max_seconds must not be negative"),
    ("rules:\n  - {name: a, kind: rejects, severity: panic}\n",
     "r.yml, rule 1 (a) at line 2: severity must be one of warning, error"),
    ("rules:\n  - {name: a, kind: staleness, max_age_hours: 1, stream: x}\n",
     "staleness is per source; stream is not supported"),
    ("rules:\n  - {kind: rejects}\n", "r.yml, rule 1 at line 2: name is required"),
    ("rules: {name: a}\n", "r.yml: expected a mapping with a list under `rules`"),
    ("rules:\n  - {name: a, kind: rejects\n", "r.yml, line 3: not valid YAML"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "message"), BAD)
def test_bad_rules_say_where(text: str, message: str) -> None:
    with pytest.raises(RulesError) as caught:
        parse_rules(text, "r.yml")
    assert message in str(caught.value)


def test_a_missing_rules_file_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match=r"rules file .*nope.yml \(setting rules_file\)"):
        load_rules(tmp_path / "nope.yml")
