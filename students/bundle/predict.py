#!/usr/bin/env python3
"""Score articles with a model folder written by `distill model export`, without distill.

    python predict.py DIR [IN.jsonl] [--base-model PATH] [--batch-size N] > OUT.jsonl

Each input line (stdin without IN) is {"id": ..., "text": ...}, the text as
distill's <filter>.compressed holds it; each output line is {"id", one key per
dimension, "overall", "tier"}, computed as `distill predict` computes them: the
student's raw scores, the calibration when the folder has one, then overall and
tier by the filter's weights, gatekeepers and tiers (manifest.json "scoring").

linear needs only the Python standard library, embed numpy, lora torch,
transformers and peft (and the base model the manifest names, or --base-model);
an export made with --merged holds weights/merged/ and needs only torch and
transformers.
"""

from __future__ import annotations

import argparse
import bisect
import gzip
import json
import math
import os
import struct
import sys
import unicodedata

FORMAT = "distill-model-export"
VERSION = 1
M64 = (1 << 64) - 1
FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3


class Refused(Exception):
    """A folder this script cannot score with; the message says why."""


def f32(x: float) -> float:
    """x rounded to float32, as Go's float32 arithmetic rounds each result."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


# --- the linear student's features (students/linear/features.go) -------------


def _word_char(ch: str) -> int:
    """The lower-cased code point of a word character (letter or decimal digit), else -1."""
    cp = ord(ch)
    if cp < 0x80:
        if 65 <= cp <= 90:
            return cp + 32
        if 97 <= cp <= 122 or 48 <= cp <= 57:
            return cp
        return -1
    cat = unicodedata.category(ch)
    if cat[0] != "L" and cat != "Nd":
        return -1
    low = ch.lower()
    # Go's unicode.ToLower is the simple mapping: one rune (U+0130 -> i).
    return ord(low[0])


def tokens(text: str) -> list[int]:
    """FNV-1a 64 of each lower-cased run of letters or digits."""
    out: list[int] = []
    h, inside = 0, False
    for ch in text:
        cp = _word_char(ch)
        if cp < 0:
            if inside:
                out.append(h)
                inside = False
            continue
        if not inside:
            h, inside = FNV_OFFSET, True
        while cp > 0:
            h = ((h ^ (cp & 0xFF)) * FNV_PRIME) & M64
            cp >>= 8
    if inside:
        out.append(h)
    return out


def mix(z: int) -> int:
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def bag(text: str, bits: int, ngrams: int) -> list[tuple[int, int]]:
    """(bucket, count) of the text's hashed unigrams (and bigrams), buckets ascending."""
    mask = (1 << bits) - 1
    toks = tokens(text)
    raw: list[int] = []
    for i, h in enumerate(toks):
        raw.append(mix(h) & mask)
        if ngrams >= 2 and i > 0:
            raw.append(mix((((toks[i - 1] * 31) + h) & M64) ^ 0x9E3779B97F4A7C15) & mask)
    raw.sort()
    out: list[tuple[int, int]] = []
    for b in raw:
        if out and out[-1][0] == b:
            out[-1] = (b, out[-1][1] + 1)
        else:
            out.append((b, 1))
    return out


def tfidf(pairs: list[tuple[int, int]], index: dict[int, int], idf: list[float]) -> list[tuple[int, float]]:
    """(column, value): sublinear tf times idf in float32, L2-normalised, in bucket order."""
    row: list[tuple[int, float]] = []
    norm = 0.0
    for b, n in pairs:
        col = index.get(b)
        if col is None:
            continue
        v = f32(f32(1.0 + f32(math.log(n))) * idf[col])
        row.append((col, v))
        norm += v * v
    if norm > 0:
        inv = f32(1.0 / math.sqrt(norm))
        row = [(c, f32(v * inv)) for c, v in row]
    return row


def clip(x: float) -> float:
    return max(0.0, min(10.0, x))


