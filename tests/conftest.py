"""Shared fixtures: a DOCX builder with Word auto-numbering, a tiny corpus written in code, a
session-wide index over it with the hashing embedder, and (marked tests only) the real model over
the real Canada agreement."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from assistant.search.embedding import HashingEmbedder
from assistant.settings import DEFAULT_MODEL, Settings

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[2] / "shared"
CORPUS = SHARED / "corpus"
DEV_QUESTIONS = SHARED / "eval" / "dev_questions.jsonl"

# Settings that ignore the developer's ASSISTANT_* variables, so results do not depend on them.
CLEAN_SETTINGS = Settings.from_env(environ={})
# The JSON contract of an answer (README, "JSON answers have exactly these fields").
ANSWER_KEYS = {"question", "abstained", "answer", "passages", "also"}
PASSAGE_KEYS = {
    "rank",
    "doc",
    "title",
    "section",
    "number",
    "citation",
    "text",
    "highlight",
    "start",
    "end",
    "score",
}


# --- DOCX inputs, built in code ------------------------------------------------------------------

_LEVEL_TEXT = {
    "decimal": "%{n}.",
    "lowerRoman": "(%{n})",
    "upperRoman": "%{n}.",
    "lowerLetter": "(%{n})",
    "upperLetter": "%{n}.",
    "bullet": "\u2022",
}


class DocxBuilder:
    """A python-docx document plus helpers to add Word numbering definitions and numbered
    paragraphs (the numbers live in ``numbering.xml``, not in the paragraph text)."""

    def __init__(self) -> None:
        import docx

        self.document = docx.Document()
        self._numbering = self.document.part.numbering_part.element
        # Ids far above the default template's own definitions.
        self._abstract_ids = itertools.count(100)
        self._num_ids = itertools.count(100)

    def abstract(self, *levels: tuple[str, int]) -> int:
        """Add a ``w:abstractNum`` with one ``(numFmt, start)`` per level; return its id."""
        from docx.oxml import parse_xml
        from docx.oxml.ns import nsdecls

        abstract_id = next(self._abstract_ids)
        lvls = "".join(
            f'<w:lvl w:ilvl="{i}"><w:start w:val="{start}"/><w:numFmt w:val="{fmt}"/>'
            f'<w:lvlText w:val="{_LEVEL_TEXT[fmt].format(n=i + 1)}"/></w:lvl>'
            for i, (fmt, start) in enumerate(levels)
        )
        element = parse_xml(
            f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{abstract_id}">{lvls}</w:abstractNum>'
        )
        # The schema wants every abstractNum before the first num.
        first_num = self._numbering.find(f"{{{_W}}}num")
        if first_num is None:
            self._numbering.append(element)
        else:
            first_num.addprevious(element)
        return abstract_id

    def num(self, abstract_id: int, start_overrides: dict[int, int] | None = None) -> int:
        """Add a list instance (``w:num``) of an abstract definition; return its numId."""
        from docx.oxml import parse_xml
        from docx.oxml.ns import nsdecls

        num_id = next(self._num_ids)
        overrides = "".join(
            f'<w:lvlOverride w:ilvl="{ilvl}"><w:startOverride w:val="{value}"/></w:lvlOverride>'
            for ilvl, value in (start_overrides or {}).items()
        )
        self._numbering.append(
            parse_xml(
                f'<w:num {nsdecls("w")} w:numId="{num_id}"><w:abstractNumId w:val="{abstract_id}"/>'
                f"{overrides}</w:num>"
            )
        )
        return num_id

    def para(self, text: str, num_id: int | None = None, ilvl: int = 0):
        """Add a paragraph, auto-numbered by list ``num_id`` at level ``ilvl`` when given."""
        paragraph = self.document.add_paragraph(text)
        if num_id is not None:
            num_pr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
            num_pr.get_or_add_ilvl().val = ilvl
            num_pr.get_or_add_numId().val = num_id
        return paragraph

    def save(self, path: Path) -> Path:
        self.document.save(str(path))
        return path


_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


@pytest.fixture
def docx_builder() -> type[DocxBuilder]:
    return DocxBuilder


# --- A tiny corpus, one file per reader ----------------------------------------------------------

NETHERLANDS_TXT = """\
Agreement on security cooperation between Ukraine and the Netherlands

Preamble

Ukraine and the Netherlands, hereinafter the Participants, reaffirm their support for the
sovereignty and territorial integrity of Ukraine.

Part I. Military Support

1. The Netherlands will provide military equipment, including F-16 aircraft, to Ukraine.

2. The Participants will cooperate to:

(a) train Ukrainian pilots;

(b) maintain aircraft and air defence systems.

Part II. Final Provisions

1. This Agreement will enter into effect on the date of signature and is valid for a period of
ten (10) years.

