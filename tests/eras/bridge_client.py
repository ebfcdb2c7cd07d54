"""Drives `analytics-mcp serve --profile zen` (a bridge to a hosted MCP server) with the
official Python MCP SDK in its default protocol mode (auto: `server/discover`, falling back
to `initialize`).

Lists and calls tools, mirrors an `x-mcp-header` parameter, answers the server's input
request through the elicitation callback, and turns on the beta tools. Prints `bridge ok` and the
negotiated protocol version, or exits non-zero on the first problem.

Usage: python bridge_client.py /path/to/analytics-mcp
"""

import asyncio
import os
import sys

from mcp import Client, types
from mcp.client.stdio import StdioServerParameters


async def elicit(_context, params):
    assert "Which website" in params.message, params
    return types.ElicitResult(action="accept", content={"website_id": "web_northwind"})


async def main(binary: str) -> None:
    params = StdioServerParameters(command=binary, args=["serve", "--profile", "zen"], env=dict(os.environ))
    async with Client(params, elicitation_callback=elicit) as client:
        names = [t.name for t in (await client.list_tools()).tools]
        assert "get_visitors" in names and "pick_website" in names, names
        result = await client.call_tool("get_visitors", {"website_id": "web_docs"})
        assert not result.is_error and result.structured_content["visitors"] == 2140, result
        result = await client.call_tool("region_report", {"region": "EU"})
        assert not result.is_error, result
        print("ok tools")

        result = await client.call_tool("pick_website", {})
        assert not result.is_error, result
        assert result.structured_content["website_id"] == "web_northwind", result
        print("ok input request")

        # The tool list changes upstream: a fresh list has the new tool (the bridge's own
        # list is not cached past the server's ttlMs).
        result = await client.call_tool("enable_beta_tools", {})
        assert not result.is_error, result
        names = [t.name for t in (await client.list_tools(cache_mode="refresh")).tools]
        assert "get_funnels" in names, names
        print("ok list change")
    print("bridge ok")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
