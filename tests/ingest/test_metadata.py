"""Tests for :mod:`assistant.ingest.metadata`: what a document says about itself."""

from __future__ import annotations

import json

import pytest

from assistant.ingest.metadata import DocumentInfo, describe, language, partners, signing


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Signed in Kyiv on 24 February 2024, in duplicate.", ("Kyiv", "24 February 2024")),
        (
            "SIGNED in duplicate in Kyiv on 24 February 2024, in the English, French and Ukrainian "
            "languages.",
            ("Kyiv", "24 February 2024"),
        ),
        (
            "Done at Puglia, Italy, this 13th day of June, 2024, in two originals.",
            ("Puglia", "13 June 2024"),
        ),
        (
            "Signed in Washington, D.C. on July 10, 2024, in duplicate.",
            ("Washington, D.C.", "10 July 2024"),
        ),
        (
            "Done in the city of Lviv on the 23rd day of February 2024.",
            ("Lviv", "23 February 2024"),
        ),
        ("Signed in Kyiv, in duplicate.", ("Kyiv", None)),
        ("This Agreement is signed by both Participants.", (None, None)),
        (
            "Підписано в м. Київ 24 лютого 2024 року, у двох примірниках.",
            ("Київ", "24 лютого 2024"),
        ),
        ("", (None, None)),
    ],
)
def test_signing(text: str, expected: tuple[str | None, str | None]) -> None:
    assert signing(text) == expected


def test_signing_reads_the_last_statement_at_the_start_of_a_line() -> None:
    text = (
        "Title\n\nDone in Paris on 1 May 2024 says the draft.\n\n"
        "The text was signed in Rome on 2 May 2024.\n\nSigned in Kyiv on 3 May 2024."
    )

    assert signing(text) == ("Kyiv", "3 May 2024")


def test_signing_allows_a_comma_after_signed() -> None:
    assert signing("Signed, in Berlin on 16 February 2024, in duplicate.") == (
        "Berlin",
        "16 February 2024",
    )


def test_signing_keeps_a_place_name_with_lower_case_words() -> None:
    assert signing("Signed in Savelletri di Fasano (Apulia) on 13 June 2024, in duplicate.") == (
        "Savelletri di Fasano (Apulia)",
        "13 June 2024",
    )


@pytest.mark.parametrize(
    ("doc", "title", "expected"),
    [
        ("canada", "Agreement on security cooperation between Canada and Ukraine", ("Canada",)),
        (
            "latvia",
            "Agreement between Ukraine and the Republic of Latvia on long-term support",
            ("Latvia",),
        ),
        ("belgium", "Agreement between the Kingdom of Belgium and Ukraine", ("Belgium",)),
        (
            "luxembourg",
            "Agreement between Ukraine and the Grand-Duchy of Luxembourg",
            ("Luxembourg",),
        ),
        ("france", "Agreement on security cooperation between France and Ukraine.", ("France",)),
        ("united-kingdom", "AGREEMENT ON SECURITY CO-OPERATION", ("United Kingdom",)),
        ("italy", "Угода про співробітництво у сфері безпеки між Україною та Італією", ("Italy",)),
    ],
)
def test_partners(doc: str, title: str, expected: tuple[str, ...]) -> None:
    assert partners(doc, title) == expected


def test_partners_strips_federal_republic() -> None:
    title = "Agreement between the Federal Republic of Germany and Ukraine"

    assert partners("germany", title) == ("Germany",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The Participants will cooperate on defence.", "en"),
        ("Україна та Італія, далі Сторони, підтверджують", "uk"),
        (
            "La France et l'Ukraine, dans le respect de la Charte et des principes qui sont les "
            "leurs, pour une paix juste avec une aide est",
            "fr",
        ),
        ("", "en"),
    ],
)
def test_language(text: str, expected: str) -> None:
    assert language(text) == expected


def test_describe_combines_title_text_and_file_name() -> None:
    text = (
        "Agreement between Ukraine and the Netherlands\n\nThe Participants will cooperate.\n\n"
        "Signed in Kharkiv on 1 March 2024, in duplicate."
    )

    assert describe("netherlands", "Agreement between Ukraine and the Netherlands", text) == (
        DocumentInfo(
            "netherlands",
            "Agreement between Ukraine and the Netherlands",
            ("Netherlands",),
            "en",
            "Kharkiv",
            "1 March 2024",
        )
    )


# --- Against the corpus manifest -----------------------------------------------------------------


def _manifest(shared_corpus) -> dict[str, dict]:
    rows = json.loads((shared_corpus / "manifest.json").read_text(encoding="utf-8"))
    return {row["file"]: row for row in rows}


@pytest.fixture(scope="module")
def infos(all_documents) -> dict[str, DocumentInfo]:
    documents, _ = all_documents
    return {d.file: d.info for d in documents}


# The manifest records these in English or not at all; the text says otherwise.
_TEXT_DIFFERS = {"italy.docx", "united-states.docx"}


@pytest.mark.corpus
def test_signing_and_language_match_the_manifest(shared_corpus, infos) -> None:
    manifest = _manifest(shared_corpus)
    got = {
        f: (i.signed_place, i.signed_date, i.language)
        for f, i in infos.items()
        if f not in _TEXT_DIFFERS
    }
    want = {
        f: (manifest[f]["signed_place"], manifest[f]["signed_date"], manifest[f]["language"])
        for f in manifest
        if f not in _TEXT_DIFFERS
    }

    assert len(want) == 26
    assert got == want


@pytest.mark.corpus
def test_italy_is_ukrainian_and_signed_in_kyiv_as_written(infos) -> None:
    info = infos["italy.docx"]

    assert (info.language, info.signed_place, info.signed_date) == ("uk", "Київ", "24 лютого 2024")
    assert info.partners == ("Italy",)


@pytest.mark.corpus
def test_united_states_signing_is_read_from_done_at(infos) -> None:
    # The manifest has no place or date; the text ends "Done at Puglia, Italy, this 13th day of
    # June, 2024, ...", and we report what the text says.
    info = infos["united-states.docx"]

    assert (info.signed_place, info.signed_date, info.language) == ("Puglia", "13 June 2024", "en")


# Partners as their titles write them, where that is the full style of the state.
_FORMAL = {
    "united-states.docx": "United States of America",
    "united-kingdom.pdf": "United Kingdom of Great Britain & Northern Ireland",
}


@pytest.mark.corpus
def test_partners_match_the_manifest(shared_corpus, infos) -> None:
    manifest = _manifest(shared_corpus)
    want = {f: (_FORMAL.get(f, row["partner"]),) for f, row in manifest.items()}

    assert {f: i.partners for f, i in infos.items()} == want
