/// mimalloc: a search answer is a tree of many small JSON values, which it allocates and
/// frees faster than the system allocator (see benches/store.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    trendwatch::cli::main()
}
