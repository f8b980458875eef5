"""The photo pipeline on its own: what it accepts, what it refuses, and what leaves it."""

import io

import pytest
from PIL import Image, ImageCms

from market.catalog import images
from market.domain import DomainError
from tests.catalog.conftest import HTML, PDF, PSD, SVG, jpeg_bytes, png_bomb, png_bytes, webp_bytes, with_xmp


@pytest.fixture
def ctx(app):
    with app.test_request_context("/"):
        yield


def open_variant(data: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    im.load()
    return im


@pytest.mark.parametrize(
    ("data", "fmt"),
    [
        (jpeg_bytes(), "JPEG"),
        (png_bytes(), "PNG"),
        (webp_bytes(), "WEBP"),
        (SVG, None),
        (HTML, None),
        (PDF, None),
        (b"", None),
        (b"GIF89a" + b"\0" * 20, None),
    ],
)
def test_sniff_by_content(data, fmt):
    assert images.sniff(data) == fmt


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"this is a text file renamed to .jpg", "không phải ảnh"),
        (SVG, "không phải ảnh"),
        (HTML, "không phải ảnh"),
        (PDF, "không phải ảnh"),
        (PSD, "không phải ảnh"),
        (b"", "rỗng"),
        (jpeg_bytes((800, 600))[:700], "bị hỏng"),  # truncated JPEG
        (png_bomb(), "quá nhiều điểm ảnh"),  # 1 kB declaring 40 000 × 40 000
        (png_bomb(8000, 6000), "quá nhiều điểm ảnh"),  # 48 MP: over our cap, under Pillow's own error threshold
        (b"\xff\xd8\xff\xe0" + b"\0" * 100, "bị hỏng"),  # JPEG magic, nothing behind it
    ],
    ids=["text", "svg", "html", "pdf", "psd", "empty", "truncated", "bomb", "48mp", "magic-only"],
)
def test_bad_files_are_refused_with_a_message(ctx, data, message):
    with pytest.raises(DomainError) as err:
        images.process(data, "anh.jpg")
    assert err.value.field == "photos"
    assert message in err.value.message
    assert "anh.jpg" in err.value.message or not data


def test_the_bomb_is_small_and_refused_before_decoding(ctx):
    """Property 20: 1 kB declaring 40 000 × 40 000 (1.6 G pixels, 4.8 GB decoded) is refused in under a second
    with under 50 MB of memory: the header is read, the pixels never are."""
    import time
    import tracemalloc

    bomb = png_bomb()
    assert len(bomb) < 1100
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(DomainError):
            images.process(bomb, "bomb.png")
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert elapsed < 1, f"{elapsed:.2f} s"
    assert peak < 50 * 1024 * 1024, f"{peak / 1e6:.0f} MB"


def test_pixel_cap_is_set_for_pillow():
    assert Image.MAX_IMAGE_PIXELS == images.MAX_PIXELS == 40_000_000


def test_oversized_file_refused(ctx, monkeypatch):
    monkeypatch.setattr(images, "MAX_FILE_BYTES", 1000)
    with pytest.raises(DomainError) as err:
        images.process(jpeg_bytes((400, 300)), "big.jpg")
    assert "lớn hơn" in err.value.message


def test_variants_sizes_and_formats(ctx):
    out = images.process(jpeg_bytes((3000, 2000)), "a.jpg")
    got = {(v.size, v.ext): (v.width, v.height) for v in out.variants}
    assert got == {
        (1600, "webp"): (1600, 1067),
        (1600, "jpg"): (1600, 1067),
        (800, "webp"): (800, 533),
        (800, "jpg"): (800, 533),
        (320, "webp"): (320, 213),
        (320, "jpg"): (320, 213),
    }
    assert (out.width, out.height) == (1600, 1067)
    for v in out.variants:
        im = open_variant(v.data)
        assert im.format == ("WEBP" if v.ext == "webp" else "JPEG")
        assert im.size == (v.width, v.height)
        assert im.mode == "RGB"


def test_small_photos_are_never_enlarged(ctx):
    out = images.process(png_bytes((300, 200)), "small.png")
    assert {(v.width, v.height) for v in out.variants} == {(300, 200)}


def test_large_jpeg_is_decoded_at_reduced_scale(ctx):
    out = images.process(jpeg_bytes((4000, 3000), quality=70), "phone.jpg")
    assert out.source_size == (4000, 3000)
    assert out.decoded_size == (2000, 1500)  # draft(): the decoder did a quarter of the work


