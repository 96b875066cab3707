"""Start llama.cpp's own HTTP server (from the xllamacpp wheel) on a loopback port and keep it up until
SIGTERM or SIGINT, or until the process that started it is gone (parent_watch.py: even a parent killed
with SIGKILL leaves no server behind). Set-up tooling for tests and the main job; the product only speaks
HTTP to it.

    python serve.py --model FILE --port N [--ctx 8192] [--parallel 1] [--kv-unified] [--threads 2] [--alias NAME]
                    [--embeddings]

Prints one line `listening http://127.0.0.1:N` on stdout once the model is loaded and the server accepts
requests; llama.cpp's own log goes to stderr.
"""
import argparse
import os
import signal
import sys

import xllamacpp

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import parent_watch  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--ctx", type=int, default=8192)
    ap.add_argument("--parallel", type=int, default=1)
    ap.add_argument("--threads", type=int, default=0, help="0: all cores")
    ap.add_argument("--kv-unified", action="store_true", help="llama-server --kv-unified: one KV pool for all slots")
    ap.add_argument("--alias", default="")
    ap.add_argument("--embeddings", action="store_true", help="llama-server --embeddings --pooling mean")
    args = ap.parse_args()
    # Before the model loads (which takes seconds): a parent gone meanwhile stops this too.
    parent_watch.start()

    p = xllamacpp.CommonParams()
    p.model.path = args.model
    p.n_ctx = args.ctx
    p.n_parallel = args.parallel
    p.port = args.port
    p.hostnames = ["127.0.0.1"]
    threads = args.threads or os.cpu_count() or 2
    p.cpuparams.n_threads = threads
    p.cpuparams_batch.n_threads = threads
    # The endpoints llama-server documents and the harness reads: /props (context size), /slots (cancellation
    # frees a slot), /metrics; the prompt cache is llama-server's default and what the prefix-cache bench measures.
    p.endpoint_props = True
    p.endpoint_slots = True
    p.endpoint_metrics = True
    p.cache_prompt = True
    # Continuous batching is llama-server's default (--cont-batching); said here because several slots rely on it.
    p.cont_batching = True
    # llama-server's --kv-unified: every slot draws on one KV pool of n_ctx cells (each slot may use all of it)
    # instead of a fixed n_ctx / parallel share. llama-server turns it on by itself only when the slot count is
    # automatic; an explicit --parallel needs it said.
    p.kv_unified = args.kv_unified
    if args.alias:
        p.model_alias = args.alias
    # llama-server's --embeddings with --pooling mean: /v1/embeddings answers (without it, 501 "Start it with
    # `--embeddings`"), one vector per input (the OpenAI route refuses pooling "none", a generative model's own
    # default). Measured with this build: chat completions are served alike, the same answers at temperature 0 and
    # the same prompt cache, so the one server does both.
    if args.embeddings:
        p.embedding = True
        p.pooling_type = 1  # LLAMA_POOLING_TYPE_MEAN

    server = xllamacpp.Server(p)
    print(f"listening {server.listening_address}", flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    return 0


if __name__ == "__main__":
    sys.exit(main())
