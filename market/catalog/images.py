"""The photo pipeline: one uploaded photo in, six small clean files out (320, 800 and 1600 px; WebP + JPEG).

Why each step is there:
- Sniff the format from the first bytes: the file name and the browser's Content-Type are the uploader's
  word; SVG, HTML and PDF renamed to .jpg must never reach a decoder or a browser.
- Bound the pixels before decoding: a 1 kB PNG can declare 40 000 × 40 000 pixels (6.4 GB once decoded).
  Pillow reads the size from the header and raises ``DecompressionBombError`` (or warns) past
  ``Image.MAX_IMAGE_PIXELS``; we set that to our own cap and turn the warning into a refusal too.
- ``verify()`` then reopen: verify walks the file's structure (PNG chunk checksums) but leaves the image
  object unusable, so the photo is opened a second time to decode it.
- ``draft()`` for JPEG: the decoder can scale by 1/2, 1/4 or 1/8 while it decodes. A 12 MP phone photo
  needed at 1600 px is decoded at 2000 × 1500: a quarter of the work and memory of a full decode.
- ``exif_transpose``: phones store the pixels sideways plus an orientation tag; we turn the pixels upright.
- Drop every piece of metadata (EXIF with the farm's GPS position, XMP, comments): the encoders only get
  pixels. A colour profile (ICC, e.g. Display P3 from iPhones) is applied first, converting to sRGB, which
  is what browsers assume for untagged images.
- Name files by the SHA-256 of the uploaded bytes: the same photo uploaded twice is processed and stored
  once, and a file never changes, so it is served with a one-year immutable cache.

Warnings are filtered inside ``warnings.catch_warnings`` which is not thread-safe on Python 3.11; the
production server is gevent, where nothing switches greenlets in the middle of this CPU-only code.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import struct
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import gettext as _
from PIL import Image, ImageCms, ImageOps

from market.domain import DomainError, ErrorCode
from market.text import clean_line

SIZES = (320, 800, 1600)  # longest side of each variant, in pixels
EXTENSIONS = ("webp", "jpg")  # WebP first; JPEG for the browsers and share previews that lack WebP
MIME_TYPES = {"webp": "image/webp", "jpg": "image/jpeg"}
MAX_PIXELS = 40_000_000  # 40 megapixels: more than any phone camera; beyond that it is an attack or a scan
MAX_FILE_BYTES = 15 * 1024 * 1024  # one photo; the whole request is capped by MAX_CONTENT_LENGTH
MAX_PHOTOS = 8
# Encoder settings measured by bench/images.py: WebP method 2 is 2-3x faster than the default 4 for ~10 %
# larger files; an optimised baseline JPEG is as small as a progressive one here and 3x faster to write.
WEBP_OPTIONS = {"quality": 80, "method": 2}
JPEG_OPTIONS = {"quality": 82, "optimize": True}

# Pillow's own guard uses this global (it warns past it, refuses past twice it). Nothing in this application
# has a reason to open a bigger image, so the cap is set for the whole process.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

_FORMATS = {"JPEG", "PNG", "WEBP"}
VARIANT_NAME = re.compile(r"^p/[0-9a-f]{2}/[0-9a-f]{2}/([0-9a-f]{64})-(320|800|1600)\.(webp|jpg)$")
_DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    struct.error,
    IndexError,
    TypeError,
    KeyError,
    ZeroDivisionError,
    MemoryError,
)


def sniff(data: bytes) -> str | None:
    """The image format from the file's first bytes ("JPEG", "PNG", "WEBP"), or None for anything else."""
    if data[:3] == b"\xff\xd8\xff":
        return "JPEG"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "PNG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def variant_name(digest: str, size: int, ext: str) -> str:
    """Where a variant lives under MEDIA_DIR (and under /media/): p/ab/cd/<sha256>-800.webp."""
    return f"p/{digest[:2]}/{digest[2:4]}/{digest}-{size}.{ext}"