class Linear:
    def __init__(self, folder: str) -> None:
        with open(os.path.join(folder, "weights", "linear.json")) as f:
            m = json.load(f)
        if m.get("format") != "distill-linear-json" or m.get("version") != 1:
            raise Refused(f"weights/linear.json: format {m.get('format')!r} version {m.get('version')!r}")
        self.bits, self.ngrams = int(m["bits"]), int(m["ngrams"])
        self.index = {int(b): i for i, b in enumerate(m["buckets"])}
        self.idf = [f32(x) for x in m["idf"]]
        self.intercept = [float(x) for x in m["intercept"]]
        self.weights = [[f32(x) for x in w] for w in m["weights"]]
        self.dimensions = m["dimensions"]

    def predict(self, texts: list[str]) -> list[list[float]]:
        out = []
        for t in texts:
            row = tfidf(bag(t, self.bits, self.ngrams), self.index, self.idf)
            scores = []
            for d, w in enumerate(self.weights):
                s = self.intercept[d]
                for c, v in row:
                    s += v * w[c]
                scores.append(clip(s))
            out.append(scores)
        return out


# --- embed: the hashed LSA encoder (students/encode/hashed.go) and the probe ---


class Embed:
    def __init__(self, folder: str) -> None:
        try:
            import numpy as np
        except ImportError as e:
            raise Refused("an embed model needs numpy: pip install numpy") from e
        self.np = np
        wdir = os.path.join(folder, "weights")
        with open(os.path.join(wdir, "probe.json")) as f:
            p = json.load(f)
        with open(os.path.join(wdir, "encoder", "encoder.json")) as f:
            e = json.load(f)
        if e.get("kind") != "hashed":
            raise Refused(f"weights/encoder: a {e.get('kind')!r} encoder; only the hashed encoder is exported")
        cfg = e["config"]
        self.dim, self.bits, n = int(cfg["dim"]), int(cfg["bits"]), int(e["vocab"])
        with gzip.open(os.path.join(wdir, "encoder", "weights.bin.gz"), "rb") as f:
            raw = f.read()
        vocab = np.frombuffer(raw, dtype="<u4", count=n, offset=0)
        self.idf = [float(x) for x in np.frombuffer(raw, dtype="<f4", count=n, offset=4 * n)]
        self.proj = np.frombuffer(raw, dtype="<f4", count=n * self.dim, offset=8 * n).reshape(n, self.dim).astype(np.float32)
        self.index = {int(b): i for i, b in enumerate(vocab)}
        if p["dim"] != self.dim or p["encoder"] != e["name"]:
            raise Refused(f"weights/probe.json was trained on {p['encoder']} ({p['dim']}), the encoder is {e['name']} ({self.dim})")
        self.intercept = [float(x) for x in p["intercept"]]
        self.weights = [[float(x) for x in w] for w in p["weights"]]
        self.dimensions = p["dimensions"]

    def vector(self, text: str) -> list[float]:
        np = self.np
        v = np.zeros(self.dim, dtype=np.float32)
        for col, x in tfidf(bag(text, self.bits, 1), self.index, self.idf):
            v += np.float32(x) * self.proj[col]  # float32 products and sums, as Go's loop
        vals = v.tolist()
        norm = 0.0
        for x in vals:
            norm += x * x
        if norm > 0:
            inv = f32(1.0 / math.sqrt(norm))
            vals = [f32(x * inv) for x in vals]
        return vals

    def predict(self, texts: list[str]) -> list[list[float]]:
        out = []
        for t in texts:
            v = self.vector(t)
            scores = []
            for d, w in enumerate(self.weights):
                s = self.intercept[d]
                for j, x in enumerate(v):
                    s += w[j] * x
                scores.append(clip(s))
            out.append(scores)
        return out


# --- lora: the adapter and head on the base model (trainer/distill_trainer) ---


