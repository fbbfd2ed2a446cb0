"""Tests for :mod:`assistant.ingest.structure`: blocks to passages that follow the
document's structure."""

from __future__ import annotations

import pytest

from assistant.citations import citation
from assistant.ingest.readers import Block
from assistant.ingest.structure import (
    SEPARATOR,
    Passage,
    canonical_text,
    heading_level,
    passages_from_blocks,
)

PART_I = "Part I. Objectives"
PART_IV = "Part IV. Areas for Cooperation"
PART_V = "Part V. Final Dispositions"

BLOCKS = [
    Block("Agreement on security cooperation between Canada and Ukraine"),
    Block("Preamble"),
    Block("Canada and Ukraine, hereinafter the Participants, reaffirm their partnership."),
    Block(PART_I),
    Block("The Participants will:", list_level=0, number="1"),
    Block("(i) support Ukraine;"),
    Block("(ii) continue training; and"),
    Block("(A) To advance this effort, Canada commits to the coalitions."),
    Block("(iii) report each year."),
    Block("Canada will also:", list_level=0, number="2"),
    Block("fund demining;", list_level=1, number="a"),
    Block(PART_IV),
    Block("A. Defence Cooperation"),
    Block("Canada will provide training.", list_level=0, number="1"),
    Block("H. Economic Cooperation"),
    Block("The Participants will trade.", list_level=0, number="1"),
    Block("I. Resilience of Energy"),
    Block("The Participants will protect energy.", list_level=0, number="1"),
    Block(PART_V),
    Block("2. This Agreement is valid for a period of ten (10) years."),
    Block("SIGNED in duplicate in Kyiv on 24 February 2024."),
    Block("For Canada:"),
]

# (section, number, kind, text, context) of every passage, in order.
EXPECTED = [
    ((), None, "title", BLOCKS[0].text, ""),
    (("Preamble",), None, "text", BLOCKS[2].text, ""),
    ((PART_I,), "1", "paragraph", "The Participants will:", ""),
    ((PART_I,), "1(i)", "item", "(i) support Ukraine;", "The Participants will:"),
    ((PART_I,), "1(ii)", "item", "(ii) continue training; and", "The Participants will:"),
    (
        (PART_I,),
        "1(ii)(A)",
        "item",
        BLOCKS[7].text,
        "The Participants will: … (ii) continue training; and",
    ),
    ((PART_I,), "1(iii)", "item", "(iii) report each year.", "The Participants will:"),
    ((PART_I,), "2", "paragraph", "Canada will also:", ""),
    ((PART_I,), "2(a)", "item", "fund demining;", "Canada will also:"),
    ((PART_IV, "A. Defence Cooperation"), "1", "paragraph", BLOCKS[13].text, ""),
    ((PART_IV, "H. Economic Cooperation"), "1", "paragraph", BLOCKS[15].text, ""),
    ((PART_IV, "I. Resilience of Energy"), "1", "paragraph", BLOCKS[17].text, ""),
    ((PART_V,), "2", "paragraph", BLOCKS[19].text, ""),
    (("Signatures",), None, "signature", BLOCKS[20].text, ""),
    (("Signatures",), None, "signature", "For Canada:", ""),
]


@pytest.fixture(scope="module")
def passages() -> list[Passage]:
    return passages_from_blocks("canada", BLOCKS)


def test_sections_numbers_kinds_and_lead_ins(passages: list[Passage]) -> None:
    assert [(p.section, p.number, p.kind, p.text, p.context) for p in passages] == EXPECTED


def test_ordinals_and_ids_count_passages(passages: list[Passage]) -> None:
    assert [p.ordinal for p in passages] == list(range(len(EXPECTED)))
    assert passages[5].id == "canada:5"


def test_offsets_index_the_canonical_text(passages: list[Passage]) -> None:
    text, starts = canonical_text(BLOCKS)

    assert all(text[p.start : p.end] == p.text for p in passages)
    assert passages[1].start == starts[2]
    assert passages[-1].end == len(text)


