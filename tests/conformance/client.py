#!/usr/bin/env python3
"""The client the MCP conformance suite's client scenarios run (`conformance client --command
"tests/conformance/client.py"`): the suite appends its server's URL, and this drives
analytics-mcp's hosted-MCP bridge the way a person would, in a throwaway config directory:

  1. a profile bridging URL, then `analytics-mcp tools --profile P --json`;
  2. whenever a command says to sign in (`login --profile P`, with `--scope "…"` when the
     token lacks a scope), `analytics-mcp login --mcp-url URL --profile P [--scope …]` with
     this script as the browser (`--browser`), which follows the authorization server's
     redirects back to the loopback callback, then the command again (three sign-ins at most);
  3. `analytics-mcp call --profile P TOOL` for every tool listed, with arguments made from
     the tool's required parameters (or for the tools the suite names, `toolCalls` in its
     context, with its arguments).

Scenarios a terminal cannot play ([`CONVERSATIONS`]: the server asks for input in the middle
of a call, or a tool takes an object) are played by an MCP client instead: the official
Python MCP SDK (the interpreter running this script must import `mcp`) starts
`analytics-mcp serve --profile P`, lists the tools and calls each one, with the arguments the
suite names (`toolCalls` in its context) or made from the required parameters, echoing
`json_schema_echo` the schema it was shown, and accepts every input request as offered
(empty content: the defaults are the bridge's to fill in).

A pre-registered client (`MCP_CONFORMANCE_CONTEXT` with `client_id`, `client_secret`): the id
goes into the config file, the secret to `login --client-secret` on stdin, never in argv. The
profile names the suite's Client ID Metadata Document URL as `client_metadata_url`.

The binary is `$ANALYTICS_MCP_BIN`, else `analytics-mcp` on PATH. Every step is bounded; the
exit code is 0 when a tool was called.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request

PROFILE = "conformance"
# The Client ID Metadata Document URL the suite's authorization servers expect.
CLIENT_METADATA_URL = "https://conformance-test.local/client-metadata.json"
STEP_TIMEOUT = 60
# Scenarios played through `serve` by an MCP client rather than by `tools`/`call`.
CONVERSATIONS = {
    "sep-2322-client-request-state",
    "http-custom-headers",
    "json-schema-2020-12-preservation",
    "elicitation-sep1034-client-defaults",
}
# Of those, the ones played from the terminal as well (`call` with the suite's arguments).
ALSO_FROM_THE_TERMINAL = {"http-custom-headers"}


def browse(url):
    """The browser stand-in: GET the authorization URL and follow redirects (at most 10)
    until the loopback callback has answered."""
    for _ in range(10):
        request = urllib.request.Request(url, headers={"accept": "text/html"})
        opener = urllib.request.build_opener(NoRedirect)
        try:
            with opener.open(request, timeout=20) as r:
                r.read()
                return
        except urllib.error.HTTPError as e:
            location = e.headers.get("location")
            if e.code in (301, 302, 303, 307, 308) and location:
                url = urllib.parse.urljoin(url, location)
                continue
            return
        except OSError:
            return


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def run(binary, env, args, stdin=None):
    print(f"$ analytics-mcp {' '.join(args)}", file=sys.stderr, flush=True)
    try:
        out = subprocess.run(
            [binary, *args],
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=STEP_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        print("  (timed out)", file=sys.stderr, flush=True)
        return 124, "", ""
    sys.stderr.write(out.stderr)
    print(f"  exit {out.returncode}", file=sys.stderr, flush=True)
    return out.returncode, out.stdout, out.stderr


def argument_for(schema):
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if "enum" in schema and schema["enum"]:
        return schema["enum"][0]
    return {
        "number": 1,
        "integer": 1,
        "boolean": True,
        "string": "test",
    }.get(kind, "test")


def required_args(schema):
    """A value for each required parameter (integers told apart by their position)."""
    props = schema.get("properties") or {}
    args = {}
    for i, name in enumerate(schema.get("required") or []):
        value = argument_for(props.get(name) or {})
        if isinstance(value, int) and not isinstance(value, bool):
            value += i
        args[name] = value
    return args


def call_args(tool):
    return pairs_of(required_args(tool.get("inputSchema") or {}))


def pairs_of(arguments):
    """The suite's arguments as `call` takes them: `name=value`, a null left out (as a person
    leaves out an argument they have no value for)."""
    pairs = []
    for name, value in arguments.items():
        if value is None:
            continue
        pairs.append(f"{name}={value if isinstance(value, str) else json.dumps(value)}")
    return pairs


def conversation_args(tool, tools, context):
    """The arguments a model would pass: the suite's own when it names them, the schema of
    the tool next to it for an echo tool, else made from the required parameters."""
    for call in context.get("toolCalls") or []:
        if call.get("name") == tool.name:
            return call.get("arguments") or {}
    props = (tool.input_schema or {}).get("properties") or {}
    if tool.name.endswith("_echo") and "schema" in props:
        shown = next((t for t in tools if t.name != tool.name), None)
        return {"schema": shown.input_schema if shown else {}}
    return required_args(tool.input_schema or {})


def converse(binary, env, context):
    """Plays a scenario through `serve` with the Python MCP SDK; 0 when every call ended."""
    import asyncio

    from mcp import Client, types
    from mcp.client.stdio import StdioServerParameters

    async def accept(_context, params):
        print(f"  input request: {params.message}", file=sys.stderr, flush=True)
        return types.ElicitResult(action="accept", content={})

    async def play(mode):
        server = StdioServerParameters(command=binary, args=["serve", "--profile", PROFILE], env=env)
        print(f"$ analytics-mcp serve --profile {PROFILE}  (client mode {mode})", file=sys.stderr, flush=True)
        async with Client(server, elicitation_callback=accept, mode=mode) as client:
            tools = (await client.list_tools()).tools
            print(f"  tools: {[t.name for t in tools]}", file=sys.stderr, flush=True)
            failed = 0
            for tool in tools:
                result = await client.call_tool(tool.name, conversation_args(tool, tools, context))
                text = " ".join(getattr(c, "text", "") for c in result.content)
                print(f"  {tool.name}: error={result.is_error} {text[:200]}", file=sys.stderr, flush=True)
                failed += bool(result.is_error)
            return 1 if failed else 0

    # Both kinds of MCP client in front of the bridge: one that speaks the 2025 revisions
    # (`initialize`; asked for input with `elicitation/create`), and one that speaks
    # 2026-07-28 when the bridge does (asked with an `InputRequiredResult`).
    failed = 0
    for mode in ("legacy", "auto"):
        failed += asyncio.run(asyncio.wait_for(play(mode), STEP_TIMEOUT))
    return 1 if failed else 0


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--browser":
        browse(sys.argv[2])
        return 0
    url = sys.argv[-1]
    binary = os.environ.get("ANALYTICS_MCP_BIN") or shutil.which("analytics-mcp")
    if not binary:
        print("client.py: set ANALYTICS_MCP_BIN or put analytics-mcp on PATH", file=sys.stderr)
        return 2
    context = json.loads(os.environ.get("MCP_CONFORMANCE_CONTEXT") or "{}")
    home = tempfile.mkdtemp(prefix="analytics-mcp-conformance-")
    try:
        config = os.path.join(home, "config")
        os.makedirs(config)
        env = dict(os.environ)
        env.pop("ANALYTICS_MCP_API_KEY", None)
        env.update(
            {
                "HOME": home,
                "ANALYTICS_MCP_CONFIG_DIR": config,
                "ANALYTICS_MCP_CREDENTIAL_STORE": "file",
                "BROWSER": f"{sys.executable} {os.path.abspath(__file__)} --browser",
            }
        )
        lines = [
            f"[profiles.{PROFILE}]",
            f"mcp_url = {json.dumps(url)}",
            f"[profiles.{PROFILE}.oauth]",
            f"client_metadata_url = {json.dumps(CLIENT_METADATA_URL)}",
        ]
        # The suite says which revision a scenario is run at; a person would pin it the same
        # way (`protocol`), and without it the bridge detects the era (`auto`).
        version = os.environ.get("MCP_CONFORMANCE_PROTOCOL_VERSION")
        if version:
            lines.insert(2, f"protocol = {json.dumps(version)}")
        if context.get("client_id"):
            lines.append(f"client_id = {json.dumps(context['client_id'])}")
        with open(os.path.join(config, "config.toml"), "w") as f:
            f.write("\n".join(lines) + "\n")
        login = ["login", "--mcp-url", url, "--profile", PROFILE, "--timeout", "30"]
        secret = None
        if context.get("client_secret"):
            login.append("--client-secret")
            secret = context["client_secret"] + "\n"

        # A person does what the error says: sign in when asked to, again with `--scope` when
        # told the token lacks one. At most three sign-ins.
        sign_ins = 0

        def sign_in_if_told(stderr):
            nonlocal sign_ins
            while sign_ins < 3 and "login --profile" in stderr:
                sign_ins += 1
                scope = re.search(r'--scope "([^"]+)"', stderr)
                extra = ["--scope", scope.group(1)] if scope else []
                code, _, stderr = run(binary, env, login + extra, secret)
                if code == 0:
                    return True
            return False

        def until_done(args):
            while True:
                code, out, err = run(binary, env, args)
                if code == 0 or not sign_in_if_told(err):
                    return code, out, err

        scenario = os.environ.get("MCP_CONFORMANCE_SCENARIO")
        if scenario in CONVERSATIONS and scenario not in ALSO_FROM_THE_TERMINAL:
            return converse(binary, env, context)

        code, listed, _ = until_done(["tools", "--profile", PROFILE, "--json"])
        if code != 0:
            return 1
        tools = json.loads(listed).get("tools", [])
        # The tools the suite names, with its arguments; else every tool listed.
        calls = [(c["name"], pairs_of(c.get("arguments") or {})) for c in context.get("toolCalls") or []]
        calls = calls or [(tool["name"], call_args(tool)) for tool in tools]
        called = False
        for name, pairs in calls:
            code, _, _ = until_done(["call", "--profile", PROFILE, name, *pairs])
            called = called or code in (0, 3)
        if scenario in CONVERSATIONS:
            return converse(binary, env, context) if called else 1
        return 0 if called or not tools else 1
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
