"""The query path is thread-safe: concurrent asks give exactly the sequential answers."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import DEV_QUESTIONS

from assistant.evaluation import read_questions

TINY_QUESTIONS = [
    "How long does the agreement last?",
    "Will the Netherlands train pilots?",
    "What is GSOIA?",
    "Who will help defend energy infrastructure against cyber attacks?",
    "Where was it signed?",
    "Which aircraft will be provided?",
    "Does the US support the defence industry?",
    "What about sanctions evasion?",
]


def _concurrent_equals_sequential(bot, questions: list[str], threads: int = 8) -> None:
    sequential = [bot.ask(q).to_dict() for q in questions]
    bot.retriever.clear_cache()  # the threads race through empty caches too
    asks = questions * 4
    with ThreadPoolExecutor(max_workers=threads) as pool:
        concurrent = list(pool.map(lambda q: bot.ask(q).to_dict(), asks))

    assert concurrent == sequential * 4


def test_concurrent_asks_equal_sequential_ones(hashing_bot) -> None:
    _concurrent_equals_sequential(hashing_bot, TINY_QUESTIONS)


@pytest.mark.model
@pytest.mark.corpus
def test_concurrent_asks_with_the_onnx_encoder_equal_sequential_ones(real_bot) -> None:
    questions = [r["q"] for r in read_questions(DEV_QUESTIONS) if r["doc"] == "canada"]

    _concurrent_equals_sequential(real_bot, questions[:16])