Signed in Kharkiv on 1 March 2024, in duplicate, in the English and Ukrainian languages.
"""

UNITED_KINGDOM_MD = """\
# Agreement on Security Co-operation between the United Kingdom and Ukraine

## Part I. Cyber Security

1. The Participants will seek to conclude a General Security of Information Agreement (GSOIA)
between their respective countries.

2. The United Kingdom will help Ukraine defend its energy infrastructure against cyber attacks.

## Part II. Duration

1. This Agreement will remain in force for ten years.

Done in Kyiv on 12 January 2024.
"""


def write_united_states_docx(path: Path) -> Path:
    """A DOCX whose paragraph numbers come from Word numbering, as in the real agreements."""
    doc = DocxBuilder()
    outline = doc.abstract(("decimal", 1), ("lowerRoman", 1))
    part_one, part_two = doc.num(outline), doc.num(outline)
    doc.para("Bilateral security agreement between Ukraine and the United States of America")
    doc.para("Part I. Purpose")
    doc.para("The United States will support the defence industry of Ukraine.", part_one)
    doc.para("The Participants will:", part_one)
    doc.para("expand co-production of munitions;", part_one, ilvl=1)
    doc.para("share information on sanctions evasion.", part_one, ilvl=1)
    doc.para("Part II. Final Provisions")
    doc.para("This Agreement shall remain in force for ten years.", part_two)
    doc.para("Done at Puglia, Italy, this 13th day of June, 2024, in two originals.")
    return doc.save(path)


def write_tiny_corpus(folder: Path) -> Path:
    """Three agreements, one per reader (.txt, .md, .docx); return the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "netherlands.txt").write_text(NETHERLANDS_TXT, encoding="utf-8")
    (folder / "united-kingdom.md").write_text(UNITED_KINGDOM_MD, encoding="utf-8")
    write_united_states_docx(folder / "united-states.docx")
    return folder


@pytest.fixture
def tiny_corpus(tmp_path: Path) -> Path:
    return write_tiny_corpus(tmp_path / "corpus")


@pytest.fixture(scope="session")
def tiny_corpus_session(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny corpus, written once; tests must not modify it."""
    return write_tiny_corpus(tmp_path_factory.mktemp("tiny") / "corpus")


@pytest.fixture(scope="session")
def hashing_bot(tmp_path_factory: pytest.TempPathFactory, tiny_corpus_session: Path):
    """An Assistant over the tiny corpus with the deterministic fake embedder, and no question
    bank (the shipped bank knows the real titles, which the tiny corpus reuses)."""
    import assistant.bank
    from assistant import Assistant

    index = tmp_path_factory.mktemp("tiny-index")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(assistant.bank, "FOLDER", tmp_path_factory.mktemp("no-bank"))
        return Assistant.open(
            corpus=tiny_corpus_session,
            index=index,
            embedder=HashingEmbedder(),
            settings=CLEAN_SETTINGS,
            report=lambda message: None,
        )


# --- The shared corpus and the real model (marked tests) -----------------------------------------


@pytest.fixture(scope="session")
def shared_corpus() -> Path:
    if not (CORPUS / "canada.docx").is_file():
        pytest.skip(f"the shared corpus is not at {CORPUS}")
    return CORPUS


@pytest.fixture(scope="session")
def canada(shared_corpus: Path):
    from assistant.ingest.documents import read_document

    return read_document(shared_corpus / "canada.docx")


@pytest.fixture(scope="session")
def all_documents(shared_corpus: Path):
    """All agreements of the shared corpus and the warnings (skipped files) reading them gave."""
    from assistant.ingest.documents import read_corpus

    warnings: list[str] = []
    return read_corpus(shared_corpus, warn=warnings.append), warnings


@pytest.fixture(scope="session")
def real_bot(tmp_path_factory: pytest.TempPathFactory, shared_corpus: Path):
    """The real model over a corpus holding only the Canada agreement, indexed once, with its
    domain model trained from Canada's bank (about a minute)."""
    from assistant import Assistant

    corpus = tmp_path_factory.mktemp("canada-only")
    (corpus / "canada.docx").symlink_to(shared_corpus / "canada.docx")
    index = tmp_path_factory.mktemp("canada-index")
    return Assistant.open(
        corpus=corpus,
        index=index,
        model=DEFAULT_MODEL,
        settings=CLEAN_SETTINGS,
        report=lambda message: None,
        train=True,
    )


@pytest.fixture(scope="session")
def real_all_bot(tmp_path_factory: pytest.TempPathFactory, shared_corpus: Path):
    """The real model over all 28 agreements, indexed once per session, with the domain model
    trained from the bank (about five minutes)."""
    from assistant import Assistant

    return Assistant.open(
        corpus=shared_corpus,
        index=tmp_path_factory.mktemp("all-index"),
        model=DEFAULT_MODEL,
        settings=CLEAN_SETTINGS,
        report=lambda message: None,
        train=True,
    )
