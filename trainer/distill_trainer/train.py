"""The train command: fit the LoRA student, keep the epoch with the lowest
validation MAE, and write it as the artifact."""

from __future__ import annotations

import math
import os
import random
import time
from typing import Any, Sequence

import torch
import torch.nn.functional as F

from distill_trainer import artifact, modeling
from distill_trainer.arrow_io import Rows
from distill_trainer.errors import TrainerError
from distill_trainer.events import Emitter
from distill_trainer.options import TrainOptions, resolve_base_model
from distill_trainer.text import encode


def mae_per_dimension(predictions: Sequence[Sequence[float]], labels: Sequence[Sequence[float]]) -> list[float]:
    n = len(labels)
    dims = len(labels[0])
    return [sum(abs(p[j] - y[j]) for p, y in zip(predictions, labels)) / n for j in range(dims)]


def weighted_mse(logits: torch.Tensor, labels: torch.Tensor, weights: torch.Tensor | None) -> torch.Tensor:
    """The batch's mean squared error; with weights (scaled to mean 1 over the
    whole training set, train_weights), each example's mean over dimensions
    times its weight, averaged over the batch. A row's pull on the fit is then
    its weight whatever its batch-mates are, as in the linear and embed
    students' weighted ridge; dividing by each batch's weight sum instead
    capped a heavy row's pull at the batch size."""
    if weights is None:
        return F.mse_loss(logits, labels)
    per_example = F.mse_loss(logits, labels, reduction="none").mean(dim=1)
    return (per_example * weights).mean()


def train_weights(weights: list[float]) -> torch.Tensor | None:
    """The train rows' weights scaled to mean 1 (None without weights)."""
    if not weights:
        return None
    w = torch.tensor(weights, dtype=torch.float32)
    return w / w.mean()


def seed_everything(seed: int) -> None:
    random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def _schedule(optimizer: torch.optim.Optimizer, total_steps: int, warmup_ratio: float) -> torch.optim.lr_scheduler.LRScheduler:
    warmup = int(total_steps * warmup_ratio)

    def factor(step: int) -> float:
        if warmup and step < warmup:
            return (step + 1) / warmup
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


class _Loop:
    """One epoch's optimizer steps: micro-batches of --batch-size, --grad-accum of them per step.

    Each micro-batch's loss counts in proportion to its examples, so a step's
    gradient is the mean over all of its examples, as one batch of
    batch_size x grad_accum would give; with --grad-accum 1 the arithmetic is
    exactly the plain loop's.
    """

    def __init__(
        self,
        opts: TrainOptions,
        model: torch.nn.Module,
        tok: Any,
        device: str,
        dtype: torch.dtype,
        params: list[torch.nn.Parameter],
        optimizer: torch.optim.Optimizer,
        scheduler: torch.optim.lr_scheduler.LRScheduler,
        emit: Emitter,
        total_steps: int,
    ) -> None:
        self.opts, self.model, self.tok, self.device, self.dtype = opts, model, tok, device, dtype
        self.params, self.optimizer, self.scheduler, self.emit = params, optimizer, scheduler, emit
        self.total_steps = total_steps
        self.step = 0

    def epoch(
        self,
        epoch: int,
        order: list[int],
        seqs: Sequence[Sequence[int]],
        labels: torch.Tensor,
        weights_all: torch.Tensor | None,
    ) -> float:
        """Runs the epoch's steps over ``order``; returns its mean training loss per step."""
        b, accum = self.opts.batch_size, self.opts.grad_accum
        micro = [order[i : i + b] for i in range(0, len(order), b)]
        epoch_loss, since_loss, since_n, steps = 0.0, 0.0, 0, 0
        for g in range(0, len(micro), accum):
            group = micro[g : g + accum]
            n = sum(len(idx) for idx in group)
            value = 0.0
            for idx in group:
                logits = modeling.forward(self.model, [seqs[i] for i in idx], self.tok, self.device, self.dtype)
                weights = weights_all[idx].to(self.device) if weights_all is not None else None
                loss = weighted_mse(logits, labels[idx].to(self.device), weights) * (len(idx) / n)
                part = loss.item()
                if not math.isfinite(part):
                    raise TrainerError(f"the loss is {part} at epoch {epoch}, step {self.step + 1}: try a lower --lr")
                loss.backward()
                value += part
            if self.opts.max_grad_norm > 0:
                torch.nn.utils.clip_grad_norm_(self.params, self.opts.max_grad_norm)
            self.optimizer.step()
            self.scheduler.step()
            self.optimizer.zero_grad(set_to_none=True)
            self.step += 1
            steps += 1
            epoch_loss += value
            since_loss += value
            since_n += 1
            if self.emit.step_due(final=self.step == self.total_steps):
                self.emit("step", epoch=epoch, step=self.step, steps=self.total_steps, loss=since_loss / since_n)
                since_loss, since_n = 0.0, 0
        return epoch_loss / steps


