"""Read an astraSource file with astropy and print what it holds, one fact a line, for
the Rust tests to compare with what they wrote.

    python check_source.py FILE

Any warning is an error. Lines (tab-separated):
    hdu     INDEX NAME CHECKSUM_OK DATASUM_OK
    key     INDEX KEY TYPE VALUE COMMENT       (every card; floats as repr)
    unit    INDEX KEY VALUE                    (every BUNIT/TUNITn, parsed as a FITS unit)
    image   INDEX DTYPE SHAPE MD5              (MD5 of the little-endian C-order pixels)
    col     INDEX NAME VALUES                  (space-separated; floats as their bit
                                                patterns, logicals T/F/N for null)
"""
import hashlib
import sys
import warnings

warnings.simplefilter("error")

import numpy as np  # noqa: E402
from astropy import units as u  # noqa: E402
from astropy.io import fits  # noqa: E402


def text(v):
    if isinstance(v, bool):
        return "T" if v else "F"
    if isinstance(v, float):
        return repr(v)
    return str(v)


def cell_values(raw, decoded):
    kind = raw.dtype.kind
    if kind == "i" and raw.dtype.itemsize == 1 and decoded is None:  # logical, raw bytes
        return ["T" if b == 84 else "F" if b == 70 else "N" for b in raw.ravel()]
    v = np.asarray(decoded)
    if v.dtype.kind == "f":
        native = v.astype(v.dtype.newbyteorder("="))
        return [str(x) for x in native.view(f"u{v.dtype.itemsize}").ravel()]
    if v.dtype.kind in "iu":
        return [str(int(x)) for x in v.ravel()]
    # Element access in astropy strips the trailing blanks that pad FITS text.
    return [repr(str(x).rstrip(" ")) for x in v.ravel()]


def main(path):
    with fits.open(path, checksum=True) as hdul:
        hdul.verify("exception")
        for i, hdu in enumerate(hdul):
            print(f"hdu\t{i}\t{hdu.name}\t{hdu.verify_checksum()}\t{hdu.verify_datasum()}")
            for card in hdu.header.cards:
                value = card.value
                print(f"key\t{i}\t{card.keyword}\t{type(value).__name__}\t{text(value)}\t{card.comment}")
            for key in hdu.header:
                if key == "BUNIT" or key.startswith("TUNIT"):
                    unit = hdu.header[key]
                    if unit:
                        u.Unit(unit, format="fits")
                    print(f"unit\t{i}\t{key}\t{unit}")
            if isinstance(hdu, (fits.PrimaryHDU, fits.ImageHDU)) and hdu.data is not None:
                data = np.ascontiguousarray(hdu.data)
                le = data.astype(data.dtype.newbyteorder("<"))
                digest = hashlib.md5(le.tobytes()).hexdigest()
                print(f"image\t{i}\t{data.dtype.name}\t{list(data.shape)}\t{digest}")
            if isinstance(hdu, fits.BinTableHDU):
                raw = hdu.data.view(np.ndarray)
                for col in hdu.columns:
                    decoded = None if col.format.endswith("L") else hdu.data[col.name]
                    values = cell_values(raw[col.name], decoded)
                    print(f"col\t{i}\t{col.name}\t{' '.join(values)}")


if __name__ == "__main__":
    main(sys.argv[1])