def test_canonical_text_joins_blocks_with_blank_lines() -> None:
    text, starts = canonical_text([Block("ab"), Block("cde"), Block("f")])

    assert SEPARATOR == "\n\n"
    assert text == "ab\n\ncde\n\nf"
    assert starts == [0, 4, 9]


def test_i_after_h_is_section_i_but_a_leading_i_is_a_part() -> None:
    blocks = [
        Block("Title"),
        Block("I. Introduction"),
        Block("The Participants agree."),
        Block("II. Scope"),
        Block("They cooperate."),
    ]

    assert [p.section for p in passages_from_blocks("x", blocks)] == [
        (),
        ("I. Introduction",),
        ("II. Scope",),
    ]


def test_a_lettered_heading_under_a_new_part_replaces_the_old_section() -> None:
    blocks = [
        Block("Title"),
        Block("Part I. One"),
        Block("A. Alpha"),
        Block("Text one."),
        Block("Part II. Two"),
        Block("Text two."),
        Block("B. Beta"),
        Block("Text three."),
    ]

    assert [p.section for p in passages_from_blocks("x", blocks)] == [
        (),
        ("Part I. One", "A. Alpha"),
        ("Part II. Two",),
        ("Part II. Two", "B. Beta"),
    ]


def test_auto_numbered_upper_letter_heading_is_a_section_under_its_part() -> None:
    blocks = [
        Block("Title"),
        Block("Part I. Areas"),
        Block("Defence Cooperation", list_level=0, number="A"),
        Block("Canada will train.", list_level=0, number="1"),
    ]

    passage = passages_from_blocks("x", blocks)[1]
    assert (passage.section, passage.number) == (("Part I. Areas", "A. Defence Cooperation"), "1")


def test_lettered_items_continue_through_i() -> None:
    blocks = [Block("Title"), Block("1. The Participants will:")] + [
        Block(f"({letter}) item {letter};") for letter in "ghij"
    ]

    assert [p.number for p in passages_from_blocks("x", blocks)[1:]] == [
        "1",
        "1(g)",
        "1(h)",
        "1(i)",
        "1(j)",
    ]


def test_everything_after_the_signing_statement_is_the_signature_block() -> None:
    blocks = [
        Block("Title"),
        Block("Done at Puglia, Italy, this 13th day of June, 2024."),
        Block("FOR UKRAINE:"),
        Block("Part I. Not a heading here"),
    ]

    assert {(p.section, p.kind) for p in passages_from_blocks("x", blocks)[1:]} == {
        (("Signatures",), "signature")
    }


@pytest.mark.parametrize(
    ("block", "level"),
    [
        (Block("Part II. Consultation Processes"), 1),
        (Block("PART 3"), 1),
        (Block("Preamble"), 1),
        (Block("IV. Final Provisions"), 1),
        (Block("C. Intelligence and Counterintelligence Cooperation"), 2),
        (Block("3. Review"), 2),
        (Block("a) Definitions"), 3),
        (Block("Coming into Effect and Timeframe"), 2),
        (Block("Overview", heading=True), 2),
        (Block("Part I. Scope", heading=True), 1),
        (Block("The Participants will cooperate."), None),
        (Block("The Participants will:"), None),
        (Block("Defence Cooperation", list_level=0, number="IV"), 1),
        (Block("Defence Cooperation", list_level=0, number="3"), None),
        (Block("nested item", list_level=1, number="ii"), None),
        (Block("a bullet", list_level=0), None),
        (Block("x" * 161), None),
    ],
)
def test_heading_level(block: Block, level: int | None) -> None:
    assert heading_level(block) == level


# --- The real Canada agreement -------------------------------------------------------------------

PART_II = "Part II. Consultation Processes, Including in the Event of Future Aggression"
PART_IV_CANADA = (
    "Part IV. Areas for Ongoing and Enhanced Cooperation, and Lines of Long-Term Support"
)


