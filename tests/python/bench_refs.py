"""Time the reference astraSource writers (astropy, python fitsio, raw bytes) for the
Rust benchmark `bench-fits`, with the product of /work/shared/reference/product.py.

    python bench_refs.py REFDIR OUTDIR many WRITER N P BITMASK COUNT
        -> {"files_per_s": ..}: COUNT files of N spectra written one after the other
    python bench_refs.py REFDIR OUTDIR single WRITER N P BITMASK REPEAT FSYNC
        -> {"median_s": .., "min_s": .., "size": ..}: one file, unlinked and os.sync()'d
           before each (untimed) run; FSYNC=1 times an fsync of the file too

WRITER: astropy | fitsio (both with checksums, atomic: temporary file then rename) | raw
(the same arrays' bytes with plain file I/O, no FITS formatting). Data generation and
imports are outside every timed region.
"""
import json
import os
import shutil
import statistics
import sys
import time

ref, out, mode, writer = sys.argv[1:5]
sys.path.insert(0, ref)
from product import HDU_ORDER, make_product, warm_cpu  # noqa: E402
import write_astropy  # noqa: E402
import write_fitsio  # noqa: E402


def write_raw(path, prod):
    with open(path, "wb") as f:
        f.write(b" " * 2880 * 9)
        for name in HDU_ORDER:
            f.write(prod["images"][name].tobytes())
        f.write(prod["results"].tobytes())


def writer_fn(name):
    if name == "astropy":
        return lambda p, d: write_astropy.write_product(p, d, checksum=True, atomic=True)
    if name == "fitsio":
        return lambda p, d: write_fitsio.write_product(p, d, checksum=True, atomic=True)
    return write_raw


def fsync_path(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def main():
    fn = writer_fn(writer)
    n, p, bm = int(sys.argv[5]), int(sys.argv[6]), sys.argv[7]
    prod = make_product(n, p, bitmask_dtype=bm)
    d = os.path.join(out, f"ref_{mode}_{writer}_{n}_{p}")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    fn(os.path.join(d, "warmup.fits"), prod)
    os.unlink(os.path.join(d, "warmup.fits"))
    os.sync()
    warm_cpu(1.0)
    if mode == "many":
        count = int(sys.argv[8])
        t0 = time.perf_counter()
        for i in range(count):
            fn(os.path.join(d, f"astraSource-{i:07d}.fits"), prod)
        dt = time.perf_counter() - t0
        print(json.dumps({"files_per_s": count / dt, "seconds": dt}))
    else:
        repeat, do_fsync = int(sys.argv[8]), sys.argv[9] == "1"
        path = os.path.join(d, "single.fits")
        ts = []
        for _ in range(repeat):
            if os.path.exists(path):
                os.unlink(path)
            os.sync()
            t0 = time.perf_counter()
            fn(path, prod)
            if do_fsync:
                fsync_path(path)
            ts.append(time.perf_counter() - t0)
        print(json.dumps({"median_s": statistics.median(ts), "min_s": min(ts), "size": os.path.getsize(path)}))
    shutil.rmtree(d)


if __name__ == "__main__":
    main()
