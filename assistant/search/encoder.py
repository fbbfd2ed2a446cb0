"""The ONNX query encoder: the same sentence-transformers model, run by onnxruntime.

Answering a question needs one short encode. Loading torch, transformers and sentence-transformers
for it costs seconds of start-up; onnxruntime plus the ``tokenizers`` library cost a fraction of a
second. So the build exports the model once (transformer, mean pooling and L2 normalisation in one
graph) into a folder keyed by the model fingerprint::

    index/models/<fingerprint>/model.onnx        float32: encodes the passages when building
                              /model.int8.onnx   its int8 copy: encodes the questions
                              /tokenizer.json    copied from the model folder
                              /encoder.json      model id, fingerprint, dimension, max tokens

and both are run by :class:`OnnxEmbedder`. The sentence-transformers model stays the reference;
tests check the float32 export equals it (cosine >= 0.999) on every passage of the Canada
agreement, and the int8 copy stays close (cosine >= 0.98). The int8 copy quantises the weights of
the matrix products per output channel and the activations on the fly: a question encodes about
1.5x faster, with the same R@1 on the tune half (README, "Performance"). ``query_precision``
chooses. Nothing here imports torch unless :func:`export` is called.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from assistant.errors import SettingError
from assistant.search.embedding import Embedder, Progress, SentenceTransformerEmbedder

log = logging.getLogger(__name__)
ENCODER_VERSION = 2  # 2: the int8 query model
OPSET = 17
MODEL_FILES = {"float32": "model.onnx", "int8": "model.int8.onnx"}  # by query precision


def model_file(precision: str) -> str:
    """The file name of the exported model at ``precision``, or a :class:`SettingError`."""
    if precision not in MODEL_FILES:
        raise SettingError(
            f"Unknown query precision '{precision}'. "
            f"Set ASSISTANT_QUERY_PRECISION to {' or '.join(map(repr, MODEL_FILES))}."
        )
    return MODEL_FILES[precision]


def model_folder(index_dir: Path, fingerprint: str) -> Path:
    """Where the exported encoder of the model with ``fingerprint`` lives."""
    return index_dir / "models" / fingerprint


def exported(index_dir: Path, embedder: Embedder) -> Path | None:
    """The exported encoder folder for ``embedder`` when complete and current, else None."""
    folder = model_folder(index_dir, embedder.fingerprint())
    try:
        meta = json.loads((folder / "encoder.json").read_text())
    except (OSError, ValueError):
        return None
    current = (
        meta.get("version") == ENCODER_VERSION
        and meta.get("fingerprint") == embedder.fingerprint()
        and all((folder / name).is_file() for name in MODEL_FILES.values())
        and (folder / "tokenizer.json").is_file()
    )
    return folder if current else None


def export(index_dir: Path, embedder: SentenceTransformerEmbedder) -> Path:
    """Export ``embedder``'s model to ONNX under ``index_dir/models/<fingerprint>/``.

    Written to a temporary folder and renamed, so readers never see half a model. Imports torch.
    """
    found = exported(index_dir, embedder)
    if found:
        return found
    import torch

    model = embedder.model()
    transformer, pooling = model[0], model[1]
    mean = getattr(pooling, "pooling_mode", None) == "mean" or getattr(
        pooling, "pooling_mode_mean_tokens", False
    )  # sentence-transformers >= 6 / older
    if not mean or len(model) != 3 or type(model[2]).__name__ != "Normalize":
        raise ValueError("only mean-pooled, normalised sentence-transformers models are exported")
    hf = transformer.auto_model
    # Eager attention: the SDPA path branches on the mask's values in Python, which tracing
    # would freeze for the example batch.
    hf.set_attn_implementation("eager")
    folder = model_folder(index_dir, embedder.fingerprint())
    with filled_in_place(folder) as tmp:
        example = torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]])
        mask = (example > 0).long()
        axes = {0: "batch", 1: "tokens"}
        with warnings.catch_warnings():
            # The TorchScript exporter warns that it is legacy and that it traces; the graph is
            # checked against the reference model by the tests, not trusted on the exporter's word.
            warnings.simplefilter("ignore")
            with torch.no_grad():
                torch.onnx.export(
                    _MeanPooled(hf).eval(),
                    (example, mask, torch.zeros_like(example)),
                    str(tmp / "model.onnx"),
                    input_names=["input_ids", "attention_mask", "token_type_ids"],
                    output_names=["embedding"],
                    dynamic_axes={
                        "input_ids": axes,
                        "attention_mask": axes,
                        "token_type_ids": axes,
                        "embedding": {0: "batch"},
                    },
                    opset_version=OPSET,
                    dynamo=False,
                )
        _quantise(tmp / MODEL_FILES["float32"], tmp / MODEL_FILES["int8"])
        shutil.copyfile(embedder.path() / "tokenizer.json", tmp / "tokenizer.json")
        meta = {
            "version": ENCODER_VERSION,
            "model_id": embedder.model_id,
            "fingerprint": embedder.fingerprint(),
            "dimension": embedder.dimension,
            "max_tokens": int(model.max_seq_length),
            "opset": OPSET,
        }
        (tmp / "encoder.json").write_text(json.dumps(meta, indent=1))
    log.info("Exported the query encoder to %s", folder)
    return folder


@contextmanager
def filled_in_place(folder: Path) -> Iterator[Path]:
    """A temporary sibling of ``folder`` to fill, renamed to ``folder`` (replacing it) when the
    block ends without error and removed otherwise, so readers never see half a folder."""
    tmp = folder.with_name(f".{folder.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        yield tmp
        shutil.rmtree(folder, ignore_errors=True)
        os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _quantise(source: Path, target: Path) -> None:
    """The int8 copy of ``source``: matrix-product weights per output channel, activations
    quantised at run time (the embedding table and layer norms stay float32)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quiet = logging.getLogger()  # the quantiser logs advice on the root logger
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        quantize_dynamic(
            str(source),
            str(target),
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul"],
        )
    finally:
        quiet.setLevel(level)


