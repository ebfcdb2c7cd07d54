"""Drives `analytics-mcp serve` against a sandbox whose inferred Read API paths moved, with the
official Python MCP SDK: every one of the eleven Read API tools must answer (eight of them
through Himetrica's hosted MCP server, saying so), with the window asked for.

The sandbox's URL and key come from the environment (ANALYTICS_MCP_API_URL, _API_KEY).
Usage: python check_fallback.py /path/to/analytics-mcp
"""

import asyncio
import os
import sys

from mcp import Client
from mcp.client.stdio import StdioServerParameters

WINDOW = {"startDate": "2026-10-01", "endDate": "2026-10-07"}
TOOLS = [
    "get_analytics", "get_timeseries", "get_realtime", "get_top_pages",
    "get_traffic_sources", "get_top_locations", "get_events", "get_revenue",
    "get_revenue_timeseries", "get_top_customers", "get_channel_roi",
]
NOTE = "Answered by Himetrica's MCP server"


async def main(binary: str) -> None:
    params = StdioServerParameters(command=binary, args=["serve"], env=dict(os.environ))
    hosted = 0
    async with Client(params) as client:
        for name in TOOLS:
            args = {} if name == "get_realtime" else WINDOW
            result = await client.call_tool(name, args)
            assert not result.is_error, f"{name} failed: {result.content}"
            structured = result.structured_content or {}
            if name != "get_realtime":
                window = structured.get("window", {})
                assert window.get("startDate") == "2026-10-01", f"{name}: {window}"
            if NOTE in structured.get("summary", ""):
                hosted += 1
            print(f"ok {name}")
    assert hosted == 8, f"{hosted} tools said they came through the fallback"
    print(f"all {len(TOOLS)} tools answered, {hosted} through the fallback")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
