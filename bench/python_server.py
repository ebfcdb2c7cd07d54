"""The Python side of the benchmark: a minimal stdio MCP server on the official Python SDK
(MCPServer, formerly FastMCP) whose one tool makes the same HTTP GET the bridge makes.

Environment: BENCH_URL (full URL of the realtime endpoint), BENCH_KEY (X-API-Key).
"""

import os

import httpx
from mcp.server.mcpserver import MCPServer

URL = os.environ["BENCH_URL"]
KEY = os.environ["BENCH_KEY"]
server = MCPServer("python-bench")
client: httpx.AsyncClient | None = None


@server.tool()
async def get_realtime() -> dict:
    """Active visitors right now."""
    global client
    if client is None:
        client = httpx.AsyncClient(timeout=30)
    response = await client.get(URL, headers={"X-API-Key": KEY})
    response.raise_for_status()
    return response.json()["data"]


if __name__ == "__main__":
    server.run()
