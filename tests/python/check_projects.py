"""Drives `analytics-mcp serve --profile A --profile B` with the official Python MCP SDK.

Lists the tools (each once, each with `project` as the profile names, plus
compare_projects), calls every one in the second project, and validates each
result's structuredContent against the tool's outputSchema. The config
directory and credentials come from the environment the test sets.

Usage: python check_projects.py /path/to/analytics-mcp PROFILE_A PROFILE_B
"""

import asyncio
import os
import sys

import jsonschema
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from check_client import ARGS, WINDOW

# One process's settings must not reach every profile (the server refuses them).
SHARED = ("ANALYTICS_MCP_API_KEY", "ANALYTICS_MCP_API_URL", "ANALYTICS_MCP_PROJECT")


async def main(binary: str, first: str, second: str) -> None:
    env = {k: v for k, v in os.environ.items() if k not in SHARED}
    args = ["serve", "--profile", first, "--profile", second]
    params = StdioServerParameters(command=binary, args=args, env=env)
    async with Client(params) as client:
        tools = (await client.list_tools()).tools
        names = [t.name for t in tools]
        assert len(names) == len(set(names)) == 15, f"each tool once: {names}"
        for tool in tools:
            jsonschema.Draft202012Validator.check_schema(tool.input_schema)
            jsonschema.Draft202012Validator.check_schema(tool.output_schema)
            args = dict(ARGS.get(tool.name, WINDOW))
            if tool.name != "compare_projects":
                project = tool.input_schema["properties"]["project"]
                assert project["enum"] == [first, second], f"{tool.name}: {project}"
                args["project"] = second
            result = await client.call_tool(tool.name, args)
            assert not result.is_error, f"{tool.name} failed: {result.content}"
            assert result.structured_content is not None, f"{tool.name}: no structuredContent"
            jsonschema.validate(result.structured_content, tool.output_schema)
            print(f"ok {tool.name}")
        result = await client.call_tool("compare_projects", {})
        projects = [p["project"] for p in result.structured_content["projects"]]
        assert projects == [first, second], projects
    print(f"all {len(names)} tools passed")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3]))