def _MeanPooled(hf):  # noqa: N802 - a class factory, so torch is imported only when exporting
    import torch

    class MeanPooled(torch.nn.Module):
        """Transformer, mean pooling over real tokens, L2 normalisation: one graph."""

        def __init__(self) -> None:
            super().__init__()
            self.transformer = hf

        def forward(self, input_ids, attention_mask, token_type_ids):
            tokens = self.transformer(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
            pooled = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, p=2.0, dim=1)

    return MeanPooled()


class OnnxEmbedder:
    """Encodes with an exported model: onnxruntime and ``tokenizers`` only, no torch.

    Same ``model_id`` and ``fingerprint`` as the sentence-transformers embedder it was exported
    from, so an index built by one is served by the other.
    """

    def __init__(
        self,
        folder: Path,
        threads: int | None = None,
        batch_size: int = 8,
        precision: str = "float32",
    ):
        meta = json.loads((folder / "encoder.json").read_text())
        self.model_id: str = meta["model_id"]
        self.dimension: int = meta["dimension"]
        self._fingerprint: str = meta["fingerprint"]
        self._max_tokens: int = meta["max_tokens"]
        self.precision = precision
        self._file = folder / model_file(precision)
        self._threads = threads
        self._batch_size = batch_size
        self._session = None
        self._bulk: list = []
        self._tokenizer = None
        self._lock = threading.Lock()

    def fingerprint(self) -> str:
        return self._fingerprint

    def _load(self):
        with self._lock:
            if self._session is None:
                from tokenizers import Tokenizer

                tokenizer = Tokenizer.from_file(str(self._file.parent / "tokenizer.json"))
                tokenizer.enable_truncation(self._max_tokens)
                tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
                self._session = self._new_session(self._threads or min(4, os.cpu_count() or 1))
                self._tokenizer = tokenizer
            return self._session, self._tokenizer

    def _new_session(self, threads: int):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        # Idle threads sleep instead of spinning: with many users at once the spinning burnt a
        # third of the server's CPU per request (bench.soak: 23 ms of CPU a request, 15-17 ms
        # without; p99 at 50 clients on a loaded machine 2.1-2.5 s before, 1.0-1.1 s after).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return onnxruntime.InferenceSession(
            str(self._file), options, providers=["CPUExecutionProvider"]
        )

    def _workers(self) -> list:
        """One single-threaded session per core, for bulk encoding (built once, on demand).

        Small batches keep two cores busier as two independent sessions than as one session
        splitting each batch (about a sixth faster when building)."""
        with self._lock:
            if not self._bulk:
                cores = self._threads or min(4, os.cpu_count() or 1)
                self._bulk = [self._new_session(1) for _ in range(max(1, cores))]
            return self._bulk

    def encode(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        """Normalised float32 vectors, one row per text (batches sorted by length)."""
        session, tokenizer = self._load()
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        batches = [order[i : i + self._batch_size] for i in range(0, len(order), self._batch_size)]
        sessions = self._workers() if len(batches) > 8 else [session]
        done = [0]
        lock = threading.Lock()

        def work(worker: int) -> None:
            for rows in batches[worker :: len(sessions)]:
                out[rows] = self._run(sessions[worker], tokenizer, [texts[i] for i in rows])
                with lock:
                    done[0] += len(rows)
                    if progress and (done[0] % 256 < len(rows) or done[0] == len(texts)):
                        progress(done[0], len(texts))

        if len(sessions) == 1:
            work(0)
        else:  # onnxruntime and tokenizers release the GIL, so threads use both cores
            threads = [threading.Thread(target=work, args=(w,)) for w in range(len(sessions))]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        return out

    @staticmethod
    def _run(session, tokenizer, batch: list[str]) -> np.ndarray:
        encodings = tokenizer.encode_batch(batch)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        feed = {
            "input_ids": ids,
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.zeros_like(ids),
        }
        # A model without segment embeddings (MPNet) exports a graph without that input.
        wanted = {i.name for i in session.get_inputs()}
        return session.run(None, {k: v for k, v in feed.items() if k in wanted})[0]


def build_embedder(
    index_dir: Path, embedder: Embedder, report: Callable[[str], None] = log.info
) -> Embedder:
    """The encoder to build with: the ONNX export of a sentence-transformers model (exported now
    if missing; equal to the reference within float32 rounding, twice as fast), else ``embedder``.
    """
    if not isinstance(embedder, SentenceTransformerEmbedder) or embedder.path() is None:
        return embedder
    if exported(index_dir, embedder) is None:
        report("Exporting the model to ONNX (once per model) ...")
        try:
            export(index_dir, embedder)
        except Exception as exc:  # any exporter failure: build with torch, still correct
            log.warning("ONNX export failed (%s); encoding with sentence-transformers", exc)
            return embedder
    return query_embedder(index_dir, embedder, "float32")


def query_embedder(index_dir: Path, embedder: Embedder, precision: str = "int8") -> Embedder:
    """The fastest encoder for questions to ``embedder``'s index: its ONNX export at
    ``precision`` ('int8' or 'float32') when there is one, else ``embedder`` itself."""
    model_file(precision)
    folder = exported(index_dir, embedder)
    return OnnxEmbedder(folder, precision=precision) if folder else embedder
