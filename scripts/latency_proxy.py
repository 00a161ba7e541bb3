#!/usr/bin/env python3
"""A loopback TCP proxy to moto for `make bench` (scripts/bench.py): each chunk the client
sends is held `delay_ms` before it goes on, a stand-in for the network time of a call to AWS.

Usage: latency_proxy.py LISTEN_PORT UPSTREAM_PORT DELAY_MS
"""

import sys


def latency_proxy(listen_port, upstream_port, delay_ms):
    """Forwards loopback TCP to moto, holding each chunk the client sends for `delay_ms`: a
    stand-in for the network time of a call to AWS, which moto on loopback does not have."""
    import asyncio

    async def pipe(reader, writer, delay):
        try:
            while data := await reader.read(65536):
                if delay:
                    await asyncio.sleep(delay)
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def handle(client_reader, client_writer):
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", upstream_port)
        await asyncio.gather(pipe(client_reader, upstream_writer, delay_ms / 1000),
                             pipe(upstream_reader, client_writer, 0))

    async def serve():
        server = await asyncio.start_server(handle, "127.0.0.1", listen_port)
        async with server:
            await server.serve_forever()

    asyncio.run(serve())


if __name__ == "__main__":
    latency_proxy(int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]))