@dataclass(frozen=True)
class Variant:
    size: int
    ext: str
    width: int
    height: int
    data: bytes = field(repr=False)


@dataclass
class ProcessedImage:
    digest: str
    width: int  # of the largest variant, for the <img> width/height (no layout shift) and share cards
    height: int
    source_size: tuple[int, int]  # as stored in the upload, before any turn
    decoded_size: tuple[int, int]  # what the decoder produced: smaller than source_size when draft() helped
    variants: list[Variant] = field(default_factory=list)

    def files(self) -> dict[str, bytes]:
        return {variant_name(self.digest, v.size, v.ext): v.data for v in self.variants}


def _label(name: str | None) -> str:
    label = clean_line(os.path.basename(name or ""))[:60]
    return label or _("the photo")


def _refuse(message: str) -> DomainError:
    return DomainError(ErrorCode.INVALID_IMAGE, message, field="photos")


def _broken(label: str) -> DomainError:
    return _refuse(_("“%(name)s” is damaged or incomplete. Take or choose the photo again.", name=label))


def fit(size: tuple[int, int], limit: int) -> tuple[int, int]:
    """``size`` scaled down (never up) so that its longest side is at most ``limit``."""
    w, h = size
    if max(w, h) <= limit:
        return w, h
    if w >= h:
        return limit, max(1, (h * limit + w // 2) // w)
    return max(1, (w * limit + h // 2) // h), limit


def _open(data: bytes, fmt: str, label: str) -> tuple[Image.Image, tuple[int, int]]:
    """Check, verify and reopen the upload; decode it (JPEG at reduced scale). Returns (image, source size)."""

    def too_big() -> DomainError:
        return _refuse(
            _("“%(name)s” has too many pixels: at most %(mp)d megapixels.", name=label, mp=MAX_PIXELS // 1_000_000)
        )

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=[fmt]) as probe:
                w, h = probe.size
                if w < 1 or h < 1 or w * h > MAX_PIXELS:
                    raise too_big()
                probe.verify()
            image = Image.open(io.BytesIO(data), formats=[fmt])
            source = image.size
            if fmt == "JPEG":
                image.draft("RGB", fit(source, SIZES[-1]))
            image.load()
            return image, source
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise too_big() from None
        except DomainError:
            raise
        except _DECODE_ERRORS:
            raise _broken(label) from None


def _upright(image: Image.Image) -> Image.Image:
    try:
        turned = ImageOps.exif_transpose(image)
    except _DECODE_ERRORS:  # a malformed EXIF block is no reason to refuse the photo; keep it as stored
        return image
    return turned if turned is not None else image


_SRGB: ImageCms.ImageCmsProfile | None = None


def _srgb_profile() -> ImageCms.ImageCmsProfile:
    global _SRGB
    if _SRGB is None:
        _SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
    return _SRGB


def _to_srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """Plain RGB pixels in sRGB: colour profile applied, transparency laid on white, odd modes normalised."""
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        image = image.convert("I").point(lambda v: v * (1 / 256)).convert("L")  # 16-bit grey → 8-bit
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    elif image.mode in ("1", "LA", "PA", "La", "RGBa"):
        image = image.convert("RGBA" if "A" in image.mode or "a" in image.mode else "L")
    if icc and image.mode in ("RGB", "RGBA", "L", "CMYK"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            out_mode = "RGBA" if image.mode == "RGBA" else "RGB"
            converted = ImageCms.profileToProfile(image, source, _srgb_profile(), outputMode=out_mode)
            if converted is not None:  # None only when converting in place, which this does not ask for
                image = converted
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass  # an unreadable profile: use the pixels as they are
    if image.mode == "RGBA":
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.getchannel("A"))
        image = background
    elif image.mode != "RGB":
        image = image.convert("RGB")
    return image


def _encode(image: Image.Image, ext: str) -> bytes:
    buf = io.BytesIO()
    image.info.clear()  # encoders fall back to image.info for comments; only pixels leave this module
    if ext == "webp":
        image.save(buf, "WEBP", **WEBP_OPTIONS)
    else:
        image.save(buf, "JPEG", **JPEG_OPTIONS)
    return buf.getvalue()


def _shrink(image: Image.Image, target: tuple[int, int]) -> Image.Image:
    """Downscale with a bicubic filter, first box-averaging by the whole factor (1600 → 800 is one cheap
    2 × 2 average; 800 → 320 averages 2 × 2 and then filters 400 → 320)."""
    return image.resize(target, Image.Resampling.BICUBIC, reducing_gap=1.0)


def process(data: bytes, name: str | None = None, digest: str | None = None) -> ProcessedImage:
    """Check one uploaded photo and make its variants in memory. Raises DomainError (field "photos")."""
    label = _label(name)
    if not data:
        raise _refuse(_("“%(name)s” is empty (0 bytes). Choose the photo again.", name=label))
    if len(data) > MAX_FILE_BYTES:
        raise _refuse(
            _(
                "“%(name)s” is larger than %(mb)d MB. Choose a smaller photo.",
                name=label,
                mb=MAX_FILE_BYTES // (1024 * 1024),
            )
        )
    fmt = sniff(data)
    if fmt not in _FORMATS:
        raise _refuse(_("“%(name)s” is not a photo we accept. Send a JPEG, PNG or WebP photo.", name=label))
    image, source = _open(data, fmt, label)
    decoded = image.size
    try:
        icc = image.info.get("icc_profile")
        image = _to_srgb(_upright(image), icc)
        out = ProcessedImage(
            digest=digest or hashlib.sha256(data).hexdigest(),
            width=0,
            height=0,
            source_size=source,
            decoded_size=decoded,
        )
        full = image.size
        current = image
        for size in sorted(SIZES, reverse=True):  # each variant from the one above it: less work each time
            target = fit(full, size)
            if current.size != target:
                current = _shrink(current, target)
            for ext in EXTENSIONS:
                out.variants.append(Variant(size, ext, target[0], target[1], _encode(current, ext)))
            if size == SIZES[-1]:
                out.width, out.height = target
    except _DECODE_ERRORS:
        raise _broken(label) from None
    finally:
        image.close()
    return out


# ---- storage --------------------------------------------------------------------------------------------


def stored_size(media_dir: str | Path, digest: str) -> tuple[int, int] | None:
    """(width, height) of a photo already stored with every variant, or None: then it must be processed."""
    root = Path(media_dir)
    names = [variant_name(digest, s, e) for s in SIZES for e in EXTENSIONS]
    if not all((root / n).is_file() for n in names):
        return None
    try:
        with Image.open(root / variant_name(digest, SIZES[-1], "jpg"), formats=["JPEG"]) as im:
            return im.size
    except _DECODE_ERRORS:
        return None


def store(processed: ProcessedImage, media_dir: str | Path) -> None:
    """Write the variants that are not there yet. Each file appears whole or not at all (rename)."""
    root = Path(media_dir)
    for name, data in processed.files().items():
        path = root / name
        if path.is_file():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise


@dataclass(frozen=True)
class PhotoFile:
    """A photo ready to attach to a product: checked, and either already stored or waiting in memory."""

    digest: str
    width: int
    height: int
    processed: ProcessedImage | None = None  # None: the files are already in MEDIA_DIR


def prepare(data: bytes, name: str | None, media_dir: str | Path) -> PhotoFile:
    """Check an upload and make its variants, unless the very same bytes were stored before."""
    digest = hashlib.sha256(data).hexdigest()
    if data:
        size = stored_size(media_dir, digest)
        if size is not None:
            return PhotoFile(digest, size[0], size[1])
    processed = process(data, name, digest)
    return PhotoFile(processed.digest, processed.width, processed.height, processed)


def save(photo: PhotoFile, media_dir: str | Path) -> None:
    if photo.processed is not None:
        store(photo.processed, media_dir)
