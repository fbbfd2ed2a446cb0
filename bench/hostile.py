"""Hostile corpus files: each must be skipped with a warning naming it and why, the rest indexed.

:func:`write_hostile_files` writes the set into a folder (generated here, nothing downloaded);
:func:`run` builds an index over them beside one real agreement, in a child process, and reports
what was skipped, the build's time and its peak memory. ``tests/ingest/test_hostile_files.py``
uses the same files.

    .venv/bin/python -m bench.hostile            # writes bench/results/hostile.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import zipfile
from pathlib import Path

from bench.measure import REPO

RESULTS = REPO / "bench" / "results"

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def minimal_docx(path: Path, paragraphs: list[str]) -> Path:
    """A Word document with just the parts Word and python-docx need, written directly (python-
    docx takes minutes to add 100,000 paragraphs one by one)."""
    body = "".join(f"<w:p><w:r><w:t>{p}</w:t></w:r></w:p>" for p in paragraphs)
    document = f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{_W}"><w:body>'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("word/document.xml", document + body + "</w:body></w:document>")
    return path


def _zip_bomb(path: Path, unpacked_mb: int) -> Path:
    """A valid-looking DOCX whose document part inflates to ``unpacked_mb`` MB (a few hundred KB
    on disk)."""
    minimal_docx(path, ["Bomb."])
    chunk = b" " * 2**20
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("word/padding.xml", "w", force_zip64=True) as member:
            for _ in range(unpacked_mb):
                member.write(chunk)
    return path


def _pdf(path: Path, text: str | None, password: str | None = None) -> Path:
    """A one-page PDF holding ``text`` (or only a drawn box: a scan has no text layer)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    if text is None:
        pdf.rect(20, 20, 100, 60, style="F")
    else:
        pdf.set_font("Helvetica", size=12)
        pdf.multi_cell(0, 8, text)
    pdf.output(str(path))
    if password:
        from pypdf import PdfReader, PdfWriter

        writer = PdfWriter(clone_from=PdfReader(path))
        writer.encrypt(user_password=password, algorithm="RC4-128")  # RC4: no crypto library
        with path.open("wb") as out:
            writer.write(out)
    return path


def write_hostile_files(folder: Path, big_mb: int = 50) -> dict[str, str]:
    """Write the hostile set into ``folder``; return file name -> the reason its warning gives."""
    import random

    rng = random.Random(20261202)
    folder.mkdir(parents=True, exist_ok=True)
    sample = "1. The Participants will consult within 24 hours. " * 40
    good = minimal_docx(folder / "whole.docx", [sample] * 20)
    (folder / "truncated.docx").write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    good.unlink()
    _zip_bomb(folder / "bomb.docx", unpacked_mb=300)
    minimal_docx(folder / "paragraphs.docx", [f"Paragraph {i}." for i in range(100_000)])
    (folder / "random.pdf").write_bytes(rng.randbytes(200_000))
    (folder / "truncated.pdf").write_bytes(_pdf(folder / "t.pdf", sample).read_bytes()[:900])
    (folder / "t.pdf").unlink()
    _pdf(folder / "encrypted.pdf", sample, password="secret")
    _pdf(folder / "scan.pdf", None)
    (folder / "binary.txt").write_bytes(rng.randbytes(100_000))
    no_nul = bytes(b or 1 for b in rng.randbytes(100_000))
    (folder / "control.txt").write_bytes(no_nul)
    (folder / "empty.html").write_bytes(b"")
    with (folder / "big.html").open("wb") as out:
        paragraph = b"<p>" + b"Filler words of a page nobody wrote. " * 27 + b"</p>\n"
        for _ in range(big_mb * 2**20 // len(paragraph) + 1):
            out.write(paragraph)
    (folder / "loop.txt").symlink_to("loop.txt")
    (folder / "dangling.md").symlink_to("no-such-file.md")
    return {
        "truncated.docx": "not a Word document",
        "bomb.docx": "would unpack to",
        "paragraphs.docx": "100,000 paragraphs",
        "random.pdf": "Could not read",
        "truncated.pdf": "Could not read",
        "encrypted.pdf": "encrypted with a password",
        "scan.pdf": "no text layer",
        "binary.txt": "not a text file",
        "control.txt": "not a text file",
        "empty.html": "contains no text",
        "big.html": "files over 20 MB are skipped",
        "loop.txt": "Too many levels of symbolic links",
        "dangling.md": "No such file or directory",
    }


# The child process: a build over the folder with the fast fake embedder, reporting each message
# and its peak memory (the parent's own memory must not count).
_CHILD = textwrap.dedent(
    r"""
    import json, re, sys, time
    from pathlib import Path
    from assistant.index import build
    from assistant.search.embedding import HashingEmbedder
    messages = []
    started = time.perf_counter()
    build(Path(sys.argv[1]), Path(sys.argv[2]), HashingEmbedder(), report=messages.append)
    print(json.dumps({
        "seconds": time.perf_counter() - started,
        # VmHWM, not ru_maxrss: the latter keeps the parent's high-water mark across exec.
        "peak_rss_mb": int(re.search(r"VmHWM:\s+(\d+)", open("/proc/self/status").read())[1])
        / 1024,
        "messages": messages,
    }))
    """
)


def run(agreement: Path = REPO.parent / "shared" / "corpus" / "canada.docx") -> dict:
    """Build over the hostile set plus ``agreement``; report each file's fate, time and memory."""
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        expected = write_hostile_files(corpus)
        (corpus / agreement.name).symlink_to(agreement)
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        child = subprocess.run(
            [sys.executable, "-c", _CHILD, str(corpus), str(Path(tmp) / "index")],
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
        )
        if child.returncode != 0:
            raise RuntimeError(f"The hostile build failed:\n{child.stderr[-3000:]}")
        outcome = json.loads(child.stdout.strip().splitlines()[-1])
        manifest = json.loads(
            next((Path(tmp) / "index" / "builds").glob("*/manifest.json")).read_text()
        )
    skipped = {
        name: next((m for m in outcome["messages"] if f"{name}'" in m), "") for name in expected
    }
    return {
        "files": len(expected),
        "skipped_with_reason": sum(expected[n] in m for n, m in skipped.items()),
        "indexed": sorted(manifest["files"].keys() - manifest["skipped"]),
        "build_seconds": round(outcome["seconds"], 1),
        "peak_rss_mb": round(outcome["peak_rss_mb"]),
        "stray_output": child.stderr.strip()[:500],  # pypdf and friends must stay quiet
        "warnings": skipped,
    }


def main(argv: list[str] | None = None) -> None:
    argparse.ArgumentParser(description=__doc__.split("\n")[0]).parse_args(argv)
    result = run()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "hostile.json").write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "warnings"}, indent=1))


if __name__ == "__main__":
    main()
