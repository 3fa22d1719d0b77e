"""Whether the uvicorn server running this process was told to stop: for endless responses (the
live chat's stream, `kbgen serve`'s reload stream), which uvicorn waits for before it exits."""
from __future__ import annotations

import signal


def server_stopping() -> bool:
    """True once uvicorn was told to stop. It waits for open responses before exiting, and a
    stream would keep it waiting for minutes, or forever; ending one is harmless, since the browser
    reconnects (to the restarted server)."""
    # uvicorn handles SIGTERM with a method of its Server while it serves
    handler = signal.getsignal(signal.SIGTERM)
    return bool(getattr(getattr(handler, "__self__", None), "should_exit", False))
