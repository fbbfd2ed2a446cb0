"""Tests for :mod:`assistant.evaluation`, and the retrieval quality floor of the real model on
the Canada agreement (raise the floors as retrieval improves, never lower them)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.errors import AssistantError
from assistant.evaluation import Report, evaluate, first_relevant, normalise, read_questions

# Just under what the engine reaches (R@1 0.90, R@5 1.00, MRR@10 0.95 on 30 Canada questions).
RECALL1_FLOOR = 0.86
RECALL5_FLOOR = 0.96
MRR10_FLOOR = 0.92

DEV_QUESTIONS = Path(__file__).resolve().parents[2] / "shared" / "eval" / "dev_questions.jsonl"


def test_normalise_matches_the_scoring_rule() -> None:
    assert normalise("  Security Assistance Group – Ukraine’s\n“SAG-U”  ") == (
        'security assistance group - ukraine\'s "sag-u"'
    )


class Quoted:
    def __init__(self, rank: int, doc: str, text: str):
        self.rank, self.doc, self.text = rank, doc, text


def test_first_relevant_needs_the_right_document_and_a_gold_phrase() -> None:
    passages = [
        Quoted(1, "france", "ten (10) years"),
        Quoted(2, "canada", "nothing"),
        Quoted(3, "canada", "valid for a period of ten (10)  years."),
    ]

    assert first_relevant(passages, "canada", ["Ten (10) years"]) == 3
    assert first_relevant(passages, "canada", ["twenty"]) is None
    assert first_relevant(passages, "canada", []) is None


def test_report_summary() -> None:
    report = Report(ranks={"a": 1, "b": 3, "c": None, "d": 10}, lengths=[100, 201], skipped=["e"])

    assert report.summary() == {
        "questions": 4,
        "skipped": 1,
        "recall@1": 0.25,
        "recall@3": 0.5,
        "recall@5": 0.5,
        "recall@10": 0.75,
        "mrr@10": round((1 + 1 / 3 + 1 / 10) / 4, 4),
        "mean_passage_chars": 150.5,
        "misses": {"b": 3, "c": None, "d": 10},
    }
    assert Report().summary()["recall@1"] == 0.0


def test_read_questions(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text('{"id": "x1", "q": "One?"}\n\n{"q": "Two?", "doc": "canada"}\n')

    assert read_questions(path) == [{"id": "x1", "q": "One?"}, {"q": "Two?", "doc": "canada"}]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"q": "One?"}\n{"question": "Two?"}\n', 'line 2 has no "q" field.'),
        ('{"q": "One?"}\nnot json\n', "Cannot read questions from"),
        ('["q"]\n', 'line 1 has no "q" field.'),
    ],
)
def test_read_questions_says_what_is_wrong(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text(content)

    with pytest.raises(AssistantError, match=message):
        read_questions(path)


def test_evaluate_skips_questions_about_other_documents(hashing_bot) -> None:
    questions = [
        {"id": "g", "q": "What is GSOIA?", "doc": "united-kingdom", "gold": ["(GSOIA)"]},
        {"id": "n", "q": "Who trains pilots?", "doc": "netherlands", "gold": ["no such words"]},
        {"id": "x", "q": "What about France?", "doc": "france", "gold": ["France"]},
    ]
    report = evaluate(hashing_bot, questions)

    assert report.ranks == {"g": 1, "n": None}
    assert report.skipped == ["x"]
    assert len(report.lengths) == 10  # five passages each for the two asked


@pytest.mark.model
@pytest.mark.corpus
def test_quality_floor_on_the_canada_dev_questions(real_bot) -> None:
    if not DEV_QUESTIONS.is_file():
        pytest.skip(f"no dev questions at {DEV_QUESTIONS}")
    summary = evaluate(real_bot, read_questions(DEV_QUESTIONS)).summary()
    shown = json.dumps(summary, indent=1)

    assert summary["questions"] >= 30, shown
    assert summary["recall@1"] >= RECALL1_FLOOR, shown
    assert summary["recall@5"] >= RECALL5_FLOOR, shown
    assert summary["mrr@10"] >= MRR10_FLOOR, shown
    assert summary["mean_passage_chars"] < 450, shown


@pytest.mark.model
@pytest.mark.corpus
def test_questions_about_other_agreements_with_all_28_loaded(real_all_bot) -> None:
    if not DEV_QUESTIONS.is_file():
        pytest.skip(f"no dev questions at {DEV_QUESTIONS}")
    others = [q for q in read_questions(DEV_QUESTIONS) if q["doc"] != "canada"]
    summary = evaluate(real_all_bot, others).summary()
    shown = json.dumps(summary, indent=1)

    assert summary["questions"] == len(others) >= 5, shown
    assert summary["recall@1"] >= 0.8, shown  # all five are first today
    assert summary["recall@5"] == 1.0, shown
