# Homebrew formula template. dist/release.sh prints the archives and their .sha256 files;
# fill in the release URLs and checksums for each platform when publishing.
class AnalyticsMcp < Formula
  desc "Local MCP server for website analytics (Himetrica Read API)"
  homepage "https://github.com/OWNER/analytics-mcp"
  version "0.1.0"
  license any_of: ["MIT", "Apache-2.0"]

  on_macos do
    on_arm do
      url "https://github.com/OWNER/analytics-mcp/releases/download/v#{version}/analytics-mcp-#{version}-aarch64-apple-darwin.tar.gz"
      sha256 "REPLACE_WITH_SHA256"
    end
    on_intel do
      url "https://github.com/OWNER/analytics-mcp/releases/download/v#{version}/analytics-mcp-#{version}-x86_64-apple-darwin.tar.gz"
      sha256 "REPLACE_WITH_SHA256"
    end
  end

  on_linux do
    url "https://github.com/OWNER/analytics-mcp/releases/download/v#{version}/analytics-mcp-#{version}-x86_64-unknown-linux-gnu.tar.gz"
    sha256 "REPLACE_WITH_SHA256"
  end

  def install
    bin.install "analytics-mcp"
    generate_completions_from_executable(bin/"analytics-mcp", "completions")
    (man1/"analytics-mcp.1").write Utils.safe_popen_read(bin/"analytics-mcp", "man")
  end

  test do
    assert_match "Northwind Notes", shell_output("#{bin}/analytics-mcp call get_project --demo")
  end
end