class LoRA:
    def __init__(self, folder: str, dims: list[str], base_model: str, batch_size: int) -> None:
        try:
            import torch
        except ImportError as e:
            raise Refused(f"a lora model needs torch and transformers: {e}") from e
        self.torch = torch
        wdir = os.path.join(folder, "weights")
        with open(os.path.join(wdir, "distill_model.json")) as f:
            meta = json.load(f)
        hp = meta["hyperparameters"]
        self.max_length, self.head_fraction = int(hp["max_length"]), float(hp["head_fraction"])
        merged = os.path.join(wdir, "merged")
        if os.path.isdir(merged) and not base_model:
            # distill model export --merged: the adapter already folded into the base's weights.
            self._load_merged(torch, merged, batch_size)
            return
        quantize = hp.get("quantize", "none")
        if quantize != "none":
            raise Refused(f"this model was trained on a {quantize} base, which this script does not load: "
                          "export it with distill model export --merged (the script then loads weights/merged/), "
                          "or score with distill predict")
        try:
            from peft import PeftModel
            from transformers import AutoModelForSequenceClassification, AutoTokenizer
        except ImportError as e:
            raise Refused(f"a lora model needs torch, transformers and peft: {e}") from e
        base = base_model or meta.get("base_model_path") or meta["base_model"]
        if not base_model and not os.path.isdir(str(base)):
            base = meta["base_model"]
        tok = AutoTokenizer.from_pretrained(wdir)
        if tok.pad_token_id is None:
            if tok.eos_token is None:
                raise Refused("the tokenizer has neither a pad nor an EOS token")
            tok.pad_token = tok.eos_token
        model = AutoModelForSequenceClassification.from_pretrained(
            base, num_labels=len(dims), problem_type="regression", dtype=torch.float32
        )
        if model.config.pad_token_id is None:
            model.config.pad_token_id = tok.pad_token_id
        self.model = PeftModel.from_pretrained(model, wdir, is_trainable=False)
        self.model.eval()
        self.tok, self.batch_size = tok, batch_size

    def _load_merged(self, torch, folder: str, batch_size: int) -> None:
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        tok = AutoTokenizer.from_pretrained(folder)
        if tok.pad_token_id is None:
            tok.pad_token = tok.eos_token
        self.model = AutoModelForSequenceClassification.from_pretrained(folder, dtype=torch.float32)
        if self.model.config.pad_token_id is None:
            self.model.config.pad_token_id = tok.pad_token_id
        self.model.eval()
        self.tok, self.batch_size = tok, batch_size

    def encode(self, texts: list[str]) -> list[list[int]]:
        enc = self.tok(list(texts), add_special_tokens=True, truncation=False, return_special_tokens_mask=True,
                       return_attention_mask=False, verbose=False)
        out = []
        for ids, mask in zip(enc["input_ids"], enc["special_tokens_mask"]):
            start, end = 0, len(ids)
            while start < len(ids) and mask[start]:
                start += 1
            while end > start and mask[end - 1]:
                end -= 1
            prefix, content, suffix = ids[:start], ids[start:end], ids[end:]
            budget = max(self.max_length - len(prefix) - len(suffix), 1)
            if len(content) > budget:
                head = int(round(budget * self.head_fraction))
                tail = budget - head
                content = content[:head] + (content[len(content) - tail:] if tail > 0 else [])
            seq = prefix + content + suffix
            if not seq:
                seq = [next(t for t in (self.tok.eos_token_id, self.tok.pad_token_id, self.tok.unk_token_id, 0) if t is not None)]
            out.append(seq)
        return out

    def predict(self, texts: list[str]) -> list[list[float]]:
        torch = self.torch
        seqs = self.encode(texts)
        result: list[list[float]] = [[] for _ in seqs]
        order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]))
        left = self.tok.padding_side == "left"
        with torch.no_grad():
            for at in range(0, len(order), self.batch_size):
                idx = order[at:at + self.batch_size]
                width = max(len(seqs[i]) for i in idx)
                ids, mask = [], []
                for i in idx:
                    fill = [self.tok.pad_token_id] * (width - len(seqs[i]))
                    ids.append(fill + seqs[i] if left else seqs[i] + fill)
                    ones, zeros = [1] * len(seqs[i]), [0] * len(fill)
                    mask.append(zeros + ones if left else ones + zeros)
                out = self.model(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask))
                for i, v in zip(idx, out.logits.float().clamp(0.0, 10.0).double().tolist()):
                    result[i] = v
        return result


# --- calibration and scoring (students/calibrate, filters.ScoreOf/TierOf) -----


def calibrate(x: float, xs: list[float], ys: list[float]) -> float:
    n = len(xs)
    if n == 0 or math.isnan(x):
        return x
    if x <= xs[0]:
        return ys[0]
    if x >= xs[-1]:
        return ys[-1]
    i = bisect.bisect_left(xs, x)
    if xs[i] == x:
        return ys[i]
    t = (x - xs[i - 1]) / (xs[i] - xs[i - 1])
    return clip(ys[i - 1] + t * (ys[i] - ys[i - 1]))


def go_round(x: float) -> float:
    """Go's math.Round: half away from zero."""
    t = float(math.trunc(x))
    if abs(x - t) >= 0.5:
        t += math.copysign(1.0, x)
    return t


