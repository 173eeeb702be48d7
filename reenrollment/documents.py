"""Supporting documents ("pièces justificatives") of a re-enrollment: checked, made into one PDF.

Families send either one PDF (or several, merged in the order given) or photos of paper pages
taken with a phone (JPEG, PNG, HEIC), which become one PDF with a page per photo. What is kept is
always a PDF that pypdf reads back, rebuilt page by page, so document-level scripts, attachments
and the photos' EXIF data (GPS position included) are left behind.

The file comes from a stranger, and PDF and image parsers are large programs that a crafted file
can send into gigabytes of memory, minutes of CPU or a crash. So the web worker never opens it:
it copies the bytes to a private temporary folder, looks at the first bytes to tell a PDF from a
photo (never at the file name or the browser's content type), and runs this same module as a
script in a child process, with a memory cap, a CPU cap, a file-size cap and a wall-clock timeout.
A child that breaks a limit is killed and the file refused; the worker only reads its verdict.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import unicodedata
import uuid
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from django.utils import formats, timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile
    from django_stubs_ext import StrOrPromise, StrPromise
    from PIL.Image import Image as PILImage
    from pypdf import PageObject

logger = logging.getLogger(__name__)

MAX_FILES = 10
MAX_PAGES = 100
# Photos are shrunk so that their longest side is at most this many pixels: still sharp when
# printed on A4 (about 170 dpi), and a 12-megapixel phone photo ends up around 0.5 MB.
MAX_PHOTO_SIDE = 2000
PHOTO_JPEG_QUALITY = 80
# Phones take up to 48 MP ("HEIF Max") and 108 MP photos. Pillow warns above this and refuses
# above twice this; both are refusals here.
MAX_PHOTO_PIXELS = 120_000_000
# Each photo becomes a page whose long side is the long side of an A4 sheet (842 pt).
PAGE_LONG_SIDE_POINTS = 842

# The child process. 768 MiB leaves room to decode a 48 MP HEIC photo (about 500 MiB of address
# space); a 12 MP one needs under 300 MiB and a PDF much less.
CHILD_MEMORY_BYTES = 768 * 1024 * 1024
CHILD_TIMEOUT_SECONDS = 10.0
# Decoding a phone photo takes up to a few seconds (HEIC is slow to decode): each photo after the
# first adds to the time the child is given.
CHILD_SECONDS_PER_EXTRA_FILE = 2.0
# Decoded content streams: a page of text holds some kilobytes, a dense vector drawing a few MB.
# Past this it is a decompression bomb, not a document.
MAX_PAGE_CONTENT_BYTES = 32 * 1024 * 1024
MAX_DOCUMENT_CONTENT_BYTES = 128 * 1024 * 1024
MAX_CONTENT_STREAMS_PER_PAGE = 1000

_PDF_MAGIC = b"%PDF-"
# Readers accept a PDF header anywhere in the first kilobyte (some generators put junk first).
_PDF_HEADER_WINDOW = 1024
_JPEG_MAGIC = b"\xff\xd8\xff"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# ISO base media "ftyp" major brands of HEIF still images (HEIC from iPhones and Android phones).
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1"}
_PHOTO_FORMATS = ["JPEG", "PNG", "HEIF"]  # JPEG also opens multi-picture (MPO) files.
_COPY_CHUNK = 256 * 1024

_EMPTY = _("Le fichier est vide. Vérifiez le document sur votre appareil et envoyez-le à nouveau.")
_NO_FILE = _("Aucun fichier n'a été reçu. Choisissez le document à envoyer.")
_TOO_BIG = _(
    "Ce fichier est trop volumineux : la taille maximale est de %(limit)s Mo. "
    "Réduisez-le (par exemple en le numérisant en qualité standard), puis envoyez-le à nouveau."
)
_TOO_BIG_TOGETHER = _(
    "Ensemble, ces PDF dépassent la taille maximale de %(limit)s Mo. "
    "Envoyez seulement les pages demandées, ou réduisez les fichiers."
)
_PHOTO_TOO_LARGE = _(
    "Cette photo est trop grande (plus de %(megapixels)s millions de pixels). "
    "Reprenez-la avec le réglage habituel de l'appareil photo."
)
_TOO_MANY_FILES = _("Vous pouvez envoyer au plus %(count)s fichiers pour un même document.")
_UNSUPPORTED = _(
    "Ce fichier n'est ni un PDF ni une photo (JPEG, PNG, HEIC). "
    "Enregistrez votre document en PDF, ou prenez-le en photo, puis envoyez-le à nouveau."
)
_MIXED = _(
    "Envoyez soit un PDF, soit des photos des pages, mais pas les deux ensemble : "
    "un même document ne peut pas mélanger un PDF et des photos."
)
_ENCRYPTED = _(
    "Ce PDF est protégé par un mot de passe. Enregistrez-en une copie sans mot de passe "
    "(par exemple avec « Imprimer » puis « Enregistrer au format PDF »), puis envoyez-la."
)
_DAMAGED = _(
    "Ce fichier est endommagé et ne peut pas être lu. Ouvrez-le sur votre appareil pour le "
    "vérifier, enregistrez-le à nouveau, puis envoyez-le."
)
_NO_PAGES = _("Ce PDF ne contient aucune page.")
_TOO_MANY_PAGES = _(
    "Ce document a trop de pages : %(limit)s au maximum. Envoyez seulement les pages demandées."
)
_UNSAFE = _(
    "Ce fichier n'a pas pu être vérifié : il est trop lourd ou trop complexe. "
    "Enregistrez-le à nouveau en PDF (par exemple avec « Imprimer » puis « Enregistrer au "
    "format PDF »), ou envoyez des photos des pages."
)


class DocumentRejected(Exception):
    """A supporting document the portal refuses, with a message for the family.

    ``code`` names the rule that refused it (``"empty"``, ``"too_big"``, ``"too_many_files"``,
    ``"unsupported"``, ``"mixed"``, ``"encrypted"``, ``"damaged"``, ``"no_pages"``,
    ``"too_many_pages"``, ``"unsafe"``); ``message`` is the lazy French text to show.
    """

    def __init__(self, message: StrOrPromise, code: str) -> None:
        super().__init__(message, code)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return str(self.message)


@dataclass(frozen=True)
class ProcessedDocument:
    """A supporting document as the portal keeps it: always a PDF.

    ``display_name`` is the name shown to people (cleaned, ending in ``.pdf``); ``source_kind``
    says what the family sent: ``"pdf"`` or ``"images"`` (photos of the pages).
    """

    content: bytes
    pages: int
    display_name: str
    source_kind: str


def process_upload(
    files: Sequence[UploadedFile | IO[bytes]], *, max_bytes: int
) -> ProcessedDocument:
    """Check the files of one upload and make them into one PDF, or raise DocumentRejected.

    ``files`` is one PDF, several PDFs (merged in the order given) or up to MAX_FILES photos
    (one page each, in the order given). Every file must be at most ``max_bytes``, and so must
    the PDFs together. Each file needs ``.read()`` and ``.name``; a ``.size`` saves reading a
    file that says it is too big, but the bytes are counted all the same.
    """
    if not files:
        raise DocumentRejected(_NO_FILE, "empty")
    if len(files) > MAX_FILES:
        raise DocumentRejected(_lazy_format(_TOO_MANY_FILES, count=MAX_FILES), "too_many_files")
    with tempfile.TemporaryDirectory(prefix="tutti-document-") as folder:
        inputs: list[Path] = []
        kinds: list[str] = []
        total = 0
        for index, upload in enumerate(files):
            path = Path(folder) / f"input-{index}"
            size, head = _copy_upload(upload, path, max_bytes=max_bytes)
            kind = _sniff(head)
            if kind is None:
                raise DocumentRejected(_UNSUPPORTED, "unsupported")
            inputs.append(path)
            kinds.append(kind)
            total += size
        if "pdf" in kinds and any(kind != "pdf" for kind in kinds):
            raise DocumentRejected(_MIXED, "mixed")
        source_kind = "pdf" if kinds[0] == "pdf" else "images"
        if source_kind == "pdf" and total > max_bytes:
            raise DocumentRejected(
                _lazy_format(_TOO_BIG_TOGETHER, limit=_megabytes(max_bytes)), "too_big"
            )
        output = Path(folder) / "document.pdf"
        # Rebuilding a PDF can make it bigger (objects that were compressed together are written
        # one by one); beyond this the child is stopped.
        max_output = 4 * total + 32 * 1024 * 1024
        pages = _run_child(source_kind, inputs, output, max_output=max_output)
        content = output.read_bytes()
    return ProcessedDocument(
        content=content,
        pages=pages,
        display_name=clean_display_name(_name_of(files[0])),
        source_kind=source_kind,
    )


def page_warning(document: ProcessedDocument, min_pages: int | None) -> str | None:
    """A warning when the document has fewer pages than expected, else None.

    Only a warning: a family may have a one-page version of a document that usually has more.
    """
    if min_pages is None or document.pages >= min_pages:
        return None
    return ngettext(
        "Ce document a %(pages)s page ; on en attend %(expected)s. "
        "Vérifiez-le ; vous pouvez l'envoyer quand même.",
        "Ce document a %(pages)s pages ; on en attend %(expected)s. "
        "Vérifiez-le ; vous pouvez l'envoyer quand même.",
        document.pages,
    ) % {"pages": document.pages, "expected": min_pages}


# Kept in names: letters, digits and marks of any script, spaces, and punctuation that means
# nothing in a Content-Disposition header, a URL or a Windows or macOS file name.
_NAME_PUNCTUATION = frozenset(" '\u2019\u2018-\u2013\u2014_.,()[]\u00ab\u00bb&+@#!")
_NAME_EXTENSIONS = frozenset(
    {"pdf", "jpg", "jpeg", "jpe", "jfif", "png", "heic", "heif", "hif", "tif", "tiff", "webp"}
)
_NAME_MAX_LENGTH = 100
_DEFAULT_NAME = "document.pdf"


def clean_display_name(name: str) -> str:
    """The name to show for an uploaded file: readable, safe in headers, ending in ``.pdf``.

    Accents and spaces stay; folders, control characters, quotes and other characters that
    mean something in a header or a file system go; at most 100 characters.
    """
    name = unicodedata.normalize("NFC", name)  # macOS sends "é" as "e" + a combining accent.
    name = re.split(r"[/\\]", name)[-1]
    kept: list[str] = []
    for char in name:
        category = unicodedata.category(char)
        if char in "\t\n\r" or category.startswith("Z"):
            kept.append(" ")
        elif category.startswith("C"):
            # Control and format characters, the right-to-left override that disguises
            # "gpj.exe" as "exe.jpg" among them.
            continue
        elif category[0] in "LNM" or char in _NAME_PUNCTUATION:
            kept.append(char)
        else:
            kept.append(" ")
    cleaned = " ".join("".join(kept).split())
    stem, dot, extension = cleaned.rpartition(".")
    if dot and extension.lower() in _NAME_EXTENSIONS:
        cleaned = stem
    cleaned = cleaned.strip(" .")[: _NAME_MAX_LENGTH - len(".pdf")].rstrip(" .")
    return f"{cleaned}.pdf" if cleaned else _DEFAULT_NAME


def stored_name() -> str:
    """A new random storage name, e.g. ``documents/2026/ab/<32 hex digits>.pdf``.

    Never derived from the family's file name: that name is only shown, never used as a path.
    """
    token = uuid.uuid4().hex
    return f"documents/{timezone.now().year}/{token[:2]}/{token}.pdf"


def _lazy_format(message: StrPromise, **values: Any) -> StrOrPromise:
    # `lazy_text % values` would translate at once, in the language active at import or raise
    # time: format when the message is shown instead.
    return lazy(lambda: str(message) % values, str)()


def _megabytes(size: int) -> StrOrPromise:
    # In mebibytes: the unit Windows shows as "Mo" in a file's properties.
    value = size / (1024 * 1024)
    decimals = 0 if value == int(value) else 1
    return lazy(lambda: formats.number_format(value, decimals), str)()


def _name_of(upload: UploadedFile | IO[bytes]) -> str:
    name = getattr(upload, "name", None)
    return name if isinstance(name, str) else ""


def _copy_upload(
    upload: UploadedFile | IO[bytes], path: Path, *, max_bytes: int
) -> tuple[int, bytes]:
    """Copy an upload to ``path``; return its size and its first bytes."""
    declared = getattr(upload, "size", None)
    if isinstance(declared, int) and declared > max_bytes:
        raise DocumentRejected(_lazy_format(_TOO_BIG, limit=_megabytes(max_bytes)), "too_big")
    # A stream that cannot rewind is read from where it is.
    with contextlib.suppress(AttributeError, OSError, ValueError):
        upload.seek(0)
    size = 0
    head = b""
    with path.open("wb") as target:
        while chunk := upload.read(_COPY_CHUNK):
            size += len(chunk)
            # Counted, not trusted from `.size`: stop as soon as the limit is passed.
            if size > max_bytes:
                raise DocumentRejected(
                    _lazy_format(_TOO_BIG, limit=_megabytes(max_bytes)), "too_big"
                )
            if len(head) < _PDF_HEADER_WINDOW:
                head += chunk[: _PDF_HEADER_WINDOW - len(head)]
            target.write(chunk)
    if size == 0:
        raise DocumentRejected(_EMPTY, "empty")
    return size, head


def _sniff(head: bytes) -> str | None:
    """What the first bytes of a file say it is: "pdf", "photo", or None for anything else."""
    if head.startswith((_JPEG_MAGIC, _PNG_MAGIC)):
        return "photo"
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "photo"
    if _PDF_MAGIC in head[:_PDF_HEADER_WINDOW]:
        return "pdf"
    return None


# What the child reports, and how the family is told.
_CHILD_REFUSALS: dict[str, tuple[StrOrPromise, str]] = {
    "encrypted": (_ENCRYPTED, "encrypted"),
    "damaged": (_DAMAGED, "damaged"),
    "no_pages": (_NO_PAGES, "no_pages"),
    "too_many_pages": (_lazy_format(_TOO_MANY_PAGES, limit=MAX_PAGES), "too_many_pages"),
    "photo_too_large": (
        _lazy_format(_PHOTO_TOO_LARGE, megapixels=MAX_PHOTO_PIXELS // 1_000_000),
        "too_big",
    ),
    "unsafe": (_UNSAFE, "unsafe"),
}


def _run_child(kind: str, inputs: list[Path], output: Path, *, max_output: int) -> int:
    """Build the PDF in a child process; return its page count or raise DocumentRejected."""
    timeout = CHILD_TIMEOUT_SECONDS + CHILD_SECONDS_PER_EXTRA_FILE * (len(inputs) - 1)
    command = [
        sys.executable,
        "-I",  # No current folder, PYTHON* variables or user site-packages in the child.
        str(Path(__file__).resolve()),
        kind,
        str(output),
        str(CHILD_MEMORY_BYTES),
        str(int(timeout) + 1),
        str(max_output),
        *map(str, inputs),
    ]
    # A minimal environment: the settings' secrets stay in the web worker. One malloc arena per
    # thread would reserve 64 MiB of address space each and eat the memory cap for nothing.
    environment = {"PATH": os.environ.get("PATH", os.defpath), "LC_ALL": "C.UTF-8"}
    environment["MALLOC_ARENA_MAX"] = "2"
    try:
        finished = subprocess.run(  # noqa: S603 - our own interpreter and script, no shell.
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=environment,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:  # run() has killed the child.
        logger.warning("Document refused: the check took more than %s s", timeout)
        raise DocumentRejected(_UNSAFE, "unsafe") from None
    try:
        verdict = json.loads(finished.stdout)
    except ValueError:
        verdict = None
    if finished.returncode != 0 or not isinstance(verdict, dict):
        # Killed for memory or CPU (a negative signal number), or crashed in a C library.
        logger.warning("Document refused: the check ended with status %s", finished.returncode)
        raise DocumentRejected(_UNSAFE, "unsafe")
    if "pages" in verdict:
        pages = verdict["pages"]
        if isinstance(pages, int) and pages > 0 and output.is_file():
            return pages
    message, code = _CHILD_REFUSALS.get(str(verdict.get("refused")), (_UNSAFE, "unsafe"))
    log = logger.warning if code == "unsafe" else logger.info
    log("Document refused (%s): %s", code, str(verdict.get("detail", ""))[:300])
    raise DocumentRejected(message, code)


# Everything below runs in the child process only. pypdf, Pillow and pillow-heif are imported
# there, never in the web worker.


class _Refused(Exception):
    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason, detail)
        self.reason = reason
        self.detail = detail


def _child_main(arguments: list[str]) -> int:
    kind, output, memory, cpu_seconds, max_output, *inputs = arguments
    _limit_child(memory=int(memory), cpu_seconds=int(cpu_seconds), max_output=int(max_output))
    # pypdf logs every oddity it repairs; nobody reads the child's stderr.
    logging.disable(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if kind == "pdf":
                pages = _pdf_from_pdfs([Path(path) for path in inputs], Path(output))
            else:
                pages = _pdf_from_photos([Path(path) for path in inputs], Path(output))
        verdict: dict[str, Any] = {"pages": pages}
    except _Refused as refusal:
        verdict = {"refused": refusal.reason, "detail": refusal.detail}
    sys.stdout.write(json.dumps(verdict))
    return 0


def _limit_child(*, memory: int, cpu_seconds: int, max_output: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    # SIGXCPU at the soft limit, SIGKILL a second later: the wall-clock timeout of the parent
    # comes first unless threads burn CPU in parallel.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
    # Writing past this raises an OSError rather than killing the child with SIGXFSZ.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (max_output, max_output))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:300]


def _exhausted(error: BaseException) -> bool:
    """Whether a parser gave up on a limit: memory, recursion, pypdf's own, the output size.

    pypdf wraps a RecursionError or a MemoryError in a PdfReadError: look down the chain.
    """
    from pypdf.errors import LimitReachedError

    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, (LimitReachedError, RecursionError, MemoryError)):
            return True
        if isinstance(current, OSError) and current.errno == errno.EFBIG:
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _pdf_from_pdfs(paths: list[Path], output: Path) -> int:
    from pypdf import PdfReader, PdfWriter, overwrite_configuration
    from pypdf.errors import DependencyError

    # Tighter than pypdf's defaults, which are made for trusted files of any size.
    overwrite_configuration(
        zlib_maximum_output_length=MAX_PAGE_CONTENT_BYTES,
        # Repairing a broken zlib stream goes byte by byte, in Python.
        zlib_maximum_recovery_input_length=1024 * 1024,
        lzw_maximum_output_length=MAX_PAGE_CONTENT_BYTES,
        run_length_maximum_output_length=MAX_PAGE_CONTENT_BYTES,
        brotli_maximum_output_length=MAX_PAGE_CONTENT_BYTES,
        array_based_stream_maximum_output_length=MAX_PAGE_CONTENT_BYTES,
        stream_decoding_work_maximum_length=MAX_DOCUMENT_CONTENT_BYTES,
        page_tree_maximum_entries=10_000,
        page_tree_maximum_page_entries=100_000,
        page_tree_maximum_depth=50,
    )
    try:
        writer = PdfWriter()
        pages = 0
        content_bytes = 0
        for path in paths:
            try:
                reader = PdfReader(path)
            except DependencyError as error:
                # The only package reading needs and we don't install: cryptography, for AES.
                raise _Refused("encrypted", _describe(error)) from None
            if reader.is_encrypted:
                _decrypt(reader)
            declared = _declared_page_count(reader)
            if declared is not None and pages + declared > MAX_PAGES:
                raise _Refused("too_many_pages", f"/Count {declared}")
            count = len(reader.pages)  # Walks the page tree: /Count may lie.
            if count == 0:
                raise _Refused("no_pages")
            if pages + count > MAX_PAGES:
                raise _Refused("too_many_pages", f"{count} pages")
            for page in reader.pages:
                content_bytes += _read_contents(page)
                if content_bytes > MAX_DOCUMENT_CONTENT_BYTES:
                    raise _Refused("unsafe", f"{content_bytes} bytes of page content")
                # Pages only: the catalog's scripts, open actions and attachments stay behind.
                _drop_actions(writer.add_page(page))
            pages += count
        writer.write(output)
        return _count_output_pages(output, expected=pages)
    except _Refused:
        raise
    except Exception as error:  # Whatever a broken file makes a parser raise.
        reason = "unsafe" if _exhausted(error) else "damaged"
        raise _Refused(reason, _describe(error)) from None


def _decrypt(reader: Any) -> None:
    """Open a PDF that only restricts printing or copying; refuse one that needs a password."""
    from pypdf import PasswordType

    try:
        opened = reader.decrypt("")
    except Exception as error:  # AES needs the cryptography package; unknown handlers.
        raise _Refused("encrypted", _describe(error)) from None
    if opened == PasswordType.NOT_DECRYPTED:
        raise _Refused("encrypted")


def _declared_page_count(reader: Any) -> int | None:
    try:
        count = reader.trailer["/Root"]["/Pages"]["/Count"]
    except Exception:  # Missing or broken: counting the page tree will tell.
        return None
    return int(count) if isinstance(count, int) else None


def _read_contents(page: PageObject) -> int:
    """Decode the content streams of a page; return their decoded size."""
    from pypdf.filters import decode_stream_data
    from pypdf.generic import ArrayObject, NullObject, StreamObject

    contents = page.get("/Contents")
    if contents is None:
        return 0  # A blank page.
    contents = contents.get_object()
    streams = list(contents) if isinstance(contents, ArrayObject) else [contents]
    if len(streams) > MAX_CONTENT_STREAMS_PER_PAGE:
        raise _Refused("unsafe", f"{len(streams)} content streams on a page")
    size = 0
    for item in streams:
        stream = item.get_object()
        if isinstance(stream, NullObject):
            continue
        if not isinstance(stream, StreamObject):
            raise _Refused("damaged", f"page content is a {type(stream).__name__}")
        if "/Filter" in stream:
            # decode_stream_data keeps no copy on the page (get_data() would, for every page).
            size += len(decode_stream_data(stream))
        else:
            size += len(stream.get_data())
        if size > MAX_PAGE_CONTENT_BYTES:
            raise _Refused("unsafe", f"{size} bytes of content on a page")
    return size


def _drop_actions(page: PageObject) -> None:
    """Remove what a viewer would run by itself: page actions, scripts of links and fields."""
    from pypdf.generic import ArrayObject, DictionaryObject

    page.pop("/AA", None)
    annotations = page.get("/Annots")
    annotations = annotations.get_object() if annotations is not None else None
    if not isinstance(annotations, ArrayObject):
        return
    for item in annotations:
        annotation = item.get_object()
        if not isinstance(annotation, DictionaryObject):
            continue
        annotation.pop("/AA", None)
        action = annotation.get("/A")
        action = action.get_object() if action is not None else None
        if isinstance(action, DictionaryObject) and action.get("/S") not in ("/URI", "/GoTo"):
            del annotation["/A"]


def _count_output_pages(output: Path, *, expected: int) -> int:
    from pypdf import PdfReader

    pages = len(PdfReader(output).pages)
    if pages != expected:
        raise _Refused("damaged", f"wrote {pages} pages instead of {expected}")
    return pages


def _pdf_from_photos(paths: list[Path], output: Path) -> int:
    import io

    import pillow_heif
    from PIL import Image
    from pypdf import PdfReader, PdfWriter

    Image.MAX_IMAGE_PIXELS = MAX_PHOTO_PIXELS
    pillow_heif.options.DECODE_THREADS = 2
    pillow_heif.register_heif_opener()
    writer = PdfWriter()
    try:
        for path in paths:
            page = _photo_page(path)
            writer.add_page(PdfReader(io.BytesIO(page)).pages[0])
        writer.write(output)
        return _count_output_pages(output, expected=len(paths))
    except _Refused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise _Refused("photo_too_large", _describe(error)) from None
    except Exception as error:  # Truncated or broken image data, whatever the decoder raises.
        reason = "unsafe" if _exhausted(error) else "damaged"
        raise _Refused(reason, _describe(error)) from None


def _photo_page(path: Path) -> bytes:
    """One photo as a one-page PDF: upright, RGB, at most MAX_PHOTO_SIDE pixels, about A4."""
    import io

    from PIL import Image, ImageOps

    with warnings.catch_warnings():
        # Between MAX_IMAGE_PIXELS and twice that, Pillow only warns.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(path, formats=_PHOTO_FORMATS) as image:
            scale = min(1.0, MAX_PHOTO_SIDE / max(image.size))
            # JPEG only: decode at 1/2, 1/4 or 1/8 of the size straight away, which is much
            # faster and smaller than decoding everything and shrinking afterwards.
            image.draft("RGB", (round(image.width * scale), round(image.height * scale)))
            image.load()
            picture = _on_white(image)
    # Shrink before turning upright: rotating 2000 pixels costs less than rotating 8000.
    picture.thumbnail((MAX_PHOTO_SIDE, MAX_PHOTO_SIDE), Image.Resampling.LANCZOS)
    ImageOps.exif_transpose(picture, in_place=True)
    resolution = max(picture.size) * 72 / PAGE_LONG_SIDE_POINTS
    page = io.BytesIO()
    # The JPEG inside the PDF gets neither the EXIF data (GPS position) nor the ICC profile.
    picture.save(page, "PDF", resolution=resolution, quality=PHOTO_JPEG_QUALITY)
    return page.getvalue()


def _on_white(image: PILImage) -> PILImage:
    """The image in RGB, transparent parts (screenshots, scans in PNG) on white, not black."""
    from PIL import Image

    if image.mode == "RGB":
        return image.copy() if image.readonly else image
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        background.info = image.info  # The EXIF orientation, for exif_transpose.
        return background
    converted = image.convert("RGB")
    converted.info = image.info
    return converted


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1:]))
