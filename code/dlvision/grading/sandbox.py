"""A child process that runs the students' answers, so that the grader never does.

The student's kernel writes each answer, serialized by cloudpickle, to a folder (one file per
version of it, see ``runner.py``); ``Sandbox.observe(question_id, file=...)`` asks the child
(``python -m dlvision.grading.sandbox FOLDER``) to load that file and ``observe`` it (see
``observe.py``). The child answers with JSON, which the grader decodes into plain data. A
question that runs past its time limit, or that kills the child, is reported as such, and the
next question gets a fresh child.

The two talk over the child's stdin and stdout, in messages prefixed by their length; the child
moves that channel aside and points its own stdin, stdout and stderr at ``os.devnull``, so that
what an answer prints goes nowhere.
"""

from __future__ import annotations

import json
import os
import queue
import struct
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, BinaryIO

import dlvision

from .observe import decode

MAX_MESSAGE = 256 * 2**20  # bytes of observations accepted from the child
STARTUP_TIMEOUT = 120.0  # seconds for the child to import torch and the checks
_HEADER = struct.Struct(">Q")  # the length of the message that follows


class SandboxTimeout(Exception):
    """The answer did not finish within the time limit; the child was killed."""


class SandboxCrash(Exception):
    """The child process died while running the answer (``os._exit``, a segfault, memory)."""


def _send(stream: BinaryIO, data: bytes) -> None:
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _read(stream: BinaryIO, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def _receive(stream: BinaryIO) -> bytes:
    (size,) = _HEADER.unpack(_read(stream, _HEADER.size))
    if size > MAX_MESSAGE:
        raise EOFError(f"a message of {size} bytes is larger than the {MAX_MESSAGE} accepted")
    return _read(stream, size)


def _read_replies(stream: BinaryIO, messages: queue.Queue[bytes | None]) -> None:
    """Put each message of ``stream`` on ``messages``, then None when the stream ends."""
    try:
        while True:
            messages.put(_receive(stream))
    except (EOFError, OSError, ValueError):
        messages.put(None)


def serve(folder: Path, part: str | None = None) -> None:
    """The child: load and observe answers, one request at a time, until stdin closes.

    A request is JSON, ``{"question": id, "file": name}``: the question whose checks to run,
    and the file of ``folder`` that holds the answer.

    ``part``'s checks are imported before the child says it is ready, so that the first
    question's time limit is not spent importing them."""
    requests = os.fdopen(os.dup(0), "rb")
    replies = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    # Kept open for the child's whole life.
    sys.stdin = open(os.devnull)
    sys.stdout = sys.stderr = open(os.devnull, "w")

    import cloudpickle
    import torch

    from .checks import get_part, get_question
    from .observe import encode, observe

    if part is not None:
        get_part(part)
    torch.set_num_threads(1)  # checks use tiny tensors; threads would only compete
    _send(replies, b"ready")
    while True:
        try:
            request = json.loads(_receive(requests).decode())
        except EOFError:
            return
        question = get_question(request["question"])
        try:
            answer = cloudpickle.loads((folder / Path(request["file"]).name).read_bytes())
        except BaseException as err:  # e.g. an answer that needs a package the grader lacks
            observation: dict[str, Any] = {"load_error": f"{type(err).__name__}: {err}"}
        else:
            observation = observe(question, answer)
        _send(replies, encode(observation))


class Sandbox:
    """The child process that observes the answers saved in ``folder``.

    Use as a context manager; ``start()`` may be called early, so that the child imports torch
    while the notebook runs.
    """

    def __init__(self, folder: Path, part: str | None = None):
        self.folder = Path(folder)
        self.part = part  # whose checks the child imports before it is ready
        self._process: subprocess.Popen | None = None
        self._messages: queue.Queue[bytes | None] = queue.Queue()
        self._ready = False

    def start(self) -> None:
        if self._process is not None:
            return
        env = dict(os.environ, DLVISION_PROFILE="mini")  # as in the notebook's kernel
        # The child imports this very package, even when it is not installed.
        source_root = str(Path(dlvision.__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (source_root, env.get("PYTHONPATH"))
                                            if p)
        self._process = subprocess.Popen(
            [sys.executable, "-m", "dlvision.grading.sandbox", str(self.folder),
             *([self.part] if self.part else [])],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
            cwd=self.folder)  # what an answer writes lands in the grader's temporary folder
        self._messages = queue.Queue()
        self._ready = False
        # A thread reads the child's replies, so that waiting for one can time out.
        threading.Thread(target=_read_replies, args=(self._process.stdout, self._messages),
                         daemon=True).start()

    def stop(self) -> None:
        """End the child (it was told nothing more is coming, or it is stuck: kill it)."""
        if self._process is None:
            return
        try:
            self._process.stdin.close()
            self._process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self._process.kill()
            self._process.wait()
        self._process = None

    def _kill(self) -> int | None:
        self._process.kill()
        code = self._process.wait()
        self._process = None
        return code

    def _next(self, timeout: float) -> bytes:
        try:
            message = self._messages.get(timeout=timeout)
        except queue.Empty:
            self._kill()
            raise SandboxTimeout(f"no answer within {timeout:g} s") from None
        if message is None:
            code = self._kill()
            raise SandboxCrash(f"the process running it died (exit code {code})")
        return message

    def observe(self, question_id: str, *, file: str, time_limit: float) -> dict[str, Any]:
        """Observations of the answer to ``question_id`` saved in ``file`` (a file name in the
        folder), decoded from the child's JSON.

        Raises ``SandboxTimeout`` after ``time_limit`` seconds, ``SandboxCrash`` if the child
        dies; either way the child is gone and the next call starts a new one.
        """
        self.start()
        if not self._ready:
            if self._next(STARTUP_TIMEOUT) != b"ready":
                self._kill()
                raise SandboxCrash("the grading process did not start")
            self._ready = True
        try:
            _send(self._process.stdin,
                  json.dumps({"question": question_id, "file": file}).encode())
        except OSError as err:  # the child is already gone
            self._kill()
            raise SandboxCrash(f"the process running it died ({err})") from err
        return decode(self._next(time_limit))

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


if __name__ == "__main__":
    serve(Path(sys.argv[1]), *sys.argv[2:3])
