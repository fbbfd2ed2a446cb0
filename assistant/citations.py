"""Citation strings as staff write them in briefing notes.

Example: "Canada-Ukraine Agreement, Part II, para. 3".
"""

from __future__ import annotations

import re

from assistant.ingest.metadata import DocumentInfo
from assistant.ingest.structure import Passage

_LABELLED = re.compile(
    r"^(Part|Article|Chapter|Section|Paragraph|Частина|Стаття|Розділ)\s+([IVXLC]+|\d+|[A-Z])\b",
    re.IGNORECASE,
)
# Roman numerals and numbers may stand bare ("VIII Compensation"); a single other letter needs
# its punctuation, so "A just peace" is a heading, not section A.
_NUMBERED = re.compile(r"^(?:([IVXLC]+|\d{1,2})[.):]?|([A-Za-z])[.):])(?:\s|$)")


def document_name(info: DocumentInfo) -> str:
    """'Canada-Ukraine Agreement': the partner's short name (from the file name when it names a
    known partner, so "united-kingdom" gives "United Kingdom", not the full style of the state).
    A document whose title names no parties (the CUSSP overview) is cited by its title."""
    from assistant.search.scope import BY_DOC

    if info.doc in BY_DOC:
        return f"{info.doc.replace('-', ' ').title()}-Ukraine Agreement"
    if " between " in f" {info.title.lower()} " and info.partners:
        return f"{info.partners[0]}-Ukraine Agreement"
    return info.title


def section_label(heading: str) -> str:
    """'Part II' for 'Part II. Consultation ...', 'A' for 'A. Defence ...', else the heading."""
    match = _LABELLED.match(heading)
    if match:
        return f"{match.group(1).title()} {match.group(2).upper()}"
    match = _NUMBERED.match(heading)
    if match:
        return match.group(1) or match.group(2)
    return heading


def citation(info: DocumentInfo, passage: Passage) -> str:
    """The full citation of a passage.

    >>> # Canada's GSOIA clause: "Canada-Ukraine Agreement, Part IV, C, para. 2"
    """
    parts = [document_name(info)]
    if passage.kind == "title":
        parts.append("title")
    elif passage.kind == "signature":
        parts.append("signature block")
    else:
        parts.extend(section_label(s) for s in passage.section)
        if passage.number:
            parts.append(f"para. {passage.number}")
    return ", ".join(parts)