def run(opts: TrainOptions, train_rows: Rows, val_rows: Rows, emit: Emitter, started: float) -> dict[str, Any]:
    """Train, report progress through ``emit``, write the artifact; returns the done event's fields."""
    modeling.set_threads(opts.threads)
    device = modeling.resolve_device(opts.device)
    dtype = modeling.resolve_dtype(opts.dtype, device)
    modeling.check_quantize(opts.quantize, opts.device, device)
    seed_everything(opts.seed)
    model, tok, backend = modeling.build_student(opts, len(opts.dimensions), device, dtype)
    trainable, total = modeling.count_params(model)
    means = [sum(col) / len(col) for col in zip(*train_rows.labels)]
    if not modeling.init_head_bias(model, means):
        modeling.log("the head has no bias: it starts at 0, not at the label means")

    train_seqs = encode(tok, train_rows.texts, opts.max_length, opts.head_fraction)
    val_seqs = encode(tok, val_rows.texts, opts.max_length, opts.head_fraction)
    train_labels = torch.tensor(train_rows.labels, dtype=torch.float32)
    # Validation is never weighted: its MAE, and so the epoch kept, stay comparable across weightings.
    weights_all = train_weights(train_rows.weights)

    micro_batches = math.ceil(len(train_seqs) / opts.batch_size)
    steps_per_epoch = math.ceil(micro_batches / opts.grad_accum)
    total_steps = steps_per_epoch * opts.epochs
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=opts.lr, weight_decay=opts.weight_decay)
    scheduler = _schedule(optimizer, total_steps, opts.warmup_ratio)
    generator = torch.Generator().manual_seed(opts.seed)
    loop = _Loop(opts, model, tok, device, dtype, params, optimizer, scheduler, emit, total_steps)

    emit(
        "start",
        device=device,
        device_name=torch.cuda.get_device_name() if device == "cuda" else "cpu",
        dtype=modeling.dtype_name(dtype),
        backend=backend,
        quantize=opts.quantize,
        weight_bytes=modeling.weight_bytes(model),
        train_rows=len(train_rows),
        val_rows=len(val_rows),
        base_model=opts.base_model,
        dimensions=opts.dimensions,
        trainable_params=trainable,
        total_params=total,
        steps=total_steps,
        weighted=weights_all is not None,
    )

    sel = opts.selection()
    best: tuple[float, int, list[float], list[list[float]], dict[str, torch.Tensor]] | None = None
    best_select = 0.0
    history: list[dict[str, Any]] = []
    for epoch in range(1, opts.epochs + 1):
        model.train()
        epoch_started = time.monotonic()
        order = torch.randperm(len(train_seqs), generator=generator).tolist()
        epoch_loss = loop.epoch(epoch, order, train_seqs, train_labels, weights_all)
        if device == "cuda":
            torch.cuda.synchronize()
        train_seconds = time.monotonic() - epoch_started
        preds = modeling.predict_sequences(model, val_seqs, tok, device, dtype, opts.batch_size)
        per_dim = mae_per_dimension(preds, val_rows.labels)
        val_mae = sum(per_dim) / len(per_dim)
        record: dict[str, Any] = dict(
            epoch=epoch,
            train_loss=epoch_loss,
            val_mae=val_mae,
            val_mae_per_dimension=per_dim,
            examples_per_second=round(len(train_seqs) / train_seconds, 2),
            seconds=round(time.monotonic() - started, 3),
        )
        if sel.ranking:
            record["select_value"] = sel.score(preds, val_rows.overall, val_rows.relevant)
        if device == "cuda":
            record["peak_gpu_memory_mb"] = round(torch.cuda.max_memory_allocated() / 2**20)
        history.append(record)
        emit("epoch", **record)
        if best is None or (record["select_value"] > best_select if sel.ranking else val_mae < best[0]):
            best_select = record.get("select_value", 0.0)
            # LoRA + head only: a few MB even for a 1.5B base, so a copy in memory beats a save per epoch.
            state = {n: p.detach().to("cpu", copy=True) for n, p in model.named_parameters() if p.requires_grad}
            best = (val_mae, epoch, per_dim, preds, state)

    if best is None:  # epochs >= 1 is validated: cannot happen
        raise TrainerError("no epoch ran")
    val_mae, best_epoch, per_dim, preds, state = best
    with torch.no_grad():
        for n, p in model.named_parameters():
            if n in state:
                p.copy_(state[n].to(p.device))

    seconds = time.monotonic() - started
    base_path = resolve_base_model(opts.base_model)
    meta = dict(
        dimensions=opts.dimensions,
        base_model=opts.base_model,
        base_model_path=base_path if os.path.isdir(base_path) else None,
        hyperparameters=opts.hyperparameters(),
        best_epoch=best_epoch,
        val_mae=val_mae,
        val_mae_per_dimension=per_dim,
        history=history,
        train_rows=len(train_rows),
        val_rows=len(val_rows),
        weighted=weights_all is not None,
        trainable_params=trainable,
        total_params=total,
        backend=backend,
        device=device,
        dtype=modeling.dtype_name(dtype),
        train_seconds=round(seconds, 3),
        versions=modeling.versions(),
    )
    out = artifact.write(opts.out, model, tok, meta, val_rows.ids, preds)
    done: dict[str, Any] = dict(
        best_epoch=best_epoch,
        val_mae=val_mae,
        val_mae_per_dimension=per_dim,
        artifact=out,
        seconds=round(time.monotonic() - started, 3),
    )
    if sel.ranking:
        done.update(select_by=opts.select_by, select_value=best_select)
    return done
