"""Search: from a question to ranked passages.

The second stage of a question's journey: ``embedding`` and ``encoder`` turn texts into vectors,
``vectors`` (and ``milvus``) hold the passage vectors, ``lexical`` is BM25, ``glossary`` expands
acronyms the corpus defines, ``scope`` picks the agreements a question is about, and ``retrieve``
fuses the signals into one ranking.
"""
