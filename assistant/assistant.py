"""The facade the CLI, the app and Python users call: open an index, ask questions."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from assistant import bank
from assistant.answer import (
    NOT_ADDRESSED,
    Answer,
    QuotedPassage,
    highlight_span,
    sentences,
    should_abstain,
)
from assistant.citations import citation
from assistant.errors import QuestionError, UnknownDocumentError
from assistant.index import Snapshot, build, load
from assistant.ingest.readers import clean_text
from assistant.language import question_notice
from assistant.search import domain, rerank
from assistant.search.embedding import Embedder, load_embedder
from assistant.search.encoder import model_file, query_embedder
from assistant.search.lexical import tokens
from assistant.search.retrieve import Fusion, Hit, Retriever
from assistant.search.scope import named_documents, without_partners
from assistant.settings import Settings

log = logging.getLogger(__name__)
DOMAIN_NOTICE = {
    "missing": "Answering with the bundled model and the question bank; the domain model is not "
    "trained yet (python -m assistant build trains it; serve trains it in the background).",
    "outdated": "The domain model was trained on an earlier bank or corpus; it still answers. "
    "python -m assistant build retrains it.",
}


class Assistant:
    """Question answering over one built index.

    >>> bot = Assistant.open(corpus="corpus", index="index")  # doctest: +SKIP
    >>> bot.ask("What is GSOIA?", k=3).passages[0].citation  # doctest: +SKIP
    'Canada-Ukraine Agreement, Part IV, C, para. 2'
    """

    def __init__(
        self, snapshot: Snapshot, embedder: Embedder, settings: Settings, reranker=None
    ) -> None:
        self.snapshot = snapshot
        self.embedder = embedder
        self.settings = settings
        fusion = Fusion(bank=bank.enabled(settings.bank))
        self.retriever = Retriever(
            snapshot, embedder, primary=settings.primary or None, fusion=fusion, reranker=reranker
        )
        self.domain = "off"  # the domain model's state when opened (see assistant.search.domain)

    @classmethod
    def open(
        cls,
        corpus: str | Path | None = None,
        index: str | Path | None = None,
        model: str | None = None,
        embedder: Embedder | None = None,
        settings: Settings | None = None,
        report: Callable[[str], None] = log.info,
        train: bool = False,
    ) -> Assistant:
        """Load the index for ``corpus``, building it first when missing or stale.

        With the ``tune`` setting on, answers come from the domain model once it is trained
        (:mod:`assistant.search.domain`); ``train`` trains it first when it is missing or
        outdated (minutes), and rebuilds the index with it.
        """
        settings = (settings or Settings.from_env()).with_(
            corpus=Path(corpus) if corpus else None,
            index=Path(index) if index else None,
            model=model,
        )
        model_file(settings.query_precision)  # unknown settings fail before a long build
        bank.enabled(settings.bank)
        tune = domain.enabled(settings.tune)
        second_stage = rerank.enabled(settings.rerank)
        base = embedder or load_embedder(settings.model)
        chosen = domain.choose(settings.index, base, tune)
        build(settings.corpus, settings.index, chosen, report=report)
        snapshot = load(settings.index, chosen, settings.backend, settings.milvus_uri)
        state = domain.state(settings.index, base, snapshot) if tune else "off"
        if train and state in ("missing", "outdated"):
            chosen = domain.embedder(domain.train(settings.index, base, snapshot, report), base)
            report("Re-embedding the corpus with the domain model ...")
            build(settings.corpus, settings.index, chosen, report=report)
            snapshot = load(settings.index, chosen, settings.backend, settings.milvus_uri)
            state = "ready"
        elif state in ("missing", "outdated"):
            report(DOMAIN_NOTICE[state])
        reranker = None
        if second_stage and domain.tunable(base):
            folder = rerank.latest(settings.index)
            if folder is None and train:
                folder = rerank.train_for(settings.index, base, snapshot, report)
            if folder is None:
                report("The reranker is not trained yet: run python -m assistant build.")
            reranker = rerank.Reranker(folder) if folder else None
        # Queries go through the ONNX export when there is one: no torch on the query path.
        queries = query_embedder(settings.index, chosen, settings.query_precision)
        bot = cls(snapshot, queries, settings, reranker)
        bot.domain = state
        return bot

    @property
    def documents(self):
        return self.snapshot.documents

    def check_question(self, question: object, what: str = "question") -> str:
        """The question as plain text (see :func:`clean_text`), or a :class:`QuestionError`
        saying what is wrong with it: not text, empty, or over the length limit."""
        if not isinstance(question, str):
            raise QuestionError(f"The {what} must be text, not {type(question).__name__}.")
        limit = self.settings.max_question_chars
        # Cheap bound first: a megabyte of text is refused before any other work.
        if len(question) <= 4 * limit:
            question = clean_text(question)
        if not question:
            raise QuestionError(f"Please type a {what} (it was empty).")
        if len(question) > limit:
            raise QuestionError(
                f"The {what} has {len(question)} characters; the limit is {limit}. "
                "Please shorten it."
            )
        return question

    def ask(self, question: str, k: int | None = None, doc: str | None = None) -> Answer:
        """Answer with the ``k`` best passages, quoted verbatim with citations."""
        question = self.check_question(question)
        if doc and doc not in self.documents:
            raise UnknownDocumentError(
                f"No document '{doc}' in the index. Known: {', '.join(sorted(self.documents))}."
            )
        k = k or self.settings.k
        scope = self.retriever.scope(question, doc)
        hits = self.retriever.search(question, k=k, docs=scope)
        answer = self.answer_hits(question, hits, judged_as=self._what_is_asked(question, doc))
        if doc or scope != [self.retriever.primary] or answer.abstained:
            return answer
        return self._with_others(answer)

    def _with_others(self, answer: Answer) -> Answer:
        """The primary agreement's answer, saying which other agreements address it too."""
        from assistant.compare import addressed_in

        others = [d for d in self.documents if d != self.retriever.primary]
        also = tuple(addressed_in(self, answer.question, others))
        if not also:
            return answer
        line = (
            f"Also addressed in {len(also)} other agreement{'s' if len(also) > 1 else ''} "
            "(see Compare)."
        )
        return replace(answer, answer=f"{answer.answer}\n{line}", also=also)

    def _what_is_asked(self, question: str, doc: str | None) -> str | None:
        """The question without the partners it names, when it names any: the names chose the
        agreement to search; whether that agreement addresses the question is judged without
        them ("What is the population of Ljubljana?" is not about Slovenia's agreement)."""
        if doc:
            return None
        infos = [d.info for d in self.documents.values()]
        if not named_documents(question, infos):
            return None
        return without_partners(question, infos) or None

    def answer_hits(
        self,
        question: str,
        hits: list[Hit],
        may_abstain: bool = True,
        judged_as: str | None = None,
    ) -> Answer:
        """The answer that quotes ``hits`` (ranked as given) for ``question``.

        Conversation, compare and verify search in their own ways and answer through this.
        A question in another language than the model's gets a plain notice in ``answer``.
        With ``may_abstain`` False the best passage is quoted even when the signals are weak
        (a follow-up that continues an answered topic). ``judged_as`` is what abstention
        judges instead of the question (the question without the partners it names).
        """
        asked = set(tokens(question))
        quoted = tuple(
            self._quote(rank, hit, asked, question) for rank, hit in enumerate(hits, start=1)
        )
        abstained = not hits or (may_abstain and self._abstains(question, hits, judged_as))
        text = NOT_ADDRESSED if abstained else self._answer_line(hits, quoted)
        notice = question_notice(question)
        return Answer(question, abstained, f"{notice}\n{text}" if notice else text, quoted)

    def _abstains(self, question: str, hits: list[Hit], judged_as: str | None) -> bool:
        """Whether nothing found connects the question (or ``judged_as``) to the passages."""
        dense, bank = max(h.dense for h in hits), max(h.bank for h in hits)
        if judged_as and judged_as != question:
            dense, bank = self.retriever.closeness(judged_as, [h.passage for h in hits])
        texts = [h.passage.text for h in hits]
        return should_abstain(dense, judged_as or question, texts, bank, self._rarity(hits))

    def _rarity(self, hits: list[Hit]):
        """How much each question word counts for abstention: its rarity in the agreement the
        hits come from (or in all of them); a word no passage uses counts as the rarest."""
        docs = {h.passage.doc for h in hits}
        doc = docs.pop() if len(docs) == 1 else None
        rarest = self.retriever.max_idf()
        return lambda word: self.retriever.idf(word, doc) or rarest

    def _answer_line(self, hits: list[Hit], quoted: tuple[QuotedPassage, ...]) -> str:
        """The best sentence quoted with its citation; a lead-in ("..., the Participants will:")
        is quoted with its item that follows it, each a quote of its own."""
        first = quoted[0]
        if len(hits) > 1 and self.retriever.lists(hits[0].passage, hits[1].passage):
            item = quoted[1]
            return f"“{first.text}” … “{item.highlight}” ({item.citation})"
        return f"“{first.highlight}” ({first.citation})"

    def _quote(self, rank: int, hit: Hit, asked: set[str], question: str) -> QuotedPassage:
        p = hit.passage
        document = self.documents[p.doc]
        spans = sentences(p.text)
        sentence_scores = None
        if len(spans) > 1 and rank <= 3:
            q = self.retriever.embed(question)  # cached: the search embedded the same text
            vectors = self.snapshot.sentence_vectors(p)  # stored at build time
            if vectors is None:
                vectors = self.embedder.encode([p.text[s:e] for s, e in spans])
            sentence_scores = (vectors @ q).tolist()
        s, e = highlight_span(p.text, asked, sentence_scores)
        highlight = p.text[s:e]
        if (
            document.text[p.start + s : p.start + e] != highlight
            or document.text[p.start : p.end] != p.text
        ):
            raise AssertionError(f"non-verbatim quote for passage {p.id}")  # a bug, never input
        return QuotedPassage(
            rank,
            p.doc,
            document.info.title,
            p.section,
            p.number,
            citation(document.info, p),
            p.text,
            highlight,
            p.start,
            p.end,
            round(hit.score, 6),
        )

    # --- beyond search: thin delegations to the modules that do the work -------------------------

    def conversation(self, strategy: str = "fuse"):
        """A :class:`~assistant.conversation.Conversation` that resolves follow-up questions."""
        from assistant.conversation import Conversation

        return Conversation(self, strategy=strategy)

    def compare(self, question: str, docs: list[str] | None = None):
        """Each agreement's best clause for ``question`` (see :mod:`assistant.compare`)."""
        from assistant.compare import compare

        return compare(self, question, docs)

    def verify(self, claim: str, doc: str | None = None):
        """Whether the agreement supports ``claim`` (see :mod:`assistant.verify`)."""
        from assistant.verify import verify

        return verify(self, claim, doc)

    def tour(self, doc: str | None = None):
        """The agreement section by section (see :mod:`assistant.onboarding`)."""
        from assistant.onboarding import tour

        return tour(self, doc)

    def glossary(self, doc: str | None = None):
        """Acronyms and defined terms with where each is defined."""
        from assistant.onboarding import glossary

        return glossary(self, doc)

    def facts(self, doc: str | None = None):
        """Key figures, durations and dates, each in its verbatim sentence."""
        from assistant.onboarding import facts

        return facts(self, doc)

    def quiz(self, n: int = 5, doc: str | None = None, seed: int = 0):
        """``n`` multiple-choice questions built from the facts and the tour."""
        from assistant.onboarding import quiz

        return quiz(self, n, doc, seed)
