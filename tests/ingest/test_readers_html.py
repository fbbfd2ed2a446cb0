"""Tests for :mod:`assistant.ingest.readers.html`: visible paragraphs, list numbers and nesting."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.ingest.readers import Block
from assistant.ingest.readers import html as html_reader


def _read(tmp_path: Path, body: str) -> list[Block]:
    path = tmp_path / "page.html"
    path.write_text(
        "<!DOCTYPE html><html><head><title>Title text</title>"
        "<style>p { color: red }</style></head>"
        f"<body>{body}</body></html>",
        encoding="utf-8",
    )
    return html_reader.read(path)


def test_headings_paragraphs_and_ignored_elements(tmp_path: Path) -> None:
    blocks = _read(
        tmp_path,
        """
        <nav><a href="/">Home</a></nav>
        <h1>Agreement on   Security</h1>
        <script>document.write("<p>injected</p>")</script>
        <noscript>Enable scripts</noscript>
        <template><p>template text</p></template>
        <h2>Part I. <em>Scope</em></h2>
        <p>The Participants <b>will</b>
           cooperate.<br>Second line.</p>
        <p>Write &lt;b&gt; to make text bold &amp; more.</p>
        <!-- a comment -->
        <p hidden>Hidden paragraph</p>
        <p style="display: none">Invisible paragraph</p>
        """,
    )
    assert blocks == [
        Block("Agreement on Security", heading=True),
        Block("Part I. Scope", heading=True),
        Block("The Participants will cooperate. Second line."),
        Block("Write <b> to make text bold & more."),
    ]


def test_ordered_list_start_and_type(tmp_path: Path) -> None:
    blocks = _read(
        tmp_path,
        """
        <ol start="3"><li>Third</li><li>Fourth</li></ol>
        <ol type="i"><li>one</li><li>two</li><li>three</li><li>four</li></ol>
        <ol type="A" start="2"><li>Bee</li><li value="26">Zed</li><li>After zed</li></ol>
        <ol type="I"><li value="9">Nine</li><li>Ten</li></ol>
        <ul><li>Bullet</li></ul>
        """,
    )
    assert blocks == [
        Block("Third", list_level=0, number="3"),
        Block("Fourth", list_level=0, number="4"),
        Block("one", list_level=0, number="i"),
        Block("two", list_level=0, number="ii"),
        Block("three", list_level=0, number="iii"),
        Block("four", list_level=0, number="iv"),
        Block("Bee", list_level=0, number="B"),
        Block("Zed", list_level=0, number="Z"),
        Block("After zed", list_level=0, number="AA"),
        Block("Nine", list_level=0, number="IX"),
        Block("Ten", list_level=0, number="X"),
        Block("Bullet", list_level=0),
    ]


def test_nested_lists_give_parent_text_then_children(tmp_path: Path) -> None:
    blocks = _read(
        tmp_path,
        """
        <ol>
          <li>The Participants will:
            <ol type="a">
              <li>consult each other;</li>
              <li>share information:
                <ul><li>on threats</li></ul>
              </li>
            </ol>
          </li>
          <li><p>Second item.</p><p>Its second paragraph.</p></li>
        </ol>
        """,
    )
    assert blocks == [
        Block("The Participants will:", list_level=0, number="1"),
        Block("consult each other;", list_level=1, number="a"),
        Block("share information:", list_level=1, number="b"),
        Block("on threats", list_level=2),
        Block("Second item.", list_level=0, number="2"),
        Block("Its second paragraph.", list_level=0),
    ]


def test_divs_and_table_cells(tmp_path: Path) -> None:
    blocks = _read(
        tmp_path,
        """
        <div>Direct text<div>Inner div</div>tail text</div>
        <table>
          <tr><th>Year</th><th>Amount</th></tr>
          <tr><td>2024</td><td>EUR <i>7.1</i> billion</td></tr>
        </table>
        """,
    )
    assert [b.text for b in blocks] == [
        "Direct text",
        "Inner div",
        "tail text",
        "Year",
        "Amount",
        "2024",
        "EUR 7.1 billion",
    ]
    assert all(b.list_level is None and not b.heading for b in blocks)


@pytest.mark.parametrize(
    ("value", "style", "label"),
    [(1, "1", "1"), (4, "i", "iv"), (1994, "I", "MCMXCIV"), (27, "a", "aa"), (0, "a", "0")],
)
def test_number_labels(value: int, style: str, label: str) -> None:
    assert html_reader._format_number(value, style) == label