def score(scoring: dict, scores: dict[str, float]) -> tuple[float, str]:
    overall = 0.0
    for d in scoring["dimensions"]:
        overall += d["weight"] * scores[d["name"]]
    for g in scoring["gatekeepers"]:
        if scores[g["dimension"]] < g["below"] and overall > g["cap"]:
            overall = g["cap"]
    overall = go_round(overall * 100) / 100
    tiers = scoring["tiers"]
    for t in tiers:
        if overall >= t["min"]:
            return overall, t["name"]
    return overall, tiers[-1]["name"]


def _version(v: str) -> tuple[int, ...]:
    return tuple(int(p) for p in v.split(".") if p.isdigit())


class Model:
    def __init__(self, folder: str, base_model: str = "", batch_size: int = 16) -> None:
        with open(os.path.join(folder, "manifest.json")) as f:
            self.manifest = man = json.load(f)
        if man.get("format") != FORMAT or man.get("format_version") != VERSION:
            raise Refused(f"{folder}: manifest.json has format {man.get('format')!r} version {man.get('format_version')!r}")
        self.dims = man["model"]["dimensions"]
        backend = man["model"]["backend"]
        want = man.get("unicode_version", "")
        # Words are split by Unicode category: a code point this Python's
        # older database does not know (Cn) may be a letter to the Go that
        # trained the model. Said once, when a text holds one.
        self.unicode_gap = ""
        if backend in ("linear", "embed") and want and _version(unicodedata.unidata_version) < _version(want):
            self.unicode_gap = want
        if backend == "linear":
            self.student = Linear(folder)
        elif backend == "embed":
            self.student = Embed(folder)
        elif backend == "lora":
            self.student = LoRA(folder, self.dims, base_model, batch_size)
        else:
            raise Refused(f"backend {backend!r}")
        self.cal = None
        if man["model"].get("calibration"):
            with open(os.path.join(folder, "calibration.json")) as f:
                cal = json.load(f)
            if cal.get("method") != "isotonic:v1" or [d["name"] for d in cal["dimensions"]] != self.dims:
                raise Refused("calibration.json: not an isotonic:v1 map of the model's dimensions")
            self.cal = [(d["x"], d["y"]) for d in cal["dimensions"]]

    def predict(self, ids: list[str], texts: list[str]) -> list[dict]:
        if self.unicode_gap and any(unicodedata.category(ch) == "Cn" for t in texts for ch in t):
            print(f"predict.py: warning: a text holds characters this Python's Unicode {unicodedata.unidata_version} does "
                  f"not know; the model's words were split with Unicode {self.unicode_gap}, so such texts may score "
                  "differently from distill", file=sys.stderr)
            self.unicode_gap = ""
        out = []
        for id_, raw in zip(ids, self.student.predict(texts)):
            s = [calibrate(x, *self.cal[i]) if self.cal else x for i, x in enumerate(raw)]
            vals = dict(zip(self.dims, s))
            overall, tier = score(self.manifest["scoring"], vals)
            out.append({"id": id_, **vals, "overall": overall, "tier": tier})
        return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", help="the folder distill model export wrote")
    ap.add_argument("input", nargs="?", help="JSONL of {id, text} (default: stdin)")
    ap.add_argument("--base-model", default="", help="lora: the base model's folder or hub id (default: the manifest's)")
    ap.add_argument("--batch-size", type=int, default=16, help="lora: texts per forward pass")
    args = ap.parse_args(argv)
    try:
        model = Model(args.folder, args.base_model, args.batch_size)
    except (Refused, OSError, KeyError, ValueError) as e:
        print(f"predict.py: {e}", file=sys.stderr)
        return 2
    src = open(args.input, encoding="utf-8") if args.input else sys.stdin
    ids: list[str] = []
    texts: list[str] = []

    def flush() -> None:
        for row in model.predict(ids, texts):
            sys.stdout.write(json.dumps(row) + "\n")
        ids.clear()
        texts.clear()

    with src:
        for n, line in enumerate(src, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                id_, text = rec["id"], rec["text"]
                if isinstance(id_, bool) or not isinstance(id_, (str, int)) or not isinstance(text, str):
                    raise TypeError(f"id must be a string or an integer and text a string, got {type(id_).__name__} and {type(text).__name__}")
            except (ValueError, KeyError, TypeError) as e:
                # Every line before this one is scored and written: the
                # output is a prefix of the input, never an arbitrary cut.
                flush()
                print(f"predict.py: line {n}: want {{\"id\", \"text\"}}: {e}", file=sys.stderr)
                return 2
            ids.append(str(id_))
            texts.append(text)
            if len(ids) >= 256:
                flush()
    flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
