"""The common recipe's one-shot query, for the cold-start comparison.

``python -m bench.recipe_cli FOLDER QUESTION``: loads sentence-transformers, the FAISS file and the
chunks that ``bench.run`` wrote into FOLDER, and prints the best chunk.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(argv: list[str]) -> None:
    import faiss
    from sentence_transformers import SentenceTransformer

    from assistant.search.embedding import model_path
    from assistant.settings import DEFAULT_MODEL

    folder, question = Path(argv[0]), argv[1]
    model = SentenceTransformer(str(model_path(DEFAULT_MODEL)), device="cpu")
    index = faiss.read_index(str(folder / "chunks.faiss"))
    chunks = [json.loads(line) for line in (folder / "chunks.jsonl").open()]
    query = model.encode([question], normalize_embeddings=True)
    _, ids = index.search(query, 5)
    print(chunks[ids[0][0]]["text"])


if __name__ == "__main__":
    main(sys.argv[1:])
