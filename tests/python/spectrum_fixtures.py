"""Spectrum fixtures written by astropy (not by astra-targets), for the readers' tests.

    spectrum_fixtures.py write OUTDIR
        writes OUTDIR/apStar-fixture.fits (apStar layout: flux, error, mask images of
        shape (4, 8575), two stacks then two visits) and OUTDIR/spec-fixture.fits (spec
        layout: a COADD table of 4648 rows), then prints `key value...` lines with the
        values a correct reader must find.
    spectrum_fixtures.py read FILE...
        opens files (ours) with astropy, every warning an error, and prints what it read.
    spectrum_fixtures.py bench K FILE...
        reads each file K times the way a pipeline would with astropy (primary header,
        arrays, ivar from errors or the loglam grid) and prints `bench FILE seconds-per-read`.
"""
import os
import sys
import warnings

import numpy as np
from astropy.io import fits


def emit(key, *values):
    print(key, *values)


def apstar(path):
    rng = np.random.default_rng(20211)
    n, p = 4, 8575
    flux = (100 + 10 * rng.standard_normal((n, p))).astype(">f4")
    error = (1 + rng.random((n, p))).astype(">f4")
    error[0, 10] = 0.0
    error[1, 20] = -1.0
    error[2, 30] = np.nan
    error[3, 40] = np.inf
    mask = np.zeros((n, p), dtype=">i2")
    mask[:, 100] = 1 << 0
    mask[2, 5000] = (1 << 9) | (1 << 12)
    mask[3, 8574] = 1 << 13

    hdr = fits.Header()
    hdr["TELESCOP"] = ("apo25m", "Telescope")
    hdr["OBJID"] = ("2M00001023-0000126", "Object identifier")
    hdr["APOGEEID"] = "2M00001023-0000126"
    hdr["HEALPIX"] = (24575, "HEALPix pixel")
    hdr["RA"] = (0.0426375, "[deg] RA")
    hdr["DEC"] = (-0.0035, "[deg] DEC")
    hdr["SNR"] = 123.25
    hdr["NVISITS"] = 2
    hdr["MJD"] = 59831
    hdr["SYNTHETC"] = (True, "Synthetic fixture, not observed")
    hdr["ORIGIN"] = "astropy fixture for astra-targets tests"
    hdr["LONGSTRN"] = ("OGIP 1.0", "Long strings continue on CONTINUE cards")
    hdr["SFILE1"] = "apVisit-" + "x" * 90 + ".fits"
    hdr["COMMENT"] = "SYNTHETIC DATA written by astropy for a reader test"
    hdr["HISTORY"] = "first history line"
    hdr["HISTORY"] = "second history line"
    primary = fits.PrimaryHDU(header=hdr)

    def image(data, name):
        h = fits.ImageHDU(data, name=name)
        h.header["CRVAL1"] = 4.179
        h.header["CDELT1"] = 6e-6
        h.header["CRPIX1"] = 1
        h.header["CTYPE1"] = "LOG-LINEAR"
        h.header["DC-FLAG"] = 1
        return h

    sky = fits.ImageHDU(np.zeros((n, p), dtype=">f4"), name="SKY")
    hdul = fits.HDUList([primary, image(flux, "FLUX"), image(error, "ERROR"), image(mask, "MASK"), sky])
    hdul.writeto(path, checksum=True)

    e = error.astype(np.float64)
    good = np.isfinite(e) & (e > 0)
    ivar = np.where(good, 1.0 / np.where(good, e, 1.0) ** 2, 0.0).astype(np.float32)
    emit("apstar_shape", n, p)
    emit("apstar_flux_sum", repr(float(flux.astype(np.float64).sum())))
    emit("apstar_ivar_sum", repr(float(ivar.astype(np.float64).sum())))
    emit("apstar_ivar_zero", int((ivar == 0).sum()))
    emit("apstar_mask_sum", int(mask.astype(np.int64).sum()))
    for r, c in [(0, 0), (1, 4321), (3, 8574)]:
        emit("apstar_pixel", r, c, repr(float(flux[r, c])), repr(float(ivar[r, c])), int(mask[r, c]))
    emit("apstar_history", 2)
    emit("apstar_sfile1", hdr["SFILE1"])


