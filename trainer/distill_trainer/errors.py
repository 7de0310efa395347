"""Errors the CLI turns into an error event and an exit status."""


class TrainerError(Exception):
    """Something went wrong while training or predicting (exit status 1)."""

    exit_code: int = 1


class InputError(TrainerError):
    """The caller must fix its arguments or its Arrow input (exit status 2)."""

    exit_code = 2