def canada_passage(canada, phrase: str) -> Passage:
    found = [p for p in canada.passages if phrase in p.text]
    assert len(found) == 1, [p.id for p in found]
    return found[0]


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("phrase", "section", "number", "cited"),
    [
        ("twenty-four (24) hours", (PART_II,), "3", "Canada-Ukraine Agreement, Part II, para. 3"),
        (
            "General Security of Information Agreement (GSOIA)",
            (PART_IV_CANADA, "C. Intelligence and Counterintelligence Cooperation"),
            "2",
            "Canada-Ukraine Agreement, Part IV, C, para. 2",
        ),
        (
            "ten (10) years",
            ("Part VIII. Final Dispositions", "A. Coming into Effect and Timeframe"),
            "1",
            "Canada-Ukraine Agreement, Part VIII, A, para. 1",
        ),
        (
            "(A) To advance this effort",
            (PART_IV_CANADA, "A. Defence Cooperation and Support"),
            "7(v)(A)",
            "Canada-Ukraine Agreement, Part IV, A, para. 7(v)(A)",
        ),
    ],
)
def test_canada_passages_sit_where_the_agreement_puts_them(
    canada, phrase, section, number, cited
) -> None:
    passage = canada_passage(canada, phrase)

    assert (passage.section, passage.number) == (section, number)
    assert citation(canada.info, passage) == cited


@pytest.mark.corpus
def test_canada_item_keeps_its_lead_in_as_context(canada) -> None:
    passage = canada_passage(canada, "(A) To advance this effort")

    assert passage.kind == "item"
    assert passage.text.startswith("(A) To advance this effort, Canada commits")
    assert passage.context.startswith("To advance these objectives, the Participants will: … (v) ")


@pytest.mark.corpus
def test_canada_section_i_follows_section_h(canada) -> None:
    sections = {p.section for p in canada.passages}

    assert (PART_IV_CANADA, "I. Resilience of Energy and other Critical Infrastructure") in sections
    assert not any(s[0].startswith("I. ") for s in sections if s)


@pytest.mark.corpus
def test_canada_signature_block(canada) -> None:
    signatures = [p.text for p in canada.passages if p.kind == "signature"]

    assert signatures == [
        "SIGNED in duplicate in Kyiv on 24 February 2024, in the English, French and Ukrainian "
        "languages, each version being equally valid.",
        "For Canada: Justin Trudeau Prime Minister",
        "For Ukraine: Volodymyr Zelenskyy President",
    ]


@pytest.mark.corpus
def test_all_28_agreements_ingest_without_a_skip(all_documents, shared_corpus) -> None:
    documents, warnings = all_documents
    files = sorted(p.name for p in shared_corpus.iterdir() if p.suffix in (".docx", ".pdf"))

    assert warnings == []
    assert len(files) == 28
    assert sorted(d.file for d in documents) == files
    assert all(len(d.passages) >= 40 for d in documents), {d.id: len(d.passages) for d in documents}


@pytest.mark.corpus
def test_every_passage_of_every_agreement_is_verbatim(all_documents) -> None:
    documents, _ = all_documents
    bad = [p.id for d in documents for p in d.passages if d.text[p.start : p.end] != p.text]

    assert bad == []
    assert sum(len(d.passages) for d in documents) > 2000


def test_a_title_set_over_several_capital_lines_is_one_title_passage() -> None:
    from assistant.ingest.structure import title_of

    blocks = [
        Block("AGREEMENT"),
        Block("BETWEEN"),
        Block("THE UNITED KINGDOM"),
        Block("AND"),
        Block("UKRAINE"),
        Block("PREAMBLE"),
        Block("The Participants agree."),
    ]
    passages = passages_from_blocks("x", blocks)
    text, _ = canonical_text(blocks)

    assert title_of(blocks) == "AGREEMENT BETWEEN THE UNITED KINGDOM AND UKRAINE"
    assert (passages[0].kind, passages[0].start) == ("title", 0)
    assert (
        passages[0].text
        == text[: passages[0].end]
        == ("AGREEMENT\n\nBETWEEN\n\nTHE UNITED KINGDOM\n\nAND\n\nUKRAINE")
    )
    assert [(p.section, p.text) for p in passages[1:]] == [
        (("PREAMBLE",), "The Participants agree.")
    ]
