"""Checks an astraSource file against the datamodel YAML `astra docs` wrote for it.

    python check_datamodel.py MODEL.yaml PRODUCT.fits INPUT.fits

Every HDU in order (name, image or table, BUNIT, data type and shape), every header card
(documented cards present with their fixed values and comments; every card of the file
documented, except the input's primary cards, which must come from INPUT.fits) and
every column (TTYPE, TFORM, TDIM, TUNIT, TNULL, TCOMM) is compared. Prints one line per
HDU, then `checked H hdus, C cards, K columns`; exits non-zero on the first mismatch.
"""

import re
import sys

import numpy as np
import yaml
from astropy.io import fits

model_path, product_path, input_path = sys.argv[1:4]
model = yaml.safe_load(open(model_path))
(release,) = model["releases"].values()
hdus = [release["hdus"][f"hdu{i}"] for i in range(len(release["hdus"]))]

COLUMN_CARDS = re.compile(r"^(TTYPE|TFORM|TUNIT|TCOMM|TNULL|TDIM)(\d+)$")
checked_cards = 0
checked_columns = 0


def fail(message):
    sys.exit(f"{product_path}: {message}")


def varies(value):
    return isinstance(value, str) and value.startswith("{") and value.endswith("}")


with fits.open(input_path) as inp:
    input_keys = set(inp[0].header.keys())

with fits.open(product_path, checksum=True) as f:
    names = [h.name for h in f]
    documented = [h["name"] for h in hdus]
    if names != documented:
        fail(f"HDUs {names} are not the documented {documented}")
    for i, (hdu, doc) in enumerate(zip(f, hdus)):
        header = hdu.header
        is_image = not isinstance(hdu, fits.BinTableHDU)
        if is_image != doc["is_image"]:
            fail(f"HDU {i} {hdu.name}: is_image {is_image}, documented {doc['is_image']}")
        if doc["bunit"] is not None and header.get("BUNIT") != doc["bunit"]:
            fail(f"HDU {i}: BUNIT {header.get('BUNIT')!r}, documented {doc['bunit']!r}")
        if doc["bunit"] is None and "BUNIT" in header:
            fail(f"HDU {i}: BUNIT {header['BUNIT']!r} is not documented")
        if is_image and hdu.data is not None:
            dtype = hdu.data.dtype.newbyteorder("=").name
            if dtype not in doc["dtype"]:
                fail(f"HDU {i}: data type {dtype}, documented {doc['dtype']!r}")
            if doc["shape"] != "(N, P)" or hdu.data.ndim != 2:
                fail(f"HDU {i}: shape {hdu.data.shape}, documented {doc['shape']!r}")
        if is_image and hdu.data is None and doc["shape"] != "none":
            fail(f"HDU {i}: no data, documented shape {doc['shape']!r}")
        # Documented cards, in order, with their values and comments.
        cards = [(c.keyword, c.value, c.comment) for c in header.cards]
        position = 0
        for card in doc["header"]:
            key = card["key"]
            found = next((j for j in range(position, len(cards)) if cards[j][0] == key), None)
            if found is None:
                fail(f"HDU {i} {hdu.name}: documented card {key} is missing (or out of order)")
            _, value, comment = cards[found]
            position = found + 1
            expected = card["value"]
            if not varies(expected) and expected is not None:
                if key == "HISTORY":
                    pass
                elif isinstance(expected, bool) or isinstance(value, bool):
                    if value is not expected:
                        fail(f"HDU {i} card {key}: value {value!r}, documented {expected!r}")
                elif value != expected:
                    fail(f"HDU {i} card {key}: value {value!r}, documented {expected!r}")
            if key == "HISTORY" and varies(expected):
                text = expected[1:-1].split(", shape and type")[0]
                if not str(value).startswith(text):
                    fail(f"HDU {i} HISTORY {value!r} does not start with the documented {text!r}")
            if card["comment"] and comment != card["comment"]:
                fail(f"HDU {i} card {key}: comment {comment!r}, documented {card['comment']!r}")
            checked_cards += 1
        # Every card of the file is documented (a column card of a documented column, or a
        # copy of the input's primary card).
        doc_keys = [c["key"] for c in doc["header"]]
        columns = list((doc.get("columns") or {}).values())
        for key, _, _ in cards:
            m = COLUMN_CARDS.match(key)
            if key in doc_keys:
                continue
            if m and not is_image and 1 <= int(m.group(2)) <= len(columns):
                continue
            if i == 0 and (key in input_keys or key in ("COMMENT", "")):
                continue
            fail(f"HDU {i} {hdu.name}: card {key} is not documented")
        if doc_keys.count("HISTORY") != sum(1 for c in cards if c[0] == "HISTORY"):
            fail(f"HDU {i}: {sum(1 for c in cards if c[0] == 'HISTORY')} HISTORY cards, documented {doc_keys.count('HISTORY')}")
        if is_image:
            print(f"HDU {i} {hdu.name}: {len(doc['header'])} cards")
            continue
        # Columns.
        if len(hdu.columns) != len(columns):
            fail(f"HDU {i}: {len(hdu.columns)} columns, documented {len(columns)}")
        for n, (col, c) in enumerate(zip(hdu.columns, columns), start=1):
            if col.name != c["name"]:
                fail(f"HDU {i} column {n}: {col.name}, documented {c['name']}")
            tform = header[f"TFORM{n}"]
            if c["tform"] == "{w}A":
                if not re.fullmatch(r"\d+A", tform):
                    fail(f"HDU {i} column {col.name}: TFORM {tform}, documented text")
            elif tform != c["tform"]:
                fail(f"HDU {i} column {col.name}: TFORM {tform}, documented {c['tform']}")
            if header.get(f"TDIM{n}") != c["tdim"]:
                fail(f"HDU {i} column {col.name}: TDIM {header.get(f'TDIM{n}')}, documented {c['tdim']}")
            if header.get(f"TUNIT{n}", "") != c["unit"]:
                fail(f"HDU {i} column {col.name}: TUNIT {header.get(f'TUNIT{n}')!r}, documented {c['unit']!r}")
            if header.get(f"TNULL{n}") != c["tnull"]:
                fail(f"HDU {i} column {col.name}: TNULL {header.get(f'TNULL{n}')}, documented {c['tnull']}")
            if header.get(f"TCOMM{n}", "") != c["description"]:
                fail(f"HDU {i} column {col.name}: TCOMM {header.get(f'TCOMM{n}')!r}, documented {c['description']!r}")
            data = hdu.data[col.name]
            kind = data.dtype.newbyteorder("=").name
            if c["type"] == "char":
                ok = data.dtype.kind in "SU"
            else:
                ok = kind == c["type"]
            if not ok:
                fail(f"HDU {i} column {col.name}: astropy reads {kind}, documented {c['type']}")
            checked_columns += 1
        print(f"HDU {i} {hdu.name}: {len(doc['header'])} cards, {len(columns)} columns")

print(f"checked {len(hdus)} hdus, {checked_cards} cards, {checked_columns} columns")
