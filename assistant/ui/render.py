"""HTML and Markdown for the app, escaped here on the server.

Corpus text and user input are untrusted: a clause may hold ``<script>``, an image in Markdown,
LaTeX or a mermaid fence. Every such string goes through :func:`esc`, which HTML-escapes it and
also turns the characters Markdown, LaTeX and template engines react to into character
references, so the page shows them literally whatever renderer sits downstream. Only the tags
written in this module reach the page.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import urlencode

# Relevance bands for the fused score (cosine similarity plus a share of BM25, about 0..1.3).
# Measured with the bundled model on the Canada agreement: questions it answers score 1.0-1.2
# at the top ("demining" 0.80); questions it abstains on 0.45-0.64. Below WEAK_SCORE the best
# clause may well not answer, and the page says so plainly.
STRONG_SCORE = 0.9
WEAK_SCORE = 0.75
WEAK_NOTICE = (
    "Weak match: the closest clauses below may not answer your question. "
    "Check the quotes, or rephrase with words the agreement would use."
)

# Characters with a meaning in Markdown, LaTeX, mermaid fences or JavaScript templates.
# One translation table, so that no reference is escaped twice.
_INERT = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}
    | {c: f"&#{ord(c)};" for c in "`$*_[]{}!~|\\#^"}
    | {"\u2028": "&#8232;", "\u2029": "&#8233;"}
)


def esc(text: object) -> str:
    """``text`` as inert HTML: escaped, with Markdown/LaTeX/template characters as references.

    >>> esc('<b>![x](http://a/x.png) $$x$$')
    '&lt;b&gt;&#33;&#91;x&#93;(http://a/x.png) &#36;&#36;x&#36;&#36;'
    """
    return str(text).translate(_INERT)


def relevance(score: float) -> str:
    """'strong', 'moderate' or 'weak' for a passage's fused score."""
    if score >= STRONG_SCORE:
        return "strong"
    return "moderate" if score >= WEAK_SCORE else "weak"


def is_weak(answer: Mapping) -> bool:
    """True when the answer is given but its best passage scores in the weak band."""
    passages = answer["passages"]
    return not answer["abstained"] and bool(passages) and passages[0]["score"] < WEAK_SCORE


def highlight_offsets(passage: Mapping) -> tuple[int, int]:
    """Where the highlighted sentence sits in the passage text (the whole text if absent)."""
    text, highlight = passage["text"], passage.get("highlight") or ""
    start = text.find(highlight) if highlight else -1
    return (start, start + len(highlight)) if start >= 0 else (0, len(text))


def marked(text: str, start: int, end: int) -> str:
    """``text`` escaped, with ``text[start:end]`` inside ``<mark>``."""
    return f"{esc(text[:start])}<mark>{esc(text[start:end])}</mark>{esc(text[end:])}"


def question_html(question: str) -> str:
    return f'<p class="cq-question">{esc(question)}</p>'


def quote_html(passage: Mapping, label: str = "") -> str:
    """One numbered verbatim quote with its citation and relevance."""
    s, e = highlight_offsets(passage)
    band = relevance(passage["score"])
    label = label or f"[{passage['rank']}]"
    number = f'<span class="cq-num">{esc(label)}</span> '
    return (
        f'<li class="cq-quote">{number}<span class="cq-cite">{esc(passage["citation"])}</span> '
        f'<span class="cq-score cq-{band}">relevance {passage["score"]:.2f} ({band})</span>'
        f'<blockquote class="cq-text">{marked(passage["text"], s, e)}</blockquote></li>'
    )


