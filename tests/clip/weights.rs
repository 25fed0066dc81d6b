//! The weights registry, cache and fetch path, up to the network boundary: a loopback HTTP server
//! on 127.0.0.1 (an ephemeral port, a bounded number of requests) stands in for the hub, and an
//! unreachable loopback port (127.0.0.1:9) for being offline.

use crate::clip_common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};

use clipvg::clip::ClipError;
use clipvg::clip::registry::{FileSpec, Hub, ModelEntry, Registry, verify_file};
use sha2::{Digest, Sha256};

const OFFLINE: &str = "http://127.0.0.1:9";

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn entry(files: Vec<FileSpec>) -> ModelEntry {
    ModelEntry {
        name: "tiny".into(),
        repo: "test/tiny".into(),
        revision: "r1".into(),
        description: "test".into(),
        licence: "test".into(),
        files,
    }
}

/// Serves `files` (path suffix → bytes) over HTTP/1.1 on 127.0.0.1 with `Range: bytes=N-`
/// support, for at most `max_requests` connections; records each request's Range header.
fn serve(files: Vec<(&'static str, Vec<u8>)>, max_requests: usize) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let log2 = log.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(max_requests) {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            let mut range_from = None;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("range: bytes=") {
                    range_from = v.trim().trim_end_matches('-').parse::<usize>().ok();
                }
            }
            let path = request_line.split_whitespace().nth(1).unwrap_or("").to_string();
            log2.lock().unwrap().push(format!("{path} range={range_from:?}"));
            let body = files.iter().find(|(p, _)| path.ends_with(p)).map(|(_, b)| b.clone());
            let response = match (body, range_from) {
                (None, _) => b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_vec(),
                (Some(b), Some(from)) if from < b.len() => {
                    let mut r = format!(
                        "HTTP/1.1 206 Partial Content\r\nContent-Length: {}\r\nContent-Range: bytes {from}-{}/{}\r\nConnection: close\r\n\r\n",
                        b.len() - from, b.len() - 1, b.len()
                    ).into_bytes();
                    r.extend_from_slice(&b[from..]);
                    r
                }
                (Some(b), _) => {
                    let mut r = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", b.len())
                        .into_bytes();
                    r.extend_from_slice(&b);
                    r
                }
            };
            let _ = stream.write_all(&response);
            let _ = stream.flush();
        }
    });
    (format!("http://{addr}"), log)
}

#[test]
fn builtin_registry_is_well_formed() {
    let r = Registry::builtin().unwrap();
    assert_eq!(r.default, "clip-vit-base-patch32");
    for name in ["clip-vit-base-patch32", "clip-vit-base-patch16", "clip-vit-large-patch14"] {
        let e = r.get(name).unwrap_or_else(|| panic!("{name} listed"));
        assert!(e.files.iter().any(|f| f.path == "model.safetensors"));
        assert!(e.files.iter().all(|f| f.sha256.as_ref().is_none_or(|s| s.len() == 64)));
    }
    let b32 = r.get("clip-vit-base-patch32").unwrap();
    let weights = b32.files.iter().find(|f| f.path == "model.safetensors").unwrap();
    assert_eq!(weights.size, Some(605_157_884));
    assert!(Registry::from_json(r#"{"default":"x","models":[]}"#).is_err());
}

#[test]
fn cache_layout_and_urls() {
    let hub = Hub { endpoint: "https://hub.example".into(), cache: "/c".into() };
    let e = entry(vec![FileSpec { path: "model.safetensors".into(), size: None, sha256: None }]);
    assert_eq!(hub.model_dir("tiny"), Path::new("/c/models/tiny"));
    assert_eq!(hub.url(&e, &e.files[0]), "https://hub.example/test/tiny/resolve/r1/model.safetensors");
}

#[test]
fn verify_accepts_good_and_removes_corrupt_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.safetensors");
    let data = b"pretend weights".to_vec();
    std::fs::write(&path, &data).unwrap();
    let good =
        FileSpec { path: "model.safetensors".into(), size: Some(data.len() as u64), sha256: Some(sha256_hex(&data)) };
    assert_eq!(verify_file("tiny", &path, &good).unwrap(), (data.len() as u64, sha256_hex(&data)));
    // Same size, one byte changed: the digest catches it and the file is removed.
    let mut bad = data.clone();
    bad[0] ^= 1;
    std::fs::write(&path, &bad).unwrap();
    let err = verify_file("tiny", &path, &good).unwrap_err();
    assert!(matches!(err, ClipError::Verification { what: "sha256", .. }), "{err}");
    assert!(err.to_string().contains("clipvg weights fetch tiny"), "{err}");
    assert!(!path.exists(), "a corrupt file is deleted");
    // Wrong size.
    std::fs::write(&path, b"short").unwrap();
    let err = verify_file("tiny", &path, &good).unwrap_err();
    assert!(matches!(err, ClipError::Verification { what: "size", .. }), "{err}");
}

#[test]
fn offline_fetch_names_both_ways_to_get_weights() {
    let dir = tempfile::tempdir().unwrap();
    let hub = Hub { endpoint: OFFLINE.into(), cache: dir.path().to_path_buf() };
    let registry = Registry::builtin().unwrap();
    let err = hub.resolve("clip-vit-base-patch32", &registry, &mut |_| {}).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, ClipError::Download { .. }), "{msg}");
    assert!(msg.contains("clipvg weights fetch clip-vit-base-patch32"), "{msg}");
    assert!(msg.contains("--model PATH"), "{msg}");
    assert!(msg.contains("127.0.0.1:9"), "{msg}");
    // Unknown names and non-folders get their own message.
    let err = hub.resolve("no-such-model", &registry, &mut |_| {}).unwrap_err();
    assert!(
        matches!(err, ClipError::UnknownModel { .. }) && err.to_string().contains("clip-vit-base-patch32"),
        "{err}"
    );
    // A local folder is used as is, without the network.
    let a = clip_common::fixtures().join("A");
    assert_eq!(hub.resolve(a.to_str().unwrap(), &registry, &mut |_| {}).unwrap(), a);
}

