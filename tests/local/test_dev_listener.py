"""`agent-runtime dev`'s listening socket: its connections send each response at once."""

from __future__ import annotations

import asyncio
import socket

from agent_runtime_local.cli import listen


def test_connections_the_dev_listener_accepts_have_nagle_off() -> None:
    # Given the socket `agent-runtime dev` serves on, handed to asyncio as uvicorn does (sock=)
    listener = listen("127.0.0.1", 0)

    async def accepted_nodelay() -> int:
        got: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        def on_connection(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            got.set_result(writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(on_connection, sock=listener)
        async with server:
            # When a client connects
            _, writer = await asyncio.open_connection(*listener.getsockname()[:2])
            value = await asyncio.wait_for(got, 10)
            writer.close()
            return value

    # Then the accepted connection has TCP_NODELAY set: a response is not held back waiting for the
    # client's delayed ACK (about 40 ms a request with socket.create_server's socket)
    assert asyncio.run(accepted_nodelay()) != 0


def test_the_dev_listener_refuses_a_port_in_use() -> None:
    first = listen("127.0.0.1", 0)
    try:
        port = first.getsockname()[1]
        try:
            listen("127.0.0.1", port).close()
        except OSError:
            return
        raise AssertionError(f"a second listener took port {port}")
    finally:
        first.close()
