"""Benchmark (not a test): the photo pipeline and catalogue search, each beside a baseline from the same run.

1. A 12-megapixel phone-like JPEG (4000 × 3000, EXIF orientation 6 and GPS, like a photo taken upright on a
   phone) through the whole pipeline (checks, verify, draft decode, turn, sRGB, 320/800/1600 in WebP and JPEG)
   against the naive way: Image.open → full decode → one resize to 1600 px → save one JPEG.
2. Search latency (p50/p95) over 10 000 approved products: the real ``catalog.search.search`` + pagination (count
   and page, photos loaded) on PostgreSQL with the trigram index, on PostgreSQL without it (the baseline), and
   on the embedded SQLite for reference. PostgreSQL runs in its own database (default bench_catalog), dropped
   and created again.

    .venv/bin/python bench/images.py [--runs 9] [--products 10000] [--pg URL] [--no-search]

Figures go to docs/performance.md by hand; they vary with the machine and its load.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image, ImageDraw, ImageFilter  # noqa: E402

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_catalog"


# ---- 1. the photo pipeline ------------------------------------------------------------------------------------


def phone_photo(width: int = 4000, height: int = 3000, seed: int = 12) -> bytes:
    """A JPEG that compresses like a phone photo: smooth light and shapes, leaf-like detail, sensor noise."""
    rng = random.Random(seed)
    small = Image.new("RGB", (width // 8, height // 8))
    draw = ImageDraw.Draw(small)
    for y in range(height // 8):
        t = y / (height // 8)
        draw.line([(0, y), (width // 8, y)], fill=(int(150 + 60 * t), int(190 - 50 * t), int(230 - 170 * t)))
    for _ in range(160):
        x, y, s = rng.randrange(width // 8), rng.randrange(height // 8), rng.randrange(6, 70)
        draw.ellipse(
            (x, y, x + s, y + s * 0.8), fill=(rng.randrange(30, 200), rng.randrange(70, 210), rng.randrange(10, 120))
        )
    image = small.resize((width, height), Image.Resampling.BICUBIC).filter(ImageFilter.GaussianBlur(1.5))
    detail = Image.effect_mandelbrot((width, height), (-2.2, -1.3, 1.0, 1.3), 90).convert("RGB")
    noise = Image.effect_noise((width, height), 28).convert("RGB")
    image = Image.blend(Image.blend(image, detail, 0.12), noise, 0.16)
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (12.0, 41.0, 30.0), "E", (108.0, 12.0, 5.0)
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=92, exif=exif)
    return buf.getvalue()


def naive(data: bytes) -> int:
    """What a first version usually does: decode everything, resize once, save once."""
    image = Image.open(io.BytesIO(data))
    image.load()
    image = image.resize((1600, 1200))
    out = io.BytesIO()
    image.save(out, "JPEG")
    return len(out.getvalue())


def timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return (time.perf_counter() - start) * 1000


def bench_pipeline(runs: int) -> dict:
    from market import create_app
    from market.catalog import images

    app = create_app({"SECRET_KEY": "bench-secret-key-0123456789", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    data = phone_photo()
    with app.test_request_context("/"):
        out = images.process(data, "phone.jpg")  # warm up (and show what comes out)
        naive(data)
        pipeline_ms, naive_ms = [], []
        for _ in range(runs):  # interleaved, so that a busy neighbour slows both alike
            pipeline_ms.append(timed(images.process, data, "phone.jpg"))
            naive_ms.append(timed(naive, data))
        # the same pipeline with draft() disabled: what the reduced-scale decode is worth
        from PIL import JpegImagePlugin

        original = JpegImagePlugin.JpegImageFile.draft
        JpegImagePlugin.JpegImageFile.draft = lambda self, mode, size: None
        try:
            no_draft_ms = [timed(images.process, data, "phone.jpg") for _ in range(max(3, runs // 2))]
        finally:
            JpegImagePlugin.JpegImageFile.draft = original
    return {
        "input_bytes": len(data),
        "source": out.source_size,
        "decoded": out.decoded_size,
        "variants": [(v.size, v.ext, v.width, v.height, len(v.data)) for v in out.variants],
        "pipeline": pipeline_ms,
        "naive": naive_ms,
        "no_draft": no_draft_ms,
        "naive_bytes": naive(data),
    }


# ---- 2. search --------------------------------------------------------------------------------------------------

KINDS = [
    ("Sầu riêng", ["Ri6", "Monthong", "Musang King", "Dona", "Chuồng bò", "Sáu Hữu"], "durian", "kg"),
    ("Cà phê", ["Robusta rang mộc", "Arabica Cầu Đất", "hạt xanh", "phin giấy", "Culi", "chồn"], "coffee", "bag"),
    ("Hồ tiêu", ["đen", "đỏ", "sọ", "xanh"], "pepper", "kg"),
    ("Mật ong", ["hoa cà phê", "rừng", "hoa nhãn", "bạc hà"], "honey", "box"),
    ("Bơ", ["034", "sáp", "Booth", "Hass"], "avocado", "kg"),
    ("Mắc ca", ["sấy nứt vỏ", "nhân", "tươi"], "macadamia", "kg"),
    ("Khăn thổ cẩm", ["Ê Đê", "M'nông", "dệt tay", "choàng"], "brocade", "piece"),
    ("Vải thổ cẩm", ["khổ 60", "khổ 80", "nhuộm lá rừng"], "brocade", "metre"),
    ("Giỏ mây", ["đan tay", "đi chợ", "mini"], "handicraft", "piece"),
    ("Chè Shan tuyết", ["cổ thụ", "búp", "móc câu"], "other", "bag"),
]
GRADES = ["loại 1", "loại 2", "VIP", "nhà vườn", "xuất khẩu", "", "", ""]
WORDS = (
    "ngon thơm béo ngọt chín cây hái tay phơi nắng sạch VietGAP hữu cơ giao nhanh đóng thùng bảo hành "
    "mùa vụ mới gia đình tự trồng không hóa chất đặc sản buôn làng bà con"
).split()
QUERIES = [
    "sau rieng",
    "SẦU RIÊNG RI6",
    "ca phe robusta",
    "mat ong",
    "tho cam",
    "bo 034",
    "tieu den",
    "khan",
    "ea knuec",
    "vietgap",
    "mac ca say",
    "không có gì như thế này",
]


def fill(app, products: int) -> None:
    """Communes, sellers and ``products`` approved listings with one photo row each, inserted in bulk."""
    import sqlalchemy as sa

    from market.accounts.models import Commune, SellerProfile, User
    from market.catalog.models import Product, ProductPhoto
    from market.database import utcnow
    from market.extensions import db
    from market.text import fold, slugify

    rng = random.Random(3)
    communes = [
        "Ea Knuếc",
        "Xuân Lãnh",
        "Quảng Phú",
        "Nam Ka",
        "Tân Lập",
        "Buôn Ma Thuột",
        "Tân An",
        "Phú Yên",
        "Tủa Sín Chải",
    ]
    now = utcnow()
    with app.app_context():
        db.session.execute(
            sa.insert(Commune),
            [
                {
                    "name": n,
                    "province": "Đắk Lắk",
                    "slug": slugify(n),
                    "description": "",
                    "created_at": now,
                    "updated_at": now,
                }
                for n in communes
            ],
        )
        commune_rows = db.session.execute(sa.select(Commune.id, Commune.name)).all()
        sellers = 300
        db.session.execute(
            sa.insert(User),
            [
                {
                    "phone": f"+8490{i:07d}",
                    "display_name": f"Người bán {i}",
                    "password_hash": "x",
                    "locale": "vi",
                    "is_staff": False,
                    "is_admin": False,
                    "auth_version": 1,
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(sellers)
            ],
        )
        user_ids = db.session.scalars(sa.select(User.id).order_by(User.id)).all()
        db.session.execute(
            sa.insert(SellerProfile),
            [
                {
                    "user_id": uid,
                    "commune_id": commune_rows[i % len(commune_rows)][0],
                    "shop_name": f"Vườn nhà số {i}",
                    "slug": f"vuon-nha-so-{i}",
                    "story": "",
                    "status": "approved",
                    "is_kol": False,
                    "created_at": now,
                    "updated_at": now,
                }
                for i, uid in enumerate(user_ids)
            ],
        )
        shops = db.session.execute(sa.select(SellerProfile.id, SellerProfile.shop_name, SellerProfile.commune_id)).all()
        commune_names = dict(commune_rows)
        rows = []
        for i in range(products):
            name, varieties, category, unit = KINDS[i % len(KINDS)]
            title = " ".join(w for w in (name, rng.choice(varieties), rng.choice(GRADES)) if w)
            description = " ".join(rng.choice(WORDS) for _ in range(rng.randrange(15, 60)))
            shop_id, shop_name, commune_id = shops[rng.randrange(len(shops))]
            search_text = " ".join(
                fold(p) for p in (title, description, shop_name, commune_names[commune_id], "Đắk Lắk")
            )
            rows.append(
                {
                    "seller_id": shop_id,
                    "title": title,
                    "slug": slugify(title, 80),
                    "description": description,
                    "category": category,
                    "unit": unit,
                    "price_vnd": rng.randrange(20, 500) * 1000,
                    "stock": rng.randrange(0, 1000),
                    "min_order_qty": 1,
                    "origin": "",
                    "status": "approved",
                    "search_text": search_text,
                    "search_title": fold(title),
                    "approved_at": now,
                    "submitted_at": now,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        for start in range(0, len(rows), 2000):
            db.session.execute(sa.insert(Product), rows[start : start + 2000])
        ids = db.session.scalars(sa.select(Product.id)).all()
        db.session.execute(
            sa.insert(ProductPhoto),
            [
                {
                    "product_id": pid,
                    "position": 0,
                    "image_hash": f"{pid:064x}",
                    "width": 1600,
                    "height": 1200,
                    "created_at": now,
                    "updated_at": now,
                }
                for pid in ids
            ],
        )
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("VACUUM ANALYZE"))


def measure_search(apps: list[tuple[str, object]], reps: int) -> list[tuple[str, list[float], dict]]:
    """Rounds over every query, taking the databases in turn in each round (a busy neighbour slows all alike).
    Returns per database: all latencies (ms) and, per query, (matches, median ms)."""
    from market.catalog.search import search
    from market.extensions import db

    def run(app, query):
        with app.test_request_context("/"):
            start = time.perf_counter()
            page = db.paginate(search(query), page=1, per_page=20, error_out=False)
            for product in page.items:  # what the results page reads
                _ = product.cover, product.seller.commune.name
            elapsed = (time.perf_counter() - start) * 1000
            db.session.remove()
        return elapsed, page.total

    for _label, app in apps:  # warm up every query once
        for query in QUERIES:
            run(app, query)
    stats = {label: {"all": [], **{q: [] for q in QUERIES}} for label, _ in apps}
    hits = {}
    for _ in range(reps):
        for label, app in apps:
            for query in QUERIES:
                elapsed, total = run(app, query)
                stats[label]["all"].append(elapsed)
                stats[label][query].append(elapsed)
                hits[query] = total
    return [
        (label, stats[label]["all"], {q: (hits[q], statistics.median(stats[label][q])) for q in QUERIES})
        for label, _ in apps
    ]


def drop_pg(url: str, create: bool = False) -> None:
    import psycopg

    base, name = url.replace("postgresql+psycopg://", "postgresql://").rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        if create:
            conn.execute(f'CREATE DATABASE "{name}"')


def recreate_pg(url: str) -> None:
    drop_pg(url, create=True)


@contextlib.contextmanager
def bench_app(url: str):
    from flask_migrate import upgrade

    from market import create_app
    from market.extensions import db

    app = create_app({"SECRET_KEY": "bench-secret-key-0123456789", "SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": None})
    with app.app_context():
        upgrade(directory=str(ROOT / "market" / "migrations"))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def bench_search(pg_url: str | None, products: int, reps: int) -> list[tuple[str, list[float], dict]]:
    """PostgreSQL with the trigram index, PostgreSQL without it (a second database: the baseline) and SQLite,
    each filled with the same products."""
    import sqlalchemy as sa

    from market.extensions import db

    with contextlib.ExitStack() as stack:
        apps = []
        if pg_url:
            for suffix, keep_index in (("", True), ("_noindex", False)):
                url = pg_url + suffix
                recreate_pg(url)
                app = stack.enter_context(bench_app(url))
                t = time.perf_counter()
                fill(app, products)
                with app.app_context():
                    has_index = bool(
                        db.session.scalar(
                            sa.text("SELECT count(*) FROM pg_indexes WHERE indexname = 'ix_products_search_trgm'")
                        )
                    )
                    if has_index and not keep_index:
                        db.session.execute(sa.text("DROP INDEX ix_products_search_trgm"))
                        db.session.commit()
                        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                            conn.execute(sa.text("ANALYZE products"))
                print(
                    f"  filled {url.rsplit('/', 1)[1]} with {products} products in {time.perf_counter() - t:.1f} s",
                    flush=True,
                )
                if keep_index:
                    apps.append(("PostgreSQL, trigram index" if has_index else "PostgreSQL (pg_trgm unavailable)", app))
                elif has_index:
                    apps.append(("PostgreSQL, no index (baseline)", app))
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        app = stack.enter_context(bench_app(f"sqlite:///{tmp}/bench.sqlite3"))
        fill(app, products)
        apps.append(("SQLite (embedded default)", app))
        results = measure_search(apps, reps)
    if pg_url:
        for suffix in ("", "_noindex"):
            drop_pg(pg_url + suffix)
    return results


# ---- report -----------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=9, help="timed runs of each photo path")
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--reps", type=int, default=15, help="rounds over the search queries")
    parser.add_argument("--pg", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_PG))
    parser.add_argument("--no-search", action="store_true")
    args = parser.parse_args()

    print(f"Python {sys.version.split()[0]}, Pillow {Image.__version__}, {os.cpu_count()} CPUs")
    print("\n== Photo pipeline: one 12 MP phone JPEG ==")
    r = bench_pipeline(args.runs)
    med_p, med_n, med_nd = (statistics.median(r[k]) for k in ("pipeline", "naive", "no_draft"))
    print(
        f"input: {r['source'][0]}x{r['source'][1]} JPEG, {r['input_bytes'] / 1e6:.1f} MB, EXIF orientation 6 + GPS;"
        f" decoded at {r['decoded'][0]}x{r['decoded'][1]} (draft)"
    )
    print(f"{'path':<48}{'median ms':>10}{'min ms':>9}")
    print(f"{'naive: full decode, 1 resize, 1 JPEG (baseline)':<48}{med_n:>10.0f}{min(r['naive']):>9.0f}")
    print(f"{'pipeline: all checks + 6 variants':<48}{med_p:>10.0f}{min(r['pipeline']):>9.0f}")
    print(f"{'pipeline with draft() disabled':<48}{med_nd:>10.0f}{min(r['no_draft']):>9.0f}")
    print(f"ratio pipeline / naive = {med_p / med_n:.2f}  (≤ 1.00: all six variants cost no more than the naive one)")
    total = sum(v[4] for v in r["variants"])
    print(
        "variants: "
        + ", ".join(f"{s}{'w' if e == 'webp' else 'j'} {w}x{h} {b / 1024:.0f} kB" for s, e, w, h, b in r["variants"])
        + f"; total {total / 1024:.0f} kB"
        f" (naive single JPEG {r['naive_bytes'] / 1024:.0f} kB, not turned upright, with no size for cards)"
    )

    if args.no_search:
        return
    print(
        f"\n== Search: {args.products} approved products, {len(QUERIES)} queries x {args.reps} rounds, page 1 of "
        "20 with count and photos =="
    )
    try:
        results = bench_search(args.pg, args.products, args.reps)
    except Exception as exc:  # noqa: BLE001 - PostgreSQL may be absent; still report SQLite
        print(f"  PostgreSQL unavailable ({exc.__class__.__name__}: {exc}); SQLite only")
        results = bench_search(None, args.products, args.reps)
    print(f"{'database':<36}{'p50 ms':>8}{'p95 ms':>8}{'max ms':>8}")
    for label, lat, _hits in results:
        print(f"{label:<36}{pct(lat, 50):>8.1f}{pct(lat, 95):>8.1f}{max(lat):>8.1f}")
    print(f"per query on {results[0][0]}: matches, median ms")
    for query, (matches, median) in results[0][2].items():
        print(f"  {query!r:<32}{matches:>6}{median:>8.1f}")


if __name__ == "__main__":
    main()