#[test]
fn resolve_model_reads_the_environment() {
    // The environment is the process's: this test runs itself again in a child process (this
    // test binary, this test only) with the variables set there, so no other test sees them.
    const CHILD: &str = "CLIPVG_TEST_CHILD_CACHE";
    let Some(cache) = std::env::var_os(CHILD) else {
        let dir = tempfile::tempdir().unwrap();
        let test = module_path!().split_once("::").map_or("", |(_, m)| m).to_string()
            + "::resolve_model_reads_the_environment";
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", &test, "--test-threads", "1"])
            .env(CHILD, dir.path())
            .env("CLIPVG_CACHE", dir.path())
            .env("CLIPVG_HUB_ENDPOINT", OFFLINE)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
        assert!(stdout.contains("1 passed"), "the child ran no test: {stdout}");
        return;
    };
    let hub = Hub::from_env().unwrap();
    assert_eq!(hub.cache, Path::new(&cache));
    assert_eq!(hub.endpoint, OFFLINE);
    let err = clipvg::clip::resolve_model("clip-vit-base-patch32", &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("--model PATH"), "{err}");
    assert!(!Path::new(&cache).join("models/clip-vit-base-patch32/model.safetensors").exists());
}

#[test]
fn fetch_resumes_verifies_and_caches() {
    let weights: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let config = br#"{"model_type":"clip"}"#.to_vec();
    let (endpoint, log) = serve(vec![("/model.safetensors", weights.clone()), ("/config.json", config.clone())], 8);
    let dir = tempfile::tempdir().unwrap();
    let hub = Hub { endpoint, cache: dir.path().to_path_buf() };
    let e = entry(vec![
        FileSpec { path: "config.json".into(), size: None, sha256: None },
        FileSpec {
            path: "model.safetensors".into(),
            size: Some(weights.len() as u64),
            sha256: Some(sha256_hex(&weights)),
        },
    ]);
    // An interrupted earlier download left the first 30 000 bytes.
    let model_dir = hub.model_dir("tiny");
    std::fs::create_dir_all(&model_dir).unwrap();
    std::fs::write(model_dir.join("model.safetensors.part"), &weights[..30_000]).unwrap();
    let mut last = 0;
    let got = hub.fetch(&e, &mut |p| last = p.done).unwrap();
    assert_eq!(got, model_dir);
    assert_eq!(last, weights.len() as u64, "progress reaches the total");
    assert_eq!(std::fs::read(model_dir.join("model.safetensors")).unwrap(), weights);
    assert!(!model_dir.join("model.safetensors.part").exists());
    assert!(
        log.lock().unwrap().iter().any(|l| l.contains("model.safetensors range=Some(30000)")),
        "{:?}",
        log.lock().unwrap()
    );
    // The manifest records the trust-on-first-use digest of config.json.
    let manifest = hub.manifest("tiny").unwrap();
    let cfg = manifest.files.iter().find(|f| f.path == "config.json").unwrap();
    assert_eq!(cfg.sha256.as_deref(), Some(sha256_hex(&config).as_str()));
    assert!(hub.is_cached(&e));
    // A cached model resolves without the network.
    let requests = log.lock().unwrap().len();
    let registry = Registry { default: "tiny".into(), models: vec![e.clone()] };
    assert_eq!(hub.resolve("tiny", &registry, &mut |_| {}).unwrap(), model_dir);
    assert_eq!(log.lock().unwrap().len(), requests);
    // Tampering after the first download is caught by the recorded digest on the next fetch.
    std::fs::write(model_dir.join("config.json"), br#"{"model_type":"evil"}"#).unwrap();
    let err = hub.fetch(&e, &mut |_| {}).unwrap_err();
    assert!(matches!(err, ClipError::Verification { .. }), "{err}");
}

#[test]
fn fetch_rejects_a_corrupt_download() {
    let served = b"these are not the bytes you pinned".to_vec();
    let (endpoint, _) = serve(vec![("/model.safetensors", served.clone()), ("/config.json", b"{}".to_vec())], 4);
    let dir = tempfile::tempdir().unwrap();
    let hub = Hub { endpoint, cache: dir.path().to_path_buf() };
    let e = entry(vec![
        FileSpec { path: "config.json".into(), size: None, sha256: None },
        FileSpec { path: "model.safetensors".into(), size: None, sha256: Some(sha256_hex(b"the real weights")) },
    ]);
    let err = hub.fetch(&e, &mut |_| {}).unwrap_err();
    assert!(matches!(err, ClipError::Verification { what: "sha256", .. }), "{err}");
    assert!(!hub.model_dir("tiny").join("model.safetensors").exists());
    assert!(hub.manifest("tiny").is_none());
}