def answer_html(answer: Mapping, turn: int) -> str:
    """An answer as shown in the chat: notice, best sentence, numbered quotes."""
    parts = ['<div class="cq-answer">']
    passages = answer["passages"]
    if answer["abstained"]:
        parts.append(f'<p class="cq-notice cq-abstain">{esc(answer["answer"])}</p>')
    elif passages:
        best = passages[0]
        if is_weak(answer):
            parts.append(f'<p class="cq-notice cq-weak">{esc(WEAK_NOTICE)}</p>')
        parts.append(
            f'<p class="cq-best"><mark>{esc(best["highlight"])}</mark> '
            f'<span class="cq-cite">({esc(best["citation"])})</span></p>'
        )
    if passages:
        parts.append('<ol class="cq-quotes">')
        parts.extend(quote_html(p, f"Q{turn} [{p['rank']}]") for p in passages)
        parts.append("</ol>")
        parts.append(
            f'<p class="cq-hint">To read a quote in its place, choose “Q{turn} [n]” under '
            "“Open a quote” in the reader.</p>"
        )
    also = answer.get("also") or []
    if also:
        others = "agreement" if len(also) == 1 else "agreements"
        parts.append(
            f'<p class="cq-also">Also addressed in {len(also)} other {others} '
            f"({esc(', '.join(also))}): ask it in the Compare tab to see each one's clause.</p>"
        )
    parts.append("</div>")
    return "".join(parts)


def notice_html(message: str, kind: str = "info") -> str:
    """A one-line status message (``kind``: info, working, error, ok)."""
    return f'<p class="cq-status cq-{esc(kind)}" role="status">{esc(message)}</p>'


def reader_link(doc: str, ordinal: int, span: tuple[int, int] | None) -> str:
    """The query string that reopens this passage: ``doc=canada&p=42&h=10-80``."""
    params = {"doc": doc, "p": str(ordinal)}
    if span:
        params["h"] = f"{span[0]}-{span[1]}"
    return urlencode(params)


def reader_html(
    document, index: int, span: tuple[int, int] | None, citation: str, around: int = 2
) -> str:
    """The passage ``document.passages[index]`` in its section, between its neighbours.

    Headings are repeated wherever the section path changes, so the reader always sees where a
    clause sits; ``span`` (offsets into the passage text) is highlighted.
    """
    passages = document.passages
    shown = passages[max(0, index - around) : index + around + 1]
    current = passages[index]
    parts = [
        '<div class="cq-reader">',
        f'<p class="cq-doc">{esc(document.info.title)}</p>',
        f'<p class="cq-cite">{esc(citation)}</p>',
    ]
    section: tuple[str, ...] = ()
    for p in shown:
        if p.section != section:
            common = next(
                (i for i, (a, b) in enumerate(zip(section, p.section, strict=False)) if a != b),
                min(len(section), len(p.section)),
            )
            parts.extend(
                f'<p class="cq-heading cq-level-{i + 1}">{esc(p.section[i])}</p>'
                for i in range(common, len(p.section))
            )
            section = p.section
        if p is current:
            s, e = span or (0, len(p.text))
            parts.append(f'<div class="cq-passage cq-current">{marked(p.text, s, e)}</div>')
        else:
            parts.append(f'<div class="cq-passage cq-neighbour">{esc(p.text)}</div>')
    link = reader_link(current.doc, current.ordinal, span)
    parts.append(f'<p class="cq-link"><a href="?{esc(link)}">Link to this passage</a></p>')
    parts.append("</div>")
    return "".join(parts)


def reader_placeholder() -> str:
    return (
        '<div class="cq-reader cq-empty"><p>Quotes open here in their place in the agreement, '
        "with the paragraphs around them.</p></div>"
    )