def spec(path):
    rng = np.random.default_rng(20212)
    p = 4648
    loglam = (3.5523 + 1e-4 * np.arange(p)).astype(">f4")
    flux = (20 + rng.standard_normal(p)).astype(">f4")
    ivar = (0.5 + rng.random(p)).astype(">f4")
    and_mask = np.zeros(p, dtype=">i4")
    or_mask = np.zeros(p, dtype=">i4")
    and_mask[200] = 1 << 23
    or_mask[200] = 1 << 23
    or_mask[1000] = (1 << 16) | (1 << 17)
    or_mask[4647] = 1 << 27
    cols = [
        fits.Column("flux", "E", array=flux),
        fits.Column("loglam", "E", array=loglam),
        fits.Column("ivar", "E", array=ivar),
        fits.Column("and_mask", "J", array=and_mask),
        fits.Column("or_mask", "J", array=or_mask),
        fits.Column("wdisp", "E", array=np.ones(p, dtype=">f4")),
        fits.Column("sky", "E", array=np.zeros(p, dtype=">f4")),
        fits.Column("model", "E", array=flux),
    ]
    coadd = fits.BinTableHDU.from_columns(cols, name="COADD")
    spall = fits.BinTableHDU.from_columns([fits.Column("SN_MEDIAN_ALL", "E", array=np.array([20.5], ">f4"))], name="SPALL")
    hdr = fits.Header()
    hdr["TELESCOP"] = "SDSS 2-5m"
    hdr["FIELD"] = 101234
    hdr["MJD"] = 59900
    hdr["CATID"] = (27021597842679140, "SDSS-V catalogid")
    hdr["PLUG_RA"] = 10.5
    hdr["PLUG_DEC"] = -2.25
    hdr["HISTORY"] = "spec fixture"
    fits.HDUList([fits.PrimaryHDU(header=hdr), coadd, spall]).writeto(path, checksum=True)
    emit("spec_rows", p)
    emit("spec_loglam0", repr(float(loglam[0])))
    emit("spec_flux_sum", repr(float(flux.astype(np.float64).sum())))
    emit("spec_ivar_sum", repr(float(ivar.astype(np.float64).sum())))
    emit("spec_or_sum", int(or_mask.astype(np.int64).sum()))
    emit("spec_and_sum", int(and_mask.astype(np.int64).sum()))
    emit("spec_catid", hdr["CATID"])


def read(paths):
    warnings.simplefilter("error")
    for path in paths:
        with fits.open(path, checksum=True) as hdul:
            hdul.verify("exception")
            name = os.path.basename(path)
            emit("file", name, len(hdul))
            if isinstance(hdul[1], fits.BinTableHDU):
                t = hdul[1].data
                emit("table", name, len(t), repr(float(np.asarray(t["flux"], np.float64).sum())),
                     int(np.asarray(t["or_mask"], np.int64).sum()), repr(float(t["loglam"][0])))
            else:
                emit("image", name, *hdul[1].data.shape, repr(float(hdul[1].data.astype(np.float64).sum())),
                     int(hdul[3].data.astype(np.int64).sum()), repr(float(hdul[1].header["CRVAL1"])))
            emit("synthetic", name, hdul[0].header.get("SYNTHETC"), len(hdul[0].header))


def bench(k, paths):
    import time

    for path in paths:
        start = time.perf_counter()
        for _ in range(k):
            with fits.open(path, memmap=False) as hdul:
                cards = list(hdul[0].header.cards)
                if isinstance(hdul[1], fits.BinTableHDU):
                    t = hdul[1].data
                    flux, ivar = np.array(t["flux"]), np.array(t["ivar"])
                    loglam = np.array(t["loglam"], np.float64)
                    and_mask, or_mask = np.array(t["and_mask"]), np.array(t["or_mask"])
                    step = (loglam[-1] - loglam[0]) / (len(loglam) - 1)
                    assert np.all(np.abs(loglam - (loglam[0] + step * np.arange(len(loglam)))) < 0.01 * step)
                else:
                    flux = np.array(hdul[1].data)
                    e = hdul[2].data.astype(np.float64)
                    good = np.isfinite(e) & (e > 0)
                    ivar = np.where(good, 1.0 / np.where(good, e, 1.0) ** 2, 0.0).astype(np.float32)
                    mask = np.array(hdul[3].data)
                assert len(cards) > 0 and flux.size == ivar.size
        emit("bench", os.path.basename(path), repr((time.perf_counter() - start) / k))


if __name__ == "__main__":
    if sys.argv[1] == "write":
        apstar(os.path.join(sys.argv[2], "apStar-fixture.fits"))
        spec(os.path.join(sys.argv[2], "spec-fixture.fits"))
    elif sys.argv[1] == "bench":
        bench(int(sys.argv[2]), sys.argv[3:])
    else:
        read(sys.argv[2:])
