fn main() -> std::process::ExitCode {
    trendwatch::cli::main()
}
