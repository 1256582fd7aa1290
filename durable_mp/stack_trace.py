"""The `StackTrace` of a checkpointed ErrorObject: the frames of the user's code, bounded in size.

The wire field is a list of strings, one per frame, innermost last, each in the shape Python tracebacks
(and the Lambda runtime's `stackTrace`) use: `File "/path/app.py", line 12, in validate: raise ValueError(x)`.
Frames inside durable_mp and its worker package are left out (they are the same for every error and
say nothing about the user's code); when no frame is left (an error raised by the SDK itself), the
innermost frames are kept. At most `MAX_FRAMES` frames (the innermost) and `MAX_CHARS` characters in
all, each line cut at `MAX_LINE`, so a deep recursion cannot bloat a checkpoint.
"""

from __future__ import annotations

import functools
import os
import traceback

MAX_FRAMES = 20
MAX_CHARS = 4096
MAX_LINE = 400

_SDK_DIRS = tuple(
    os.path.dirname(os.path.abspath(path)) + os.sep
    for path in (__file__, os.path.join(os.path.dirname(__file__), "..", "workers", "__init__.py"))
)


@functools.cache
def _sdk_dirs() -> tuple[str, ...]:
    dirs = list(_SDK_DIRS)
    try:
        import durable_mp_workers

        dirs.append(os.path.dirname(os.path.abspath(durable_mp_workers.__file__)) + os.sep)
    except ImportError:  # pragma: no cover - the worker package is always installed with durable_mp
        pass
    return tuple(dirs)


def _line(frame: traceback.FrameSummary) -> str:
    text = f'File "{frame.filename}", line {frame.lineno}, in {frame.name}'
    code = (frame.line or "").strip()
    if code:
        text += f": {code}"
    return text if len(text) <= MAX_LINE else text[: MAX_LINE - 3] + "..."


def stack_trace_of(exc: BaseException) -> list[str] | None:
    """The bounded user-code frames of `exc`'s traceback (innermost last), or None without a traceback."""
    tb = exc.__traceback__
    if tb is None:
        return None
    frames = traceback.extract_tb(tb)
    sdk = _sdk_dirs()
    user = [f for f in frames if not os.path.abspath(f.filename).startswith(sdk)]
    chosen = (user or list(frames)[-3:])[-MAX_FRAMES:]
    lines = [_line(f) for f in chosen]
    while len(lines) > 1 and sum(len(line) for line in lines) > MAX_CHARS:
        lines.pop(0)
    return lines or None