def comparison_html(comparison: Mapping) -> str:
    """A table: agreement, citation, quote (or why there is none)."""
    rows = []
    for r in comparison["results"]:
        p = r.get("passage")
        if p:
            s, e = highlight_offsets(p)
            cite, quote = esc(p["citation"]), marked(p["text"], s, e)
        else:
            cite, quote = "—", ""
        note = f'<p class="cq-note">{esc(r["note"])}</p>' if r.get("note") else ""
        rows.append(
            f"<tr><td>{esc(r.get('partner') or r['title'])}</td><td>{cite}</td>"
            f'<td><span class="cq-text">{quote}</span>{note}</td></tr>'
        )
    return (
        '<table class="cq-table"><thead><tr><th scope="col">Agreement</th>'
        '<th scope="col">Citation</th><th scope="col">Quote</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


VERDICTS = {
    "supported": "Supported by the agreement",
    "partial": "Partly supported: some details differ",
    "unsupported": "Not supported by the agreement",
}


def engine_note_html(note: str) -> str:
    """What the engine is doing that changes answers (the domain model training), or ''."""
    return notice_html(note, "info") if note else ""


# How each part's check reads in the table under a verdict.
CHECK_STATUS = {
    "ok": "matches",
    "contradicted": "contradicted",
    "overstated": "overstated",
    "not found": "not found",
    "not stated": "not stated",
}


def checks_html(checks: Iterable[Mapping], decided_by: str) -> str:
    """The parts of a claim checked (who, how firmly, whether, what, figures): what the claim
    says, what the clause says, the outcome; the deciding part marked."""
    rows = []
    for check in checks:
        decided = " cq-decided" if check["part"] == decided_by else ""
        rows.append(
            f'<tr class="cq-check-{esc(check["status"].replace(" ", "-"))}{decided}">'
            f'<th scope="row">{esc(check["part"])}</th><td>{esc(check["claim"]) or "—"}</td>'
            f"<td>{esc(check['clause']) or '—'}</td>"
            f"<td>{esc(CHECK_STATUS.get(check['status'], check['status']))}</td></tr>"
        )
    return (
        '<table class="cq-checks"><thead><tr><th scope="col">Part</th>'
        '<th scope="col">The claim says</th><th scope="col">The clause says</th>'
        '<th scope="col">Outcome</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def verdict_html(verdict: Mapping) -> str:
    """The verdict and the part that decided it, the parts checked (a small table), the
    mismatches named, then the evidence quotes."""
    kind = verdict["verdict"]
    parts = [
        f'<div class="cq-verdict cq-{esc(kind)}">',
        f'<p class="cq-verdict-label">{esc(VERDICTS.get(kind, kind))}</p>',
    ]
    decided_by = verdict.get("decided_by", "")
    if decided_by:
        why = "every part matches" if decided_by == "all parts" else f"decided by: {decided_by}"
        parts.append(f'<p class="cq-decided-by">{esc(why)}</p>')
    if verdict.get("checks"):
        parts.append(checks_html(verdict["checks"], decided_by))
    if verdict.get("mismatches"):
        parts.append('<ul class="cq-mismatches">')
        parts.extend(
            f"<li><strong>{esc(m['kind'])}</strong>: the claim says “{esc(m['claim'])}”, "
            f"the agreement says “{esc(m['found'])}”.</li>"
            for m in verdict["mismatches"]
        )
        parts.append("</ul>")
    if verdict.get("absent"):
        figures = ", ".join(f"“{esc(a)}”" for a in verdict["absent"])
        parts.append(f'<p class="cq-absent">No clause states: {figures}.</p>')
    if verdict.get("passages"):
        parts.append('<p>Evidence:</p><ol class="cq-quotes">')
        parts.extend(quote_html(p) for p in verdict["passages"])
        parts.append("</ol>")
    parts.append("</div>")
    return "".join(parts)


def tour_html(stops: Iterable[Mapping]) -> str:
    parts = ['<div class="cq-tour">']
    for number, stop in enumerate(stops, start=1):
        parts.append(f"<h3>{number}. {esc(stop['title'])}</h3>")
        size = stop.get("paragraphs")
        if isinstance(size, int):
            parts.append(f'<p class="cq-hint">{size} paragraph{"s" if size != 1 else ""}</p>')
        else:
            parts.extend(f"<p>{esc(text)}</p>" for text in size or ())
        for sentence in stop.get("key_sentences", stop.get("sentences", ())):
            text, cite = _sentence_parts(sentence)
            parts.append(
                f'<blockquote class="cq-text">{esc(text)}</blockquote>'
                f'<p class="cq-cite">{esc(cite)}</p>'
            )
        if stop.get("questions"):
            parts.append('<p>Questions to try:</p><ul class="cq-try">')
            parts.extend(f"<li>{esc(q)}</li>" for q in stop["questions"])
            parts.append("</ul>")
    parts.append("</div>")
    return "".join(parts)


def _sentence_parts(sentence: object) -> tuple[str, str]:
    """(text, citation) of a tour sentence given as a dict, a pair or a bare string."""
    if isinstance(sentence, Mapping):
        return str(sentence.get("text", "")), str(sentence.get("citation", ""))
    if isinstance(sentence, Sequence) and not isinstance(sentence, str) and len(sentence) == 2:
        return str(sentence[0]), str(sentence[1])
    return str(sentence), ""


def table_html(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A plain table of escaped cells."""
    head = "".join(f'<th scope="col">{esc(h)}</th>' for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="cq-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def glossary_html(terms: Iterable[Mapping]) -> str:
    rows = [(t["term"], t["expansion"], t["citation"]) for t in terms]
    if not rows:
        return notice_html("The agreement defines no acronyms or terms.")
    return table_html(("Term", "Stands for", "Where defined"), rows)


def facts_html(facts: Iterable[Mapping]) -> str:
    rows = [(f["kind"], f["value"], f["sentence"], f["citation"]) for f in facts]
    if not rows:
        return notice_html("No figures, durations or dates were found in the agreement.")
    return table_html(("Fact", "Value", "Sentence", "Citation"), rows)


def quiz_result_html(items: Sequence[Mapping], answers: Sequence[object]) -> str:
    """Score the user's answers and show, per question, the right answer and its source."""
    right = sum(a == item["answer"] for item, a in zip(items, answers, strict=False))
    parts = [f'<p class="cq-score-total">You scored {right} out of {len(items)}.</p><ol>']
    for item, given in zip(items, answers, strict=False):
        ok = given == item["answer"]
        verdict = "Right" if ok else f"Not quite: the answer is “{esc(item['answer'])}”"
        source = _passage_citation(item.get("passage"))
        parts.append(
            f'<li class="cq-{"right" if ok else "wrong"}">{esc(item["question"])}<br>'
            f"{verdict}{f' ({esc(source)})' if source else ''}.</li>"
        )
    parts.append("</ol>")
    return "".join(parts)


def _passage_citation(passage: object) -> str:
    if isinstance(passage, Mapping):
        return str(passage.get("citation", ""))
    return str(passage or "")


_MD_SPECIAL = str.maketrans({c: f"\\{c}" for c in "\\`*_[]<>!$|~#{}"})


def md(text: str) -> str:
    """``text`` with Markdown's active characters backslash-escaped, so it renders verbatim."""
    return text.translate(_MD_SPECIAL)


def conversation_markdown(turns: Sequence[tuple[str, Mapping]], index_version: str) -> str:
    """The conversation as Markdown: each question, its answer and numbered cited quotes."""
    lines = ["# Conversation with the agreement assistant", "", f"Index: {md(index_version)}", ""]
    for number, (question, answer) in enumerate(turns, start=1):
        lines += [f"## Q{number}. {md(question)}", ""]
        passages = answer["passages"]
        if answer["abstained"]:
            lines += [md(answer["answer"]), ""]
        elif passages:
            best = passages[0]
            lines += [f"**Answer:** “{md(best['highlight'])}” ({md(best['citation'])})", ""]
        for p in passages:
            lines.append(f"{p['rank']}. {md(p['citation'])} (relevance {p['score']:.2f})")
            lines += [f"   > {md(line)}" for line in p["text"].splitlines() or [""]]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"
