"""distill_trainer: the LoRA student backend of distill.

The Go CLI runs ``python -m distill_trainer train|predict`` as a subprocess and
speaks Arrow IPC streams and JSON lines with it; PROTOCOL.md beside this
package is the contract. Entry point: :func:`distill_trainer.cli.main`.
"""

__version__ = "0.1.0"
