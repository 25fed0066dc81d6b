//! The C ABI from C: compiles `tests/c_host/host.c` with the system C compiler (`$CC`, else `cc`)
//! against `include/clipvg.h`, links it with the cdylib that cargo built for this test run, and
//! runs it. The C program checks `inspect` and the error paths itself; this test checks that it
//! compiled warning-free, ran, and reported every check passed. The header is compiled as C++ as
//! well (`$CXX`, else `c++`) when such a compiler exists, since it promises `extern "C"` guards.
//! `tests/c_host/contract.c` checks the header's contract (BUSY, silent panics, statuses by
//! cause, bounded messages, quiet GPU probing without `XDG_RUNTIME_DIR`, deep documents on a
//! 256 KB thread) with stdout and stderr left to the library, which must leave them empty.

use crate::cdylib;

use std::path::Path;
use std::process::Command;

fn compiler(var: &str, default: &str) -> String {
    std::env::var(var).ok().filter(|s| !s.is_empty()).unwrap_or_else(|| default.to_string())
}

/// Compiles `source` with `compiler` against the header, linked with the cdylib found by
/// [`cdylib_dir`]. The run path is an old-style DT_RPATH, which the loader prefers to
/// `LD_LIBRARY_PATH`, so the program loads exactly that library.
fn compile(compiler: &str, flags: &[&str], source: &Path, out: &Path) -> std::process::Output {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lib = cdylib::cdylib_path();
    let lib_dir = lib.parent().expect("library folder");
    Command::new(compiler)
        .args(flags)
        .arg(source)
        .arg("-I")
        .arg(root.join("include"))
        .arg("-L")
        .arg(lib_dir)
        .arg(format!("-Wl,--disable-new-dtags,-rpath,{}", lib_dir.display()))
        .arg("-lclipvg")
        .arg("-o")
        .arg(out)
        .output()
        .unwrap_or_else(|e| panic!("cannot run the compiler `{compiler}` ({e}): install gcc/g++ or set CC/CXX"))
}

/// Runs a compiled host without the test's `LD_LIBRARY_PATH`, with the tiny CLIP model's folder
/// as its argument.
fn run_host(exe: &Path) -> std::process::Output {
    let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/clip/A");
    Command::new(exe).arg(model).env_remove("LD_LIBRARY_PATH").output().expect("the host runs")
}

#[test]
fn c_host_runs_inspect_and_every_error_path() {
    let tmp = tempfile::tempdir().unwrap();
    let exe = tmp.path().join("host");
    let cc = compiler("CC", "cc");
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/c_host/host.c");
    let build = compile(&cc, &["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic"], &source, &exe);
    assert!(build.status.success(), "host.c did not compile:\n{}", String::from_utf8_lossy(&build.stderr));
    let run = run_host(&exe);
    let stdout = String::from_utf8_lossy(&run.stdout);
    println!("{stdout}");
    assert!(run.status.success(), "the C host reported failures:\n{stdout}\n{}", String::from_utf8_lossy(&run.stderr));
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
    assert!(run.stderr.is_empty(), "the library wrote to stderr:\n{}", String::from_utf8_lossy(&run.stderr));
}

/// Compiles `tests/c_host/contract.c` and runs it with `args` after its report file, without
/// `XDG_RUNTIME_DIR` or a Wayland display, with the test-only actions on. Returns the report and
/// the process output (whose stdout and stderr are the library's alone).
fn run_contract(args: &[&str]) -> (String, std::process::Output) {
    let tmp = tempfile::tempdir().unwrap();
    let exe = tmp.path().join("contract");
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/c_host/contract.c");
    let flags = ["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic", "-pthread"];
    let build = compile(&compiler("CC", "cc"), &flags, &source, &exe);
    assert!(build.status.success(), "contract.c did not compile:\n{}", String::from_utf8_lossy(&build.stderr));
    let report = tmp.path().join("report.txt");
    let run = Command::new(&exe)
        .arg(&report)
        .args(args)
        .env_remove("LD_LIBRARY_PATH")
        .env_remove("XDG_RUNTIME_DIR")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("WAYLAND_SOCKET")
        .env("CLIPVG_TEST_ACTIONS", "1")
        .output()
        .expect("the contract host runs");
    let text = std::fs::read_to_string(&report).unwrap_or_default();
    println!("{text}");
    (text, run)
}

/// The library's stdout and stderr, which must be empty.
fn assert_silent(run: &std::process::Output) {
    assert!(
        run.stdout.is_empty() && run.stderr.is_empty(),
        "the library printed:\n--- stdout\n{}\n--- stderr\n{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
}

#[test]
fn c_host_contract_busy_silent_panics_statuses_bounded_messages_quiet_probe() {
    let (report, run) = run_contract(&[]);
    assert!(run.status.success(), "the contract host failed ({:?}):\n{report}", run.status);
    assert!(report.contains(" passed, 0 failed"), "{report}");
    assert_silent(&run);
}

/// Needs the document crate's iterative walks (issue 10, item 1): until they are merged the
/// scene builder overflows the 256 KB stack (the process dies of SIGSEGV).
#[test]
fn c_host_deep_documents_on_a_256k_thread_end_cleanly() {
    let (report, run) = run_contract(&["deep"]);
    assert!(run.status.success(), "the deep-document host failed ({:?}):\n{report}", run.status);
    assert!(report.contains(" passed, 0 failed"), "{report}");
    assert_silent(&run);
}

#[test]
fn header_compiles_as_cpp() {
    let cxx = compiler("CXX", "c++");
    if Command::new(&cxx).arg("--version").output().is_err() {
        eprintln!("no C++ compiler `{cxx}`: the C++ check of the header is not run (the C check is)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("use_header.cpp");
    std::fs::write(
        &src,
        "#include \"clipvg.h\"\nint main() { return clipvg_abi_version() == CLIPVG_ABI_VERSION ? 0 : 1; }\n",
    )
    .unwrap();
    let exe = tmp.path().join("use_header");
    let out = compile(&cxx, &["-Wall", "-Wextra", "-Werror"], &src, &exe);
    assert!(out.status.success(), "the header does not compile as C++:\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(run_host(&exe).status.success());
}
