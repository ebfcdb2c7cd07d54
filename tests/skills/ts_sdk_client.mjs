// The official TypeScript MCP SDK's skills client (@modelcontextprotocol/client/ext/skills,
// SEP-2640) against `analytics-mcp serve --demo`: as a host that declares the extension it
// lists every skill, gets each by URI and reads each SKILL.md, which the SDK verifies (listed,
// size, SHA-256 digest, frontmatter equal to the entry's); as a host that does not, it finds
// no extension. Prints one JSON object on stdout.
//
// Usage: node ts_sdk_client.mjs NODE_MODULES_DIR PACKAGE BINARY
//   PACKAGE: the SDK client's package name there (an npm alias of @modelcontextprotocol/client)
import { createRequire } from "node:module";

const [modules, pkg, binary] = process.argv.slice(2);
const require = createRequire(`${modules}/`);
const { Client } = require(pkg);
const { StdioClientTransport } = require(`${pkg}/stdio`);
const { SkillsClient, SKILLS_EXTENSION_ID } = require(`${pkg}/ext/skills`);

async function connect(capabilities) {
  const client = new Client({ name: "ts-sdk-skills-host", version: "1" }, { capabilities });
  const transport = new StdioClientTransport({
    command: binary,
    args: ["serve", "--demo"],
    env: { ...process.env, ANALYTICS_MCP_API_KEY: "" },
    stderr: "ignore",
  });
  await client.connect(transport);
  return client;
}

const out = {};
const host = await connect({ extensions: { [SKILLS_EXTENSION_ID]: {} } });
try {
  const skills = new SkillsClient(host);
  out.supported = skills.supported;
  const listing = await skills.list();
  out.invalid = listing.invalid;
  out.ttlMs = listing.ttlMs ?? null;
  out.skills = [];
  for (const entry of listing.skills) {
    const got = await skills.get(entry.uri);
    const file = await skills.read(got.skill);
    out.skills.push({
      uri: entry.uri,
      name: entry.frontmatter.name,
      sameAsListed: JSON.stringify(got.skill) === JSON.stringify(entry),
      verified: file.verified,
      bytes: file.bytes.length,
      frontmatter: file.frontmatter,
      bodyStartsWith: (file.body ?? "").trimStart().slice(0, 2),
    });
  }
} finally {
  await host.close();
}

const plain = await connect({});
try {
  const skills = new SkillsClient(plain);
  out.withoutExtension = {
    supported: skills.supported,
    listed: (await skills.list()).skills.length,
  };
} finally {
  await plain.close();
}
process.stdout.write(`${JSON.stringify(out)}\n`);
