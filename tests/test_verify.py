"""Tests for :mod:`assistant.verify`: the figure normaliser (fast, exact values), and claims
checked against the full Canada agreement with the real model: the bullets of the CUSSP overview
(each must find its clause) and altered versions of them (never supported, mismatch named)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.cli import main
from assistant.figures import Mismatch, check_figures, number_value, quantities

# --- the normaliser ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$3.02B", [("amount", "3020000000")]),
        ("3.02 billion", [("amount", "3020000000")]),
        ("$3.02 billion", [("amount", "3020000000")]),
        ("more than $2.4B", [("amount", "2400000000")]),
        ("NOK 75 billion", [("amount", "75000000000")]),
        ("3 billion euros", [("amount", "3000000000")]),
        ("EUR 940 million", [("amount", "940000000")]),
        ("ten (10) years", [("duration", "10 year")]),
        ("10 years", [("duration", "10 year")]),
        ("ten years", [("duration", "10 year")]),
        ("a decade", [("duration", "10 year")]),
        ("twenty-four (24) hours", [("duration", "24 hour")]),
        ("24 hours", [("duration", "24 hour")]),
        ("six (6) months", [("duration", "6 month")]),
        ("the five-year period", [("duration", "5 year")]),
        ("24 February 2024", [("date", "2024-02-24")]),
        ("February 24, 2024", [("date", "2024-02-24")]),
        ("13th day of June, 2024", [("date", "2024-06-13")]),
        ("in February 2022", [("date", "2022-02")]),
        ("since 2014", [("year", "2014")]),
        ("close to twenty percent", [("percent", "20")]),
        ("signed in Ottawa", [("place", "Ottawa")]),
        (
            "SIGNED in duplicate in Kyiv on 24 February 2024",
            [("place", "Kyiv"), ("date", "2024-02-24")],
        ),
        ("in March", []),
    ],
)
def test_quantities_normalise_how_figures_are_written(text: str, expected: list) -> None:
    assert [(q.kind, q.value) for q in quantities(text)] == expected


def test_quantities_keep_the_words_as_written_with_offsets() -> None:
    text = "valid for a period of ten (10) years."
    [q] = quantities(text)
    assert (q.text, q.start, q.end) == ("ten (10) years", 22, 36)
    assert text[q.start : q.end] == q.text


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("twenty-four", 24.0),
        ("twenty four", 24.0),
        ("ten", 10.0),
        ("3,000", 3000.0),
        ("an", 1.0),
        ("several", None),
    ],
)
def test_number_value(text: str, value: float | None) -> None:
    assert number_value(text) == value


def test_check_figures_names_the_mismatch_and_the_absent() -> None:
    clause = [("To this end, in 2024, Canada will provide $3.02B in support.", "Part I, para. 3")]

    assert check_figures(quantities("$3.02 billion in 2024"), clause) == ([], [])
    assert check_figures(quantities("$3.5 billion in 2024"), clause) == (
        [Mismatch("amount", "$3.5 billion", "$3.02B", "Part I, para. 3")],
        [],
    )
    assert check_figures(quantities("for 48 hours"), clause) == ([], ["48 hours"])


def test_check_figures_compares_places_and_dates_written_differently() -> None:
    signed = [("SIGNED in duplicate in Kyiv on 24 February 2024.", "signature block")]

    assert check_figures(quantities("signed in Kyiv on February 24, 2024"), signed) == ([], [])
    wrong, _ = check_figures(quantities("signed in Ottawa on February 24, 2023"), signed)
    assert [(m.kind, m.claim, m.found) for m in wrong] == [
        ("place", "Ottawa", "Kyiv"),
        ("date", "February 24, 2023", "24 February 2024"),
    ]


# --- claims against the full Canada agreement ----------------------------------------------------

# The content bullets of shared/seed/cussp-overview.txt, each with phrases of its clause.
OVERVIEW = [
    ("CUSSP signed on February 24, 2024", ["SIGNED in duplicate in Kyiv on 24 February 2024"]),
    (
        "The CUSSP, effective for a decade, aims to strengthen the cooperation between Canada and "
        "Ukraine across multiple domains in response to the ongoing war and emerging challenges.",
        ["valid for a period of ten (10) years", "the CUSSP aims to", "(CUSSP) that sets out"],
    ),
    (
        "This agreement solidifies bilateral commitments to strategically reinforce defence, "
        "security, economic progress, and democratic governance.",
        ["(CUSSP) that sets out", "increase and deepen the Participants’ political"],
    ),
    (
        "The CUSSP aligns its efforts with key multilateral forums, such as NATO, the G7, and the "
        "United Nations, to ensure a coordinated and deconflicted approach to supporting Ukraine.",
        ["aligned, coordinated, and deconflicted", "close cooperation within international"],
    ),
    (
        "Reaffirmation of Canada’s support for Ukraine’s sovereignty, territorial integrity, and "
        "the right to self-defence.",
        ["sovereignty and territorial integrity", "inherent right to self-defence"],
    ),
    (
        "Commitment to Ukraine’s integration into Euro-Atlantic institutions such as NATO and EU.",
        ["integration into Euro-Atlantic institutions", "integration into the Euro-Atlantic"],
    ),
    (
        "Canada’s commitment to provide $3.02 billion in 2024 for macroeconomic and military "
        "support.",
        ["$3.02B"],
    ),
    (
        "Ongoing multifaceted support, including diplomatic, financial, humanitarian, military, "
        "and development assistance.",
        ["multi-faceted support"],
    ),
    (
        "Defence industry collaboration and enhanced defence cooperation, military assistance and "
        "provision of modern military equipment.",
        ["defence industr", "modern military equipment", "sustainable Ukrainian security"],
    ),
    (
        "Cooperation on training, capacity building, and professionalization of Ukraine's defence "
        "forces.",
        ["training", "professionalization"],
    ),
    (
        "Focus on building sustainable Ukrainian security and defence forces.",
        ["sustainable Ukrainian security and defence forces"],
    ),
    (
        "Any future Russian aggression will prompt immediate consultations to determine "
        "countermeasures, emphasizing swift and sustained support from Canada.",
        ["twenty-four (24) hours", "swift and sustained security"],
    ),
    (
        "Combating serious and organized crime to counteract activities undermining Ukraine’s "
        "stability.",
        ["serious and organized crime (SOC)", "counteract SOC activities"],
    ),
    (
        "Enhanced intelligence and counterintelligence cooperation.",
        ["intelligence and counterintelligence services"],
    ),
    (
        "Cooperation in cybersecurity to detect, deter, and disrupt cyber threats.",
        ["detect, deter and disrupt Russian cyber aggression"],
    ),
    (
        "Collaborative efforts to counter disinformation campaigns and protect information "
        "integrity.",
        ["disinformation"],
    ),
    (
        "Joint leadership by Ukraine and Canada in a coalition aimed at the return, reintegration, "
        "and restoration of well-being for children affected by illegal deportation and "
        "displacement.",
        ["International Coalition for the Return of Ukrainian Children", "illegal deportation"],
    ),
    (
        "Legal actions against those responsible for such deportations and displacements, "
        "following international law.",
        ["bring those responsible for organizing the illegal deportation"],
    ),
    (
        "Continued support for humanitarian demining and addressing the impact of landmines.",
        ["humanitarian demining", "landmines"],
    ),
    (
        "Economic cooperation to support Ukraine’s economic stability, resilience, recovery, and "
        "prosperity.",
        ["economic stability and resilience"],
    ),
    (
        "Emphasis on attracting private capital and investments for reconstruction and "
        "modernization.",
        ["private capital and investments"],
    ),
    (
        "Commitment to enhancing the resilience of Ukraine’s energy sector and critical "
        "infrastructure.",
        ["resilience of its critical infrastructure", "energy supply security"],
    ),
    (
        "Dedication to Ukraine’s sustainable recovery, prioritizing gender equality and "
        "environmental considerations.",
        ["gender-sensitive", "gender equality"],
    ),
    (
        "Sharing strategies, standards, and best practices for supporting all dimensions of the "
        "well-being of veterans and their families through the transition to civilian life.",
        ["sharing strategies, standards, frameworks and best practices"],
    ),
    (
        "Commitment to enforce and expand sanctions against Russia to hold it accountable for "
        "aggression, war crimes, and other atrocities.",
        ["sanctions", "war crimes"],
    ),
    (
        "Holding Russia financially accountable for its actions: the participants will explore "
        "mechanisms to ensure compensation for losses, injuries, and damages caused by Russian "
        "aggression.",
        ["compensation mechanism", "Russian assets", "accountable for causing losses"],
    ),
    (
        "Ukraine’s commitment to comprehensive reforms to strengthen democracy, the rule of law, "
        "and anti-corruption efforts.",
        ["comprehensive reforms", "rule of law", "anti-corruption"],
    ),
    ("Canada’s support for Ukraine’s reform agenda.", ["comprehensive reform agenda"]),
]

# Overview claims with a figure changed: (claim, kind of the mismatch, what the clause says).
ALTERED = [
    ("CUSSP signed on February 24, 2023", "date", "24 February 2024"),
    ("CUSSP signed in Ottawa on February 24, 2024", "place", "Kyiv"),
    # The agreement names the Ottawa Convention on landmines: still not signed in Ottawa.
    ("The agreement was signed in Ottawa on February 24, 2024.", "place", "Kyiv"),
    (
        "The CUSSP, effective for five years, aims to strengthen the cooperation between Canada "
        "and Ukraine across multiple domains.",
        "duration",
        "ten (10) years",
    ),
    (
        "Canada’s commitment to provide $3.5 billion in 2024 for macroeconomic and military "
        "support.",
        "amount",
        "$3.02B",
    ),
    (
        "Canada’s commitment to provide $3.02 billion in 2025 for macroeconomic and military "
        "support.",
        "year",
        "2024",
    ),
    (
        "Any future Russian aggression will prompt consultations within 48 hours.",
        "duration",
        "twenty-four (24) hours",
    ),
    ("This Agreement is valid for a period of five years.", "duration", "ten (10) years"),
    (
        "Either Participant may terminate the agreement with three months' notice.",
        "duration",
        "six (6) months",
    ),
    (
        "The Participants will conduct a comprehensive review of the CUSSP within five (5) years.",
        "duration",
        "three (3) years",
    ),
    (
        "Since 2022 Canada has committed more than $4.2 billion to Ukraine in military assistance.",
        "amount",
        "$2.4B",
    ),
    (
        "The International Coalition for the Return of Ukrainian Children was established on "
        "2 March 2024.",
        "date",
        "2 February 2024",
    ),
    (
        "Close to forty percent of Ukraine’s territory is affected by mines.",
        "percent",
        "twenty percent",
    ),
]

# Claims the agreement does not make: no clause makes the action ("what" decides).
INVENTED = [
    ("Canada will send combat troops to fight in Ukraine.", "unsupported"),
    ("What is the recipe for borscht?", "unsupported"),
    ("Canada guarantees Ukraine NATO membership by 2025.", "unsupported"),
]

# The clause's figures written another way: all supported.
REWRITTEN = [
    "This Agreement is valid for a period of 10 years.",
    "The agreement is valid for ten years.",
    "In 2024 Canada will provide 3.02 billion in macroeconomic and military support to Ukraine.",
    "The agreement was signed in Kyiv on February 24, 2024.",
    "The agreement may be terminated six months after written notice.",
    "The Participants will consult within 24 hours in the event of renewed Russian aggression.",
]


@pytest.mark.model
@pytest.mark.corpus
def test_overview_bullets_find_their_supporting_clause(real_bot) -> None:
    found = []
    for claim, gold in OVERVIEW:
        verdict = real_bot.verify(claim)
        best = verdict.passages[0]
        right = any(g.lower() in best.text.lower() for g in gold)
        if verdict.verdict == "supported" and right:
            found.append(claim)
        document = real_bot.documents[best.doc]
        assert document.text[best.start : best.end] == best.text  # verbatim
        assert verdict.mismatches == ()

    assert len(OVERVIEW) == 28
    assert len(found) >= 25, sorted(set(c for c, _ in OVERVIEW) - set(found))  # 26 measured


@pytest.mark.model
@pytest.mark.corpus
@pytest.mark.parametrize(("claim", "kind", "found"), ALTERED)
def test_altered_figures_are_never_supported_and_name_the_mismatch(
    real_bot, claim: str, kind: str, found: str
) -> None:
    verdict = real_bot.verify(claim)

    assert verdict.verdict == "unsupported"
    assert (kind, found) in [(m.kind, m.found) for m in verdict.mismatches]


@pytest.mark.model
@pytest.mark.corpus
@pytest.mark.parametrize("claim", REWRITTEN)
def test_figures_written_differently_are_supported(real_bot, claim: str) -> None:
    verdict = real_bot.verify(claim)

    assert (verdict.verdict, verdict.mismatches, verdict.absent) == ("supported", (), ())


@pytest.mark.model
@pytest.mark.corpus
@pytest.mark.parametrize(("claim", "verdict"), INVENTED)
def test_invented_claims_are_not_supported(real_bot, claim: str, verdict: str) -> None:
    assert real_bot.verify(claim).verdict == verdict


@pytest.mark.model
@pytest.mark.corpus
def test_cli_verify_claims_file_prints_one_json_verdict_per_line(
    real_bot, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    claims = tmp_path / "claims.jsonl"
    claims.write_text(
        json.dumps({"claim": "Canada will provide $3.02B in 2024."})
        + "\n"
        + json.dumps({"claim": "Canada will provide $3.5 billion in 2024."})
        + "\n",
        encoding="utf-8",
    )
    args = ["--corpus", str(real_bot.settings.corpus), "--index", str(real_bot.settings.index)]

    main([*args, "verify", "--claims", str(claims), "--json"])
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]

    assert [r["verdict"] for r in rows] == ["supported", "unsupported"]
    assert rows[1]["mismatches"][0] == {
        "kind": "amount",
        "claim": "$3.5 billion",
        "found": "$3.02B",
        "citation": "Canada-Ukraine Agreement, Part I, para. 3",
    }
    assert set(rows[0]) == {
        "line",
        "claim",
        "verdict",
        "passages",
        "mismatches",
        "coverage",
        "absent",
        "checks",
        "decided_by",
    }
    assert [c["part"] for c in rows[1]["checks"]] == [
        "who",
        "how firmly",
        "whether",
        "what",
        "figures",
    ]
    assert rows[1]["decided_by"] == "figures" and rows[0]["decided_by"] == "all parts"
    assert [r["line"] for r in rows] == [1, 2]
    assert rows[0]["passages"][0]["citation"] == "Canada-Ukraine Agreement, Part I, para. 3"


# --- the validation claims (bench/claims): each part of a claim checked ---------------------------

CLAIMS_RESULT = Path(__file__).resolve().parents[1] / "bench" / "results" / "claims.json"
CLAIM_FILES_SHA256 = {
    "validation.jsonl": "ae5c60db204e4ec87cdc95a939cf884ef98c1541e656f2d7b69457909b5cd3e1",
    "held2.jsonl": "c4103133eb314ee5170f155aa9b90dbee394a901abb3f99b5ee13a7e2d810202",
}


def test_the_claim_sets_are_unchanged() -> None:
    import hashlib

    folder = CLAIMS_RESULT.parents[1] / "claims"
    for name, digest in CLAIM_FILES_SHA256.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name


@pytest.mark.model
@pytest.mark.corpus
@pytest.mark.parametrize("set_name", ["tune half", "second held set"])
def test_claims_hold_their_reported_figures(real_bot, set_name: str) -> None:
    from bench.claims import halves, score

    reported = json.loads(CLAIMS_RESULT.read_text())[set_name]
    figures, seen = score(real_bot, halves()[set_name])

    one = 1 / 12  # one claim of a half's 24 true ones counts 1/24; allow two
    assert figures["true supported"] >= reported["true supported"] - one, figures
    assert figures["false not supported"] >= reported["false not supported"] - one, figures
    assert all(r["decided_by"] for r in seen)  # every verdict names the part that decided it


@pytest.mark.model
@pytest.mark.corpus
@pytest.mark.parametrize(
    ("claim", "part"),
    [
        (
            "Ukraine will provide $3.02B in macroeconomic and military support to Canada in 2024.",
            "who",
        ),
        (
            "Canada will not provide $3.02B in macroeconomic and military support in 2024.",
            "whether",
        ),
        ("Canada will send combat troops to defend Ukraine's borders.", "what"),
        (
            "Canada will provide $5 billion in macroeconomic and military support in 2024.",
            "figures",
        ),
    ],
)
def test_each_kind_of_false_claim_is_refused_by_its_part(real_bot, claim: str, part: str) -> None:
    verdict = real_bot.verify(claim)

    assert (verdict.verdict, verdict.decided_by) == ("unsupported", part)
    decided = next(c for c in verdict.checks if c.part == part)
    assert decided.status in ("contradicted", "not found")


@pytest.mark.model
@pytest.mark.corpus
def test_a_claim_firmer_than_its_clause_is_partly_supported_quoting_the_clauses_word(
    real_bot,
) -> None:
    verdict = real_bot.verify(
        "The Participants will conclude a General Security of Information Agreement."
    )
    firmly = next(c for c in verdict.checks if c.part == "how firmly")

    assert (verdict.verdict, verdict.decided_by) == ("partial", "how firmly")
    assert (firmly.status, firmly.claim, firmly.clause) == ("overstated", "will", "will seek to")
