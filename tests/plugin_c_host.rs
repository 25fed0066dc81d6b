//! The C ABI from C: compiles `tests/c_host/host.c` with the system C compiler (`$CC`, else `cc`)
//! against `include/clipvg.h`, links it with the cdylib that cargo built for this test run, and
//! runs it. The C program checks `inspect` and the error paths itself; this test checks that it
//! compiled warning-free, ran, and reported every check passed. The header is compiled as C++ as
//! well (`$CXX`, else `c++`) when such a compiler exists, since it promises `extern "C"` guards.

mod cdylib;

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
        .arg(&lib_dir)
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

#[test]
fn header_compiles_as_cpp() {
    let cxx = compiler("CXX", "c++");
    if Command::new(&cxx).arg("--version").output().is_err() {
        eprintln!("no C++ compiler `{cxx}`: the C++ check of the header is not run (the C check is)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("use_header.cpp");
    std::fs::write(&src, "#include \"clipvg.h\"\nint main() { return clipvg_abi_version() == CLIPVG_ABI_VERSION ? 0 : 1; }\n")
        .unwrap();
    let exe = tmp.path().join("use_header");
    let out = compile(&cxx, &["-Wall", "-Wextra", "-Werror"], &src, &exe);
    assert!(out.status.success(), "the header does not compile as C++:\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(run_host(&exe).status.success());
}
