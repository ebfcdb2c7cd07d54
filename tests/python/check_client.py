"""Drives `analytics-mcp serve --demo` with the official Python MCP SDK.

Initializes, lists the tools, calls every one, and validates each result's
structuredContent against the tool's outputSchema (and each inputSchema as a
schema). Exits non-zero with a message on the first problem.

Usage: python check_client.py /path/to/analytics-mcp [auto|legacy]
"""

import asyncio
import json
import os
import sys

import jsonschema
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.types import PromptReference

WINDOW = {"startDate": "2026-10-01", "endDate": "2026-10-07"}
ARGS = {
    "get_project": {},
    "get_realtime": {},
    "get_timeseries": {**WINDOW, "granularity": "week"},
    "get_top_pages": {**WINDOW, "limit": 5},
    "get_traffic_sources": {**WINDOW, "groupBy": "utm_source"},
    "get_top_locations": {**WINDOW, "groupBy": "region"},
    "get_events": {**WINDOW, "eventName": "signup_completed"},
    "get_revenue_timeseries": {**WINDOW, "granularity": "day"},
    "get_top_customers": {**WINDOW, "limit": 3},
    "get_api_usage": {},
    "get_analytics": {"period": "last_month", "compare": "previous_year"},
    "get_revenue": {"period": "month_to_date", "compare": "previous_period"},
    "explain_change": {"metric": "visitors", "period": "last_7_days"},
}


async def main(binary: str, mode: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANALYTICS_MCP_")}
    params = StdioServerParameters(command=binary, args=["serve", "--demo"], env=env)
    async with Client(params, mode=mode) as client:
        listed = await client.list_tools()
        tools = listed.tools
        names = [t.name for t in tools]
        assert len(names) == 14, f"expected 14 tools, got {names}"
        for tool in tools:
            assert tool.annotations is not None and tool.annotations.read_only_hint, tool.name
            jsonschema.Draft202012Validator.check_schema(tool.input_schema)
            jsonschema.Draft202012Validator.check_schema(tool.output_schema)
            args = ARGS.get(tool.name, WINDOW)
            result = await client.call_tool(tool.name, args)
            assert not result.is_error, f"{tool.name} failed: {result.content}"
            assert result.content and result.content[0].text.strip(), f"{tool.name}: no text"
            assert result.structured_content is not None, f"{tool.name}: no structuredContent"
            jsonschema.validate(result.structured_content, tool.output_schema)
            summary = result.structured_content.get("summary", "")
            assert summary.startswith(tool.title), f"{tool.name}: summary {summary!r}"
            assert "request" not in result.structured_content, f"{tool.name}: request echo"
            print(f"ok {tool.name}")
        detailed = await client.call_tool("get_top_pages", {**WINDOW, "limit": 2, "detail": True})
        by_name = {t.name: t for t in tools}
        jsonschema.validate(detailed.structured_content, by_name["get_top_pages"].output_schema)
        assert detailed.structured_content["detail"]["data"][0]["title"], detailed
        print("ok detail")
        # explain_change (issue 25): a description a model can act on, an answer in 2,000 B.
        explain = by_name["explain_change"]
        for word in ("why", "pages", "referrers", "countries", "unexplained", "weekly pattern"):
            assert word in explain.description.lower(), (word, explain.description)
        assert "metric" in explain.input_schema["properties"], explain.input_schema
        why = await client.call_tool("explain_change", {"metric": "pageviews"})
        assert not why.is_error, why.content
        text = why.content[0].text
        structured = json.dumps(why.structured_content, ensure_ascii=False, separators=(",", ":"))
        assert len(text.encode()) <= 2000, f"explain_change text is {len(text.encode())} B"
        assert len(structured.encode()) <= 2000, f"explain_change JSON is {len(structured.encode())} B"
        dims = [d["dimension"] for d in why.structured_content["explanation"]["dimensions"]]
        assert dims == ["pages", "referrers", "utm_source", "utm_campaign", "countries"], dims
        print(f"ok explain_change ({len(text.encode())} B text, {len(structured.encode())} B JSON)")
        bad = await client.call_tool("get_top_pages", {"limit": 1000})
        assert bad.is_error, "limit=1000 should be a tool error"
        assert "1 to 100" in bad.content[0].text, bad.content[0].text
        print("ok invalid-argument error")

        prompts = (await client.list_prompts()).prompts
        assert {p.name for p in prompts} == {"weekly_report", "what_changed", "revenue_review"}, prompts
        got = await client.get_prompt("weekly_report", {"period": "last_month"})
        assert "period=last_month" in got.messages[0].content.text, got
        got = await client.get_prompt("revenue_review", {"period": "year_to_date"})
        text = got.messages[0].content.text
        assert "period=year_to_date" in text and "get_channel_roi" in text, got
        print("ok prompts")

        resources = (await client.list_resources()).resources
        uris = {str(r.uri) for r in resources}
        assert uris == {"analytics://project", "analytics://glossary"}, uris
        project = await client.read_resource("analytics://project")
        assert "prj_demo_northwind" in project.contents[0].text
        glossary = await client.read_resource("analytics://glossary")
        assert "MRR" in glossary.contents[0].text
        print("ok resources")

        ref = PromptReference(type="ref/prompt", name="what_changed")
        done = await client.complete(ref, {"name": "period", "value": "last_1"})
        assert done.completion.values == ["last_12_months"], done.completion
        ref = PromptReference(type="ref/prompt", name="revenue_review")
        done = await client.complete(ref, {"name": "period", "value": "month"})
        assert done.completion.values == ["month_to_date"], done.completion
        print("ok completion")
    print(f"python-sdk ({mode}): all {len(names)} tools passed")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "auto"))