def test_exif_orientation_6_with_gps_is_stored_upright_without_metadata(ctx):
    # Stored sideways (landscape 400×300, blue mark at top-left); orientation 6 = turn 90° clockwise to show.
    data = with_xmp(jpeg_bytes((400, 300), orientation=6, gps=True, comment=b"secret farm"))
    src = Image.open(io.BytesIO(data))
    assert src.getexif().get_ifd(0x8825)  # the upload really has GPS
    assert "xmp" in src.info or b"adobe:ns:meta" in data  # and XMP (with its own GPS line)
    out = images.process(data, "phone.jpg")
    assert (out.width, out.height) == (300, 400)  # portrait now
    for v in out.variants:
        im = open_variant(v.data)
        assert im.height > im.width
        w, h = im.size
        r, g, b = im.getpixel((w - 3, 2))[:3]  # the mark turned with the photo: now at the top-right
        assert b > 150 and r < 100, (v.size, v.ext, (r, g, b))
        assert not im.getexif()  # no EXIF at all, so no GPS and no orientation
        assert not {"exif", "icc_profile", "xmp", "XML:com.adobe.xmp", "comment"} & set(im.info)
        assert b"GPS" not in v.data and b"Exif" not in v.data and b"secret farm" not in v.data
        assert b"adobe:ns:meta" not in v.data and b"xap/1.0" not in v.data
        assert b"PhoneMaker" not in v.data


def test_icc_profile_is_applied_and_dropped(ctx):
    lab = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = images.process(jpeg_bytes((200, 100), icc=lab), "icc.jpg")
    for v in out.variants:
        assert "icc_profile" not in open_variant(v.data).info


def test_a_wide_gamut_profile_changes_the_colours_to_srgb(ctx):
    """Pure green tagged with a wider-than-sRGB profile: converted, it is no longer (0, 255, 0)."""
    src = Image.new("RGB", (64, 64), (0, 255, 0))
    adobe_like = _rgb_profile_with_wide_green()
    if adobe_like is None:
        pytest.skip("littlecms cannot build a custom RGB profile here")
    buf = io.BytesIO()
    src.save(buf, "JPEG", quality=95, icc_profile=adobe_like)
    out = images.process(buf.getvalue(), "wide.jpg")
    px = open_variant(next(v for v in out.variants if v.ext == "webp").data).getpixel((32, 32))
    assert px != (0, 255, 0) and px[1] > 200


def _rgb_profile_with_wide_green():
    """The profile embedded by a real camera set to a wide gamut: here, sRGB's own bytes with the green
    primary moved out (a valid ICC, built by copying sRGB and editing its gXYZ tag)."""
    import struct

    base = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    count = struct.unpack(">I", base[128:132])[0]
    for i in range(count):
        sig, offset, _size = struct.unpack(">4sII", base[132 + 12 * i : 144 + 12 * i])
        if sig == b"gXYZ":

            def s15(v):
                return struct.pack(">i", round(v * 65536))

            base[offset + 8 : offset + 20] = s15(0.1852) + s15(0.7520) + s15(0.0000)  # a much greener green
            return bytes(base)
    return None


def test_transparent_png_becomes_white_not_black(ctx):
    out = images.process(png_bytes((300, 200)), "logo.png")
    im = open_variant(next(v for v in out.variants if v.ext == "jpg").data)
    assert im.getpixel((2, 2))[0] > 240  # the transparent corner is white


@pytest.mark.parametrize("mode", ["L", "P", "CMYK", "I;16"])
def test_odd_modes_are_normalised(ctx, mode):
    if mode == "CMYK":
        im = Image.new("CMYK", (120, 80), (0, 200, 200, 0))
        fmt = "JPEG"
    elif mode == "I;16":
        im = Image.new("I;16", (120, 80), 40000)
        fmt = "PNG"
    else:
        im = Image.new(mode, (120, 80), 100)
        fmt = "PNG"
    buf = io.BytesIO()
    im.save(buf, fmt)
    out = images.process(buf.getvalue(), f"x.{fmt.lower()}")
    assert all(open_variant(v.data).mode == "RGB" for v in out.variants)


def test_the_same_photo_is_stored_once(app, ctx, tmp_path):
    data = jpeg_bytes((500, 400), color=(1, 2, 3))
    first = images.prepare(data, "a.jpg", tmp_path)
    assert first.processed is not None
    images.save(first, tmp_path)
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert len(files) == 6 and all(images.VARIANT_NAME.fullmatch(f) for f in files)
    assert all(first.digest in f for f in files)
    again = images.prepare(data, "copy.jpg", tmp_path)
    assert again.processed is None and (again.width, again.height) == (first.width, first.height)
    images.save(again, tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()) == files


def test_fit():
    assert images.fit((4000, 3000), 1600) == (1600, 1200)
    assert images.fit((3000, 4000), 320) == (240, 320)
    assert images.fit((100, 50), 320) == (100, 50)
    assert images.fit((10000, 1), 320) == (320, 1)
