"""The screen measured on our corpus: it must catch ≥ 95% of sentences holding a patient
identifier and raise ≤ 5% false alarms on ordinary mentoring talk (docs/privacy.md).

"Caught" means the screen would not store the text as it is: refused, or a name asked
about. The corpus is measured in a pretend workspace whose people's names it knows,
as the app knows its workspace's; the held-out files were written after the rules were
set, and are held to the same targets.
"""

from __future__ import annotations

import pytest

from bot.privacy import KnownNames, assess
from tests.bot.privacy.corpus import load, workspace_names

CATCH_TARGET = 0.95
FALSE_ALARM_LIMIT = 0.05
# Safe-Harbor kinds that can appear in a typed note (photos and fingerprints cannot).
SAFE_HARBOR_KINDS = {
    "name",
    "relative_name",
    "address",
    "city",
    "zip",
    "dob",
    "admission_date",
    "discharge_date",
    "death_date",
    "age_over_89",
    "phone",
    "fax",
    "email",
    "ssn",
    "mrn",
    "health_plan",
    "account",
    "license",
    "vehicle",
    "device",
    "url",
    "ip",
    "other_id",
}
KNOWN = KnownNames.of(workspace_names())


def caught(sentence: str) -> bool:
    return not assess(sentence, known=KNOWN).fine


@pytest.mark.parametrize(
    ("with_file", "without_file"),
    [
        ("with_identifiers.txt", "without_identifiers.txt"),
        ("holdout_with_identifiers.txt", "holdout_without_identifiers.txt"),
    ],
)
def test_catch_rate_and_false_alarm_rate_meet_the_targets(with_file, without_file):
    with_ids, without_ids = load(with_file), load(without_file)
    missed = [s for _, s in with_ids if not caught(s)]
    false_alarms = [s for _, s in without_ids if caught(s)]

    catch_rate = 1 - len(missed) / len(with_ids)
    false_alarm_rate = len(false_alarms) / len(without_ids)
    assert catch_rate >= CATCH_TARGET, (catch_rate, missed)
    assert false_alarm_rate <= FALSE_ALARM_LIMIT, (false_alarm_rate, false_alarms)


def test_the_corpus_is_big_enough_and_covers_every_safe_harbor_kind():
    with_ids, without_ids = load("with_identifiers.txt"), load("without_identifiers.txt")

    assert len(with_ids) >= 150 and len(without_ids) >= 150
    assert {kind for kind, _ in with_ids} >= SAFE_HARBOR_KINDS
    categories = {kind for kind, _ in without_ids}
    assert {"staff", "mention", "dose", "lab", "time", "score", "ward"} <= categories


def test_no_sentence_appears_in_both_halves():
    with_ids = {s for f in ("with_identifiers.txt", "holdout_with_identifiers.txt") for _, s in load(f)}
    without = {s for f in ("without_identifiers.txt", "holdout_without_identifiers.txt") for _, s in load(f)}
    assert not with_ids & without


def test_colleagues_by_name_are_asked_about_outside_their_workspace():
    # The same colleague sentences, with no workspace to place them: never refused
    # (nothing in them has an identifier's shape), and most are a question.
    named = [s for kind, s in load("without_identifiers.txt") if kind == "workspace"]
    verdicts = [assess(s) for s in named]
    assert named and not any(v.refused for v in verdicts)
    assert sum(v.ask for v in verdicts) > len(named) / 2
