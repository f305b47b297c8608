#!/usr/bin/env python3
"""Writes a small model folder in the format the Python PatchCore reference saves.

The reference (amazon-science/patchcore-inspection, PatchCore.save_to_path) writes two files:
  nnscorer_search_index.faiss  the memory bank as a faiss IndexFlatL2 (faiss.write_index)
  patchcore_params.pkl         a pickled dict of its hyperparameters
This script produces the same two files WITHOUT importing the reference package (only faiss,
numpy and the standard pickle module), plus files the Java tests compare against:
  vectors.npy                  the 40 x 16 float32 bank rows, in index order
  params_protocol2.pkl,        the same parameters pickled with protocols 2 and 5 (the reference
  params_protocol5.pkl         uses pickle.HIGHEST_PROTOCOL: 5 on Python 3.8 and later)
  plain_values_protocol2.pkl,  a dict of every plain value type the Java reader supports (values
  plain_values_protocol4.pkl   are listed in ReferenceImportTest)
  malicious_params.pkl         a hand-written pickle whose REDUCE would call os.system(...) if a
                               general unpickler loaded it; it is written byte by byte and is
                               NEVER loaded here (the Java reader must refuse it)

Usage (Debian: apt-get install python3-faiss python3-numpy):
  python3 make_reference_fixture.py [OUTPUT_FOLDER]   # default: this script's folder
"""
import os
import pickle
import struct
import sys

import faiss
import numpy as np

ROWS, DIM = 40, 16


def main() -> None:
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    os.makedirs(out, exist_ok=True)

    rng = np.random.default_rng(20240611)
    vectors = rng.standard_normal((ROWS, DIM)).astype(np.float32)
    index = faiss.IndexFlatL2(DIM)
    index.add(vectors)
    faiss.write_index(index, os.path.join(out, "nnscorer_search_index.faiss"))
    np.save(os.path.join(out, "vectors.npy"), vectors)

    # the keys and value types of the reference's save_to_path; small dimensions so that the
    # bank rows above are the embeddings (pretrain = target = DIM, patch size 1)
    params = {
        "backbone.name": "wideresnet50",
        "layers_to_extract_from": ["layer2", "layer3"],
        "input_shape": (3, 224, 224),
        "pretrain_embed_dimension": DIM,
        "target_embed_dimension": DIM,
        "patchsize": 1,
        "patchstride": 1,
        "anomaly_scorer_num_nn": 1,
    }
    with open(os.path.join(out, "patchcore_params.pkl"), "wb") as f:
        pickle.dump(params, f, protocol=4)
    for protocol in (2, 5):
        with open(os.path.join(out, "params_protocol%d.pkl" % protocol), "wb") as f:
            pickle.dump(params, f, protocol=protocol)

    many = ["s%d" % i for i in range(300)]  # more than 256 memo entries: LONG_BINPUT / LONG_BINGET
    shared = "shared-string"
    plain = {
        "none": None,
        "true": True,
        "false": False,
        "byte": 200,
        "short": 40000,
        "int": 100000,
        "negative": -5,
        "big": 2 ** 40,
        "huge": 2 ** 70,
        "negative_huge": -(2 ** 70),
        "float": 0.1,
        "negative_float": -1.5e300,
        "text": "h\u00e9llo \u2713",
        "empty": "",
        "long_text": "x" * 300,
        "list": [1, "a", None],
        "empty_list": [],
        "tuple1": (1,),
        "tuple2": (1, 2),
        "tuple4": (1, 2, 3, 4),
        "empty_tuple": (),
        "nested": {"inner": [[1, 2], (3, [4])]},
        (1, "k"): "tuple key",
        5: "int key",
        "shared": [shared, shared],
        "many": many,
        "again": many[299],
    }
    for protocol in (2, 4):
        with open(os.path.join(out, "plain_values_protocol%d.pkl" % protocol), "wb") as f:
            pickle.dump(plain, f, protocol=protocol)

    # PROTO 2, GLOBAL 'posix system', MARK, SHORT_BINUNICODE cmd, TUPLE, REDUCE, STOP:
    # a general unpickler would run the command; written by hand, never unpickled here
    cmd = b"touch /tmp/patchcore-pickle-pwned"
    payload = (b"\x80\x02" + b"cposix\nsystem\n" + b"(" + b"\x8c" + struct.pack("<B", len(cmd)) + cmd
               + b"tR.")
    with open(os.path.join(out, "malicious_params.pkl"), "wb") as f:
        f.write(payload)


if __name__ == "__main__":
    main()
