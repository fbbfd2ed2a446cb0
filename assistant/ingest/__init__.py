"""Ingest: from agreement files to passages that follow the document's own structure.

The first stage of a question's journey, done once per build: ``readers`` turn a file (DOCX,
PDF, HTML, Markdown, text) into blocks, ``structure`` splits the blocks into numbered passages
with their section path, ``metadata`` reads title, partners and signing, and ``documents``
ties them together for a corpus folder.
"""
