"""Supporting documents: what families may send, what the portal keeps, and hostile files.

Every file is made here: PDFs with pypdf (or byte by byte, for the malformed ones), photos with
Pillow and pillow-heif. Hostile files must be refused within seconds, each with its code.
"""

from __future__ import annotations

import io
import re
import resource
import struct
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pillow_heif
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import override
from PIL import Image, ImageDraw
from pypdf import PdfReader, PdfWriter
from pypdf.actions import JavaScript
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    StreamObject,
    TextStringObject,
)

from reenrollment import documents
from reenrollment.documents import (
    DocumentRejected,
    ProcessedDocument,
    clean_display_name,
    page_warning,
    process_upload,
    stored_name,
)

pillow_heif.register_heif_opener()

MB = 1024 * 1024
LIMIT = 10 * MB
A4 = (595, 842)
# Hostile files must be refused quickly; this machine has 2 cores, shared with the rest of the
# suite.
HOSTILE_SECONDS = 15


# Files ------------------------------------------------------------------------------------------


def make_pdf(
    pages: int = 1, *, sizes: list[tuple[int, int]] | None = None, text: bool = True
) -> bytes:
    """A PDF with `pages` pages, each saying "Page n" (or of the given sizes)."""
    writer = PdfWriter()
    for number, (width, height) in enumerate(sizes or [A4] * pages, start=1):
        page = writer.add_blank_page(width, height)
        if text:
            content = DecodedStreamObject()
            content.set_data(b"BT /F1 12 Tf 72 720 Td (Page %d) Tj ET" % number)
            page[NameObject("/Contents")] = writer._add_object(content)
    return write(writer)


