"""A small OpenAI-compatible server on 127.0.0.1 for tests (real HTTP, real SDK on the other side).

`StubServer` is a reusable Starlette app served by uvicorn in a thread, with:
- `add_route(path, handler, methods)` to extend it (images, speech, videos, ...);
- fault injection: `fail_next(path, status, times, headers, body)` answers the next
  matching requests with an error, `delay_next(path, seconds, times)` stalls them (for
  client timeouts);
- `requests`: every request received (method, path, headers, JSON body), for assertions.

`OpenAIStub` adds `/v1/chat/completions` (plain and `stream=True` server-sent events,
with `usage`, including the final usage chunk when `stream_options.include_usage`).
Replies come from `chat_replies` (a queue of strings, consumed in order) or, when it is
empty, from `chat_responder(body) -> str`.

Usage:
    with OpenAIStub() as stub:
        stub.chat_replies.append('{"title": ...}')
        client = OpenAI(base_url=stub.base_url, api_key="test")
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

Handler = Callable[[Request, dict[str, Any]], Awaitable[Response]]


@dataclass
class Fault:
    path: str
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    delay: float = 0.0
    times: int = 1


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class StubServer:
    def __init__(self) -> None:
        self.app = Starlette()
        self.requests: list[Received] = []
        self.faults: deque[Fault] = deque()
        self._lock = threading.Lock()
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------- extension points
    def add_route(self, path: str, handler: Handler, methods: list[str] | None = None) -> None:
        async def endpoint(request: Request) -> Response:
            raw = await request.body()
            body: Any
            try:
                body = json.loads(raw) if raw and "json" in request.headers.get("content-type", "") else raw
            except ValueError:
                body = raw
            with self._lock:
                self.requests.append(Received(request.method, request.url.path, dict(request.headers), body))
            fault = self._take_fault(request.url.path)
            if fault is not None:
                if fault.delay:
                    await asyncio.sleep(fault.delay)
                if fault.status is not None:
                    content = fault.body if fault.body is not None else {"error": {"message": "injected fault"}}
                    return JSONResponse(content, status_code=fault.status, headers=fault.headers)
            return await handler(request, body if isinstance(body, dict) else {"_raw": body})

        self.app.add_route(path, endpoint, methods=methods or ["POST"])

    def fail_next(
        self,
        path: str,
        status: int,
        *,
        times: int = 1,
        headers: dict[str, str] | None = None,
        body: Any = None,
    ) -> None:
        with self._lock:
            self.faults.append(Fault(path, status=status, headers=headers or {}, body=body, times=times))

    def delay_next(self, path: str, seconds: float, *, times: int = 1) -> None:
        with self._lock:
            self.faults.append(Fault(path, delay=seconds, times=times))

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if path.startswith(fault.path):
                    fault.times -= 1
                    if fault.times <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def calls(self, path: str) -> list[Received]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    # ------------------------------------------------------------- lifecycle
    def start(self) -> StubServer:
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.time() + 15
        while not self._server.started:
            if time.time() > deadline:
                raise RuntimeError("stub server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            self._server.force_exit = True  # do not wait for delayed (fault-injected) requests
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> StubServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _count_tokens(text: str) -> int:
    """A crude but deterministic token count (words and CJK characters)."""
    return max(1, len(text.split()) + sum(1 for ch in text if "\uac00" <= ch <= "\ud7a3"))


class OpenAIStub(StubServer):
    """Speaks POST /v1/chat/completions like OpenAI (and Ollama, vLLM, ...) do."""

    def __init__(self) -> None:
        super().__init__()
        self.base_url = self.url + "/v1"
        self.chat_replies: deque[str] = deque()
        self.chat_responder: Callable[[dict[str, Any]], str] = lambda body: '{"ok": true}'
        self.chunk_size = 16  # characters per streamed delta
        self.add_route("/v1/chat/completions", self._chat)

    def __enter__(self) -> OpenAIStub:
        self.start()
        return self

    def _next_reply(self, body: dict[str, Any]) -> str:
        with self._lock:
            if self.chat_replies:
                return self.chat_replies.popleft()
        return self.chat_responder(body)

    async def _chat(self, request: Request, body: dict[str, Any]) -> Response:
        if not body.get("model") or not isinstance(body.get("messages"), list):
            return JSONResponse({"error": {"message": "model and messages are required"}}, status_code=400)
        reply = self._next_reply(body)
        prompt_text = " ".join(str(m.get("content", "")) for m in body["messages"])
        usage = {
            "prompt_tokens": _count_tokens(prompt_text),
            "completion_tokens": _count_tokens(reply),
            "total_tokens": _count_tokens(prompt_text) + _count_tokens(reply),
        }
        created = int(time.time())
        cid = f"chatcmpl-stub{len(self.requests)}"
        model = body["model"]
        if not body.get("stream"):
            return JSONResponse(
                {
                    "id": cid,
                    "object": "chat.completion",
                    "created": created,
                    "model": model,
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": reply},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": usage,
                }
            )
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        size = self.chunk_size

        async def events() -> Any:
            def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
                data = {
                    "id": cid,
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": model,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                }
                return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

            yield chunk({"role": "assistant", "content": ""})
            for i in range(0, len(reply), size):
                yield chunk({"content": reply[i : i + size]})
                await asyncio.sleep(0)
            yield chunk({}, "stop")
            if include_usage:
                data = {
                    "id": cid,
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": model,
                    "choices": [],
                    "usage": usage,
                }
                yield f"data: {json.dumps(data)}\n\n"
            yield "data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")
