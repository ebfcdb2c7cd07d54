fn main() -> std::process::ExitCode {
    analytics_mcp::run()
}