def write(writer: PdfWriter) -> bytes:
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def raw_pdf(*objects: bytes) -> bytes:
    """A PDF written byte by byte: object 1 is the catalog, with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s >>\nstream\n" % (len(data), extra) + data + b"\nendstream"


CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
ONE_PAGE_TREE = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"


def make_photo(
    size: tuple[int, int] = (400, 300),
    *,
    format: str = "JPEG",
    orientation: int | None = None,
    mode: str = "RGB",
    color: str = "steelblue",
) -> bytes:
    image = Image.new(mode, size, color)
    ImageDraw.Draw(image).rectangle((0, 0, size[0] // 4, size[1] // 4), fill="red")
    output = io.BytesIO()
    options = {}
    if orientation is not None:
        exif = Image.Exif()
        exif[0x0112] = orientation
        options["exif"] = exif
    image.save(output, format=format, **options)
    return output.getvalue()


def phone_photo(size: tuple[int, int] = (4032, 3024)) -> bytes:
    """A 12-megapixel JPEG with some detail, as a phone takes it (about 2-4 MB)."""
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(image)
    for x in range(0, size[0], 40):
        draw.line((x, 0, size[0] - x, size[1]), fill=(x % 256, 90, 160), width=3)
    for y in range(0, size[1], 90):
        draw.text((50, y), "AVIS D'IMPOT SUR LES REVENUS 2025 " * 8, fill="black")
    output = io.BytesIO()
    image.save(output, format="JPEG", quality=92)
    return output.getvalue()


def upload(
    data: bytes, name: str = "document.pdf", content_type: str = "application/pdf"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def process(
    *files: bytes | SimpleUploadedFile, names: list[str] | None = None
) -> ProcessedDocument:
    uploads = [
        item if isinstance(item, SimpleUploadedFile) else upload(item, names[i] if names else "x")
        for i, item in enumerate(files)
    ]
    return process_upload(uploads, max_bytes=LIMIT)


def rejection(*files: bytes | SimpleUploadedFile, max_bytes: int = LIMIT) -> DocumentRejected:
    uploads = [item if isinstance(item, SimpleUploadedFile) else upload(item) for item in files]
    with pytest.raises(DocumentRejected) as caught:
        process_upload(uploads, max_bytes=max_bytes)
    return caught.value


@contextmanager
def at_most(seconds: float) -> Iterator[None]:
    start = time.monotonic()
    yield
    elapsed = time.monotonic() - start
    assert elapsed < seconds, f"took {elapsed:.1f} s"


def page_sizes(content: bytes) -> list[tuple[float, float]]:
    return [
        (float(page.mediabox.width), float(page.mediabox.height))
        for page in PdfReader(io.BytesIO(content)).pages
    ]


def is_portrait(size: tuple[float, float]) -> bool:
    return size[1] > size[0]


# PDFs -------------------------------------------------------------------------------------------


def test_it_accepts_a_pdf_and_keeps_its_pages_and_text() -> None:
    document = process(make_pdf(3), names=["Avis d'impôt 2026.pdf"])
    assert document.source_kind == "pdf"
    assert document.pages == 3
    assert document.display_name == "Avis d'impôt 2026.pdf"
    reader = PdfReader(io.BytesIO(document.content))
    contents = [page.get_contents().get_data() for page in reader.pages]
    assert contents == [b"BT /F1 12 Tf 72 720 Td (Page %d) Tj ET" % n for n in (1, 2, 3)]


def test_it_accepts_a_plain_file_object_with_a_name() -> None:
    file = io.BytesIO(make_pdf(1))
    file.name = "attestation.pdf"
    document = process_upload([file], max_bytes=LIMIT)
    assert (document.pages, document.display_name) == (1, "attestation.pdf")


def test_it_reads_the_file_from_the_start_even_if_it_was_read_before() -> None:
    file = upload(make_pdf(2))
    file.read(100)
    assert process_upload([file], max_bytes=LIMIT).pages == 2


def test_it_decides_the_type_from_the_content_not_the_name() -> None:
    document = process_upload([upload(make_pdf(2), "photo.jpg", "image/jpeg")], max_bytes=LIMIT)
    assert document.source_kind == "pdf"
    assert document.pages == 2
    assert document.display_name == "photo.pdf"


def test_it_merges_several_pdfs_in_the_order_given() -> None:
    first = make_pdf(sizes=[(300, 400)])
    second = make_pdf(sizes=[(500, 600), (700, 800)])
    document = process(first, second, names=["page1.pdf", "pages2-3.pdf"])
    assert document.pages == 3
    assert page_sizes(document.content) == [(300, 400), (500, 600), (700, 800)]
    assert document.display_name == "page1.pdf"


def test_it_leaves_scripts_and_automatic_actions_behind() -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(1))))
    writer.add_open_action(JavaScript("app.alert('ouverture');"))

    def action(kind: str, key: str, value: str) -> DictionaryObject:
        return DictionaryObject(
            {NameObject("/S"): NameObject(kind), NameObject(key): TextStringObject(value)}
        )

    def link(target: DictionaryObject) -> DictionaryObject:
        return DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject("/Link"),
                NameObject("/Rect"): ArrayObject(
                    [FloatObject(0), FloatObject(0), FloatObject(99), FloatObject(99)]
                ),
                NameObject("/A"): target,
            }
        )

    page = writer.pages[0]
    page[NameObject("/AA")] = DictionaryObject(
        {NameObject("/O"): action("/JavaScript", "/JS", "app.alert('page');")}
    )
    page[NameObject("/Annots")] = ArrayObject(
        [
            writer._add_object(link(action("/URI", "/URI", "https://www.impots.gouv.fr/"))),
            writer._add_object(link(action("/JavaScript", "/JS", "app.alert('lien');"))),
            writer._add_object(link(action("/Launch", "/F", "calc.exe"))),
        ]
    )
    hostile = write(writer)
    assert hostile.count(b"/JavaScript") >= 3
    document = process(hostile)
    assert b"/JavaScript" not in document.content
    assert b"/Launch" not in document.content
    assert b"/AA" not in document.content
    annotations = PdfReader(io.BytesIO(document.content)).pages[0]["/Annots"]
    actions = [annotation.get_object().get("/A") for annotation in annotations]
    assert actions[0]["/URI"] == "https://www.impots.gouv.fr/"  # A plain link stays.
    assert actions[1:] == [None, None]


def test_it_opens_a_pdf_that_only_restricts_printing_and_keeps_it_unprotected() -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(2))))
    writer.encrypt(user_password="", owner_password="banque", algorithm="RC4-128")
    document = process(write(writer))
    assert document.pages == 2
    assert not PdfReader(io.BytesIO(document.content)).is_encrypted


def test_it_rejects_a_pdf_that_needs_a_password() -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(1))))
    writer.encrypt(user_password="secret", owner_password="secret", algorithm="RC4-128")
    error = rejection(write(writer))
    assert error.code == "encrypted"
    assert "mot de passe" in str(error.message)


def test_it_rejects_a_pdf_encrypted_with_aes() -> None:
    # Built by hand: pypdf needs the `cryptography` package to write AES, which we don't install.
    encrypt = (
        b"<< /Filter /Standard /V 5 /R 6 /Length 256 /P -4 /O <%s> /U <%s> /OE <%s> /UE <%s> /Perms <%s> >>"
        % (
            b"00" * 48,
            b"00" * 48,
            b"00" * 32,
            b"00" * 32,
            b"00" * 16,
        )
    )
    data = raw_pdf(
        CATALOG, ONE_PAGE_TREE, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>", encrypt
    )
    data = data.replace(b"/Root 1 0 R", b"/Root 1 0 R /Encrypt 4 0 R /ID [<00> <00>]")
    assert rejection(data).code == "encrypted"


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda pdf: pdf[: len(pdf) // 2], id="truncated"),
        pytest.param(lambda pdf: pdf[:300], id="cut-after-the-header"),
        pytest.param(
            lambda pdf: b"%PDF-1.7\n" + bytes(range(256)) * 40, id="garbage-after-the-header"
        ),
        pytest.param(lambda pdf: b"%PDF-", id="header-only"),
    ],
)
def test_it_rejects_a_damaged_pdf(damage: Callable[[bytes], bytes]) -> None:
    writer = PdfWriter()
    page = writer.add_blank_page(*A4)
    content = DecodedStreamObject()
    content.set_data(b"BT /F1 12 Tf 72 720 Td (Bonjour) Tj ET\n" * 300)
    page[NameObject("/Contents")] = writer._add_object(content.flate_encode())
    error = rejection(damage(write(writer)))
    assert error.code == "damaged"
    assert "endommagé" in str(error.message)


def test_it_rejects_a_pdf_without_pages() -> None:
    error = rejection(write(PdfWriter()))
    assert error.code == "no_pages"


def test_it_accepts_100_pages_and_rejects_101() -> None:
    assert process(make_pdf(100, text=False)).pages == 100
    error = rejection(make_pdf(101, text=False))
    assert error.code == "too_many_pages"
    assert "100" in str(error.message)


def test_it_rejects_several_pdfs_with_more_than_100_pages_together() -> None:
    assert rejection(make_pdf(60, text=False), make_pdf(41, text=False)).code == "too_many_pages"


# Photos -----------------------------------------------------------------------------------------


def test_it_makes_one_pdf_page_per_photo_in_the_order_given() -> None:
    photos = [
        make_photo((400, 300), format="JPEG"),
        make_photo((300, 400), format="PNG"),
        make_photo((500, 300), format="HEIF"),
    ]
    document = process(*photos, names=["IMG_2034.HEIC", "IMG_2035.png", "IMG_2036.HEIC"])
    assert document.source_kind == "images"
    assert document.pages == 3
    assert document.display_name == "IMG_2034.pdf"
    sizes = page_sizes(document.content)
    assert [is_portrait(size) for size in sizes] == [False, True, False]
    # Each page is about an A4 sheet: its long side is the long side of A4.
    assert [round(max(size)) for size in sizes] == [842, 842, 842]
    assert sizes[0][0] / sizes[0][1] == pytest.approx(400 / 300, rel=0.01)


def test_it_accepts_a_heic_photo_from_an_iphone() -> None:
    document = process(make_photo((640, 480), format="HEIF"), names=["IMG_2034.HEIC"])
    assert (document.pages, document.display_name, document.source_kind) == (
        1,
        "IMG_2034.pdf",
        "images",
    )


def test_it_turns_a_photo_upright_by_its_exif_orientation() -> None:
    # A phone held upright stores landscape pixels with Orientation 6 ("turn 90° clockwise").
    sideways = make_photo((800, 400), orientation=6)
    document = process(sideways)
    (size,) = page_sizes(document.content)
    assert is_portrait(size)
    image = PdfReader(io.BytesIO(document.content)).pages[0].images[0].image
    assert image.size == (400, 800)
    # The red corner was top-left in the stored pixels: upright, it is top-right.
    assert image.getpixel((380, 20))[0] > 200
    assert image.getpixel((20, 20))[0] < 100


def test_it_shrinks_a_12_megapixel_phone_photo_well_under_2_mb() -> None:
    photo = phone_photo()
    assert len(photo) > 2 * MB
    document = process(photo)
    assert len(document.content) < 2 * MB
    image = PdfReader(io.BytesIO(document.content)).pages[0].images[0].image
    assert max(image.size) == 2000
    assert image.mode == "RGB"


def test_it_keeps_no_exif_data_of_the_photos() -> None:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker-Secret"  # Make
    output = io.BytesIO()
    Image.new("RGB", (300, 200), "white").save(output, format="JPEG", exif=exif)
    document = process(output.getvalue())
    assert b"PhoneMaker-Secret" not in document.content
    assert b"Exif" not in document.content


def test_it_puts_transparent_parts_of_a_png_on_white() -> None:
    document = process(make_photo((200, 200), format="PNG", mode="RGBA", color="#00000000"))
    image = PdfReader(io.BytesIO(document.content)).pages[0].images[0].image
    assert image.getpixel((150, 150)) > (240, 240, 240)


def test_it_converts_palette_and_grey_photos_to_rgb() -> None:
    grey = make_photo((300, 200), format="PNG", mode="L", color="grey")
    palette = make_photo((300, 200), format="PNG", mode="P", color="grey")
    assert process(grey, palette).pages == 2


def test_it_rejects_a_truncated_photo() -> None:
    assert rejection(make_photo((600, 400))[:500]).code == "damaged"


def test_it_rejects_more_than_10_files() -> None:
    photo = make_photo((20, 20))
    assert process(*[photo] * 10).pages == 10
    error = rejection(*[photo] * 11)
    assert error.code == "too_many_files"
    assert "10" in str(error.message)


# What is refused before any parsing -------------------------------------------------------------


def test_it_rejects_mixing_a_pdf_and_photos() -> None:
    error = rejection(make_pdf(1), make_photo())
    assert error.code == "mixed"
    assert "mais pas les deux" in str(error.message)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00"
            + b"\x00" * 500
            + b"This program cannot be run in DOS mode",
            id="exe",
        ),
        pytest.param(
            "Avis d'impôt : revenu fiscal de référence 32 000 €\n".encode() * 20, id="text"
        ),
        pytest.param(b"PK\x03\x04" + b"\x00" * 200, id="zip-or-docx"),
        pytest.param(b"GIF89a" + b"\x00" * 200, id="gif"),
    ],
)
def test_it_rejects_a_file_that_is_neither_a_pdf_nor_a_photo_whatever_its_name(data: bytes) -> None:
    error = rejection(upload(data, "avis.pdf", "application/pdf"))
    assert error.code == "unsupported"
    assert str(error.message).startswith(
        "Ce fichier n'est ni un PDF ni une photo (JPEG, PNG, HEIC)"
    )


def test_it_rejects_an_empty_file() -> None:
    error = rejection(b"")
    assert error.code == "empty"
    assert "vide" in str(error.message)


def test_it_rejects_an_upload_without_files() -> None:
    with pytest.raises(DocumentRejected) as caught:
        process_upload([], max_bytes=LIMIT)
    assert caught.value.code == "empty"


def test_it_rejects_a_file_over_the_limit_and_says_the_limit_in_mo() -> None:
    data = make_pdf(1) + b"%" + b"x" * LIMIT
    error = rejection(data)
    assert error.code == "too_big"
    assert "10 Mo" in str(error.message)


def test_it_counts_the_bytes_rather_than_trusting_the_declared_size() -> None:
    file = upload(make_pdf(1) + b"%" + b"x" * (2 * MB))
    file.size = 10
    with pytest.raises(DocumentRejected) as caught:
        process_upload([file], max_bytes=MB)
    assert caught.value.code == "too_big"
    assert "1 Mo" in str(caught.value.message)


def test_it_rejects_pdfs_over_the_limit_together() -> None:
    half = make_pdf(1) + b"%" + b"x" * (6 * MB)
    error = rejection(half, half)
    assert error.code == "too_big"
    assert "10 Mo" in str(error.message)


def test_the_message_is_lazy_and_follows_the_language() -> None:
    error = rejection(b"")
    assert isinstance(error.message, Promise)
    with override("fr"):
        assert "vide" in str(error.message)


# Hostile files ----------------------------------------------------------------------------------


def test_it_rejects_a_decompression_bomb_in_the_page_content() -> None:
    # 200 MB of zeros, compressed to about 200 KB.
    compressor = zlib.compressobj(9)
    bomb = b"".join(compressor.compress(bytes(MB)) for _ in range(200)) + compressor.flush()
    assert len(bomb) < 300_000
    writer = PdfWriter()
    page = writer.add_blank_page(*A4)
    content = StreamObject()
    content._data = bomb
    content[NameObject("/Filter")] = NameObject("/FlateDecode")
    page[NameObject("/Contents")] = writer._add_object(content)
    with at_most(HOSTILE_SECONDS):
        error = rejection(write(writer))
    assert error.code == "unsafe"


def test_it_rejects_5000_pages_quickly() -> None:
    data = make_pdf(5000, text=False)
    with at_most(HOSTILE_SECONDS):
        error = rejection(data)
    assert error.code == "too_many_pages"


def test_it_counts_the_pages_when_the_page_count_lies() -> None:
    kids = b" ".join(b"3 0 R" for _ in range(5000))
    data = raw_pdf(
        CATALOG,
        b"<< /Type /Pages /Kids [%s] /Count 1 >>" % kids,
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    )
    with at_most(HOSTILE_SECONDS):
        error = rejection(data)
    assert error.code == "too_many_pages"


def test_it_rejects_a_page_tree_that_multiplies_pages() -> None:
    # Each level points ten times at the next: 10^8 pages from a few hundred bytes.
    levels = 8
    objects = [CATALOG]
    for level in range(levels):
        kids = b" ".join(b"%d 0 R" % (level + 3) for _ in range(10))
        objects.append(b"<< /Type /Pages /Kids [%s] /Count 1 >>" % kids)
    objects.append(b"<< /Type /Page /MediaBox [0 0 595 842] >>")
    with at_most(HOSTILE_SECONDS):
        error = rejection(raw_pdf(*objects))
    assert error.code == "unsafe"  # pypdf gives up on its page-tree limits.


def test_it_rejects_100000_nested_arrays_in_a_page() -> None:
    nested = b"[" * 100_000 + b"]" * 100_000
    data = raw_pdf(
        CATALOG,
        ONE_PAGE_TREE,
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Nested %s >>" % nested,
    )
    with at_most(HOSTILE_SECONDS):
        error = rejection(data)
    assert error.code == "unsafe"  # pypdf gave up on Python's recursion limit.


def test_it_rejects_100000_nested_arrays_in_the_resources_of_a_page() -> None:
    nested = b"[" * 100_000 + b"]" * 100_000
    data = raw_pdf(
        CATALOG,
        ONE_PAGE_TREE,
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources 4 0 R >>",
        b"<< /ProcSet %s >>" % nested,
    )
    with at_most(HOSTILE_SECONDS):
        error = rejection(data)
    assert error.code == "unsafe"


def test_it_rejects_a_page_with_thousands_of_content_streams() -> None:
    content = b"[%s]" % b" ".join(b"4 0 R" for _ in range(5000))
    data = raw_pdf(
        CATALOG,
        ONE_PAGE_TREE,
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 5 0 R >>",
        stream(b"q Q"),
        content,
    )
    with at_most(HOSTILE_SECONDS):
        error = rejection(data)
    assert error.code == "unsafe"


def png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header declares width x height pixels (grey, 8 bits), with a few rows of data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (width + 1) * 4)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


def test_it_rejects_a_photo_of_30000_by_30000_pixels() -> None:
    with at_most(HOSTILE_SECONDS):
        error = rejection(png_declaring(30_000, 30_000))
    assert error.code == "too_big"
    assert "millions de pixels" in str(error.message)


def test_it_rejects_a_photo_just_over_the_pixel_limit() -> None:
    # Between the limit and twice the limit Pillow only warns: that is a refusal too.
    with at_most(HOSTILE_SECONDS):
        error = rejection(png_declaring(12_000, 11_000))
    assert error.code == "too_big"


def test_a_check_that_takes_too_long_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(documents, "CHILD_TIMEOUT_SECONDS", 0.05)
    with at_most(5):
        error = rejection(make_pdf(1))
    assert error.code == "unsafe"


def test_a_check_that_runs_out_of_memory_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # Decoding this photo takes 108 MB, more than the child is given here.
    photo = make_photo((6000, 6000), format="PNG")
    assert process(photo).pages == 1
    monkeypatch.setattr(documents, "CHILD_MEMORY_BYTES", 150 * MB)
    with at_most(HOSTILE_SECONDS):
        error = rejection(photo)
    assert error.code == "unsafe"


def test_a_normal_pdf_costs_a_fraction_of_a_second() -> None:
    # CPU time, the parent's and the child's: wall-clock time depends on what else the machine
    # runs. On an idle machine the whole call takes about 0.25 s.
    data = make_pdf(1)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = time.process_time()
    start = time.monotonic()
    process(data)
    elapsed = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    child = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    assert child + time.process_time() - own < 0.5
    assert elapsed < 5


# Names, warnings --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Avis d'impôt 2026 (copie).pdf", "Avis d'impôt 2026 (copie).pdf"),
        ("Avis d\u2019impo\u0302t.PDF", "Avis d\u2019impôt.pdf"),  # macOS: decomposed accents.
        ("../../etc/passwd", "passwd.pdf"),
        ("C:\\Users\\Léa\\Documents\\quittance.pdf", "quittance.pdf"),
        ("IMG_2034.HEIC", "IMG_2034.pdf"),
        ("photo.jpeg", "photo.pdf"),
        ('relevé "CAF"\r\nSet-Cookie: x=1.pdf', "relevé CAF Set-Cookie x 1.pdf"),
        ("fac\x00ture\x07.pdf", "facture.pdf"),
        ("\u202egpj.exe", "gpj.exe.pdf"),
        ("a;b<c>d|e*f?g%h.pdf", "a b c d e f g h.pdf"),
        ("   .cache  ", "cache.pdf"),
        ("", "document.pdf"),
        ("...", "document.pdf"),
        ('"";\\/', "document.pdf"),
        ("\u00e9cole \u00e0 Moissy", "\u00e9cole \u00e0 Moissy.pdf"),
    ],
)
def test_it_cleans_the_display_name(name: str, expected: str) -> None:
    assert clean_display_name(name) == expected


def test_the_display_name_is_at_most_100_characters() -> None:
    cleaned = clean_display_name("é" * 300 + ".pdf")
    assert len(cleaned) == 100
    assert cleaned == "é" * 96 + ".pdf"


def test_the_display_name_is_safe_in_a_header() -> None:
    cleaned = clean_display_name('Avis "2026";\r\nfilename=x.exe\x00:\t%0A\x7f.pdf')
    assert cleaned == "Avis 2026 filename x.exe 0A.pdf"
    assert not re.search(r'["\\/;:=%\x00-\x1f\x7f]', cleaned)


def test_the_stored_name_is_random_and_never_the_family_s() -> None:
    names = {stored_name() for _ in range(50)}
    assert len(names) == 50
    year = timezone.now().year
    for name in names:
        assert re.fullmatch(rf"documents/{year}/([0-9a-f]{{2}})/\1[0-9a-f]{{30}}\.pdf", name)


def test_it_warns_when_a_document_has_fewer_pages_than_expected() -> None:
    document = ProcessedDocument(content=b"", pages=2, display_name="avis.pdf", source_kind="pdf")
    with override("fr"):
        assert page_warning(document, 4) == (
            "Ce document a 2 pages ; on en attend 4. Vérifiez-le ; vous pouvez l'envoyer quand même."
        )
        one = ProcessedDocument(content=b"", pages=1, display_name="avis.pdf", source_kind="pdf")
        assert page_warning(one, 4) == (
            "Ce document a 1 page ; on en attend 4. Vérifiez-le ; vous pouvez l'envoyer quand même."
        )


def test_it_does_not_warn_when_the_pages_are_there_or_nothing_is_expected() -> None:
    document = ProcessedDocument(content=b"", pages=4, display_name="avis.pdf", source_kind="pdf")
    assert page_warning(document, 4) is None
    assert page_warning(document, 2) is None
    assert page_warning(document, None) is None
