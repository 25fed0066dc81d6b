//! Known checkpoints (`weights/registry.json`, embedded), the user's weights cache, and fetching
//! from a HuggingFace hub.
//!
//! Cache layout: `<cache>/models/<name>/<file>` plus `<cache>/models/<name>/manifest.json`
//! (revision and sha256 of every file, written after a verified download). `<cache>` is
//! `$CLIPVG_CACHE`, else `$XDG_CACHE_HOME/clipvg` (when absolute), else `~/.cache/clipvg` (`~`
//! from `$HOME`, else the user database). Downloads go to
//! `<file>.part`, resume from it with an HTTP range request, are verified (registry sha256, else
//! registry size, else trust on first use) and renamed into place only when complete.
//! The hub is `$CLIPVG_HUB_ENDPOINT`, else `https://huggingface.co`.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{CONFIG_FILE, ClipError, WEIGHTS_FILE};

static REGISTRY_JSON: &str = include_str!("../../weights/registry.json");

/// The hub used when `$CLIPVG_HUB_ENDPOINT` is not set.
pub const DEFAULT_HUB_ENDPOINT: &str = "https://huggingface.co";
const MANIFEST_FILE: &str = "manifest.json";

/// One file of a checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileSpec {
    pub path: String,
    /// Size in bytes, when known.
    #[serde(default)]
    pub size: Option<u64>,
    /// Lower-case hex sha256, when known.
    #[serde(default)]
    pub sha256: Option<String>,
}

/// One known checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelEntry {
    pub name: String,
    /// Hub repository, `owner/name`.
    pub repo: String,
    /// Commit (or branch) on the hub.
    pub revision: String,
    pub description: String,
    pub licence: String,
    pub files: Vec<FileSpec>,
}

/// The registry of known checkpoints.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Registry {
    pub default: String,
    pub models: Vec<ModelEntry>,
}

impl Registry {
    /// The registry built into this binary.
    pub fn builtin() -> Result<Self, ClipError> {
        Self::from_json(REGISTRY_JSON)
    }

    /// Parses and checks a registry.
    pub fn from_json(json: &str) -> Result<Self, ClipError> {
        let registry: Registry = serde_json::from_str(json).map_err(|e| ClipError::Registry(e.to_string()))?;
        for entry in &registry.models {
            for file in [CONFIG_FILE, WEIGHTS_FILE] {
                if !entry.files.iter().any(|f| f.path == file) {
                    return Err(ClipError::Registry(format!("{} lacks {file}", entry.name)));
                }
            }
            let safe = |s: &str| !s.is_empty() && !s.contains("..") && !s.starts_with('/');
            if !safe(&entry.name) || entry.name.contains('/') || !entry.files.iter().all(|f| safe(&f.path)) {
                return Err(ClipError::Registry(format!("unsafe name or path in {}", entry.name)));
            }
        }
        if registry.get(&registry.default).is_none() {
            return Err(ClipError::Registry(format!("default {} is not listed", registry.default)));
        }
        Ok(registry)
    }

    pub fn get(&self, name: &str) -> Option<&ModelEntry> {
        self.models.iter().find(|m| m.name == name)
    }

    fn known_names(&self) -> String {
        self.models.iter().map(|m| m.name.as_str()).collect::<Vec<_>>().join(", ")
    }
}

/// Download progress of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchProgress<'a> {
    pub model: &'a str,
    pub file: &'a str,
    pub done: u64,
    pub total: Option<u64>,
}

/// What was recorded about a cached checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub repo: String,
    pub revision: String,
    /// Every file with its size and sha256 as downloaded.
    pub files: Vec<FileSpec>,
}

/// A hub endpoint and a local cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hub {
    pub endpoint: String,
    pub cache: PathBuf,
}

/// The weights cache folder from the environment (see the module docs).
pub fn cache_dir_from_env() -> Result<PathBuf, ClipError> {
    use etcetera::BaseStrategy as _;
    if let Some(dir) = std::env::var_os("CLIPVG_CACHE").filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    // `$XDG_CACHE_HOME` (when absolute), else `~/.cache`, on every platform.
    etcetera::base_strategy::Xdg::new().map(|xdg| xdg.cache_dir().join("clipvg")).map_err(|_| {
        ClipError::Registry("no cache folder: set CLIPVG_CACHE (or HOME) to where weights should be kept".into())
    })
}

impl Hub {
    /// `$CLIPVG_HUB_ENDPOINT` (else huggingface.co) and the cache from [`cache_dir_from_env`].
    pub fn from_env() -> Result<Self, ClipError> {
        let endpoint = std::env::var("CLIPVG_HUB_ENDPOINT")
            .ok()
            .filter(|e| !e.is_empty())
            .unwrap_or_else(|| DEFAULT_HUB_ENDPOINT.to_string());
        Ok(Self { endpoint: endpoint.trim_end_matches('/').to_string(), cache: cache_dir_from_env()? })
    }

    /// Where a checkpoint lives in the cache.
    pub fn model_dir(&self, name: &str) -> PathBuf {
        self.cache.join("models").join(name)
    }

    /// The download address of one file.
    pub fn url(&self, entry: &ModelEntry, file: &FileSpec) -> String {
        format!("{}/{}/resolve/{}/{}", self.endpoint, entry.repo, entry.revision, file.path)
    }

    /// The cached manifest of a checkpoint, if it was fetched completely.
    pub fn manifest(&self, name: &str) -> Option<Manifest> {
        let bytes = std::fs::read(self.model_dir(name).join(MANIFEST_FILE)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Whether a checkpoint is cached for this revision with every file at its recorded size.
    pub fn is_cached(&self, entry: &ModelEntry) -> bool {
        let dir = self.model_dir(&entry.name);
        self.manifest(&entry.name).is_some_and(|m| {
            m.revision == entry.revision
                && m.files.iter().all(|f| std::fs::metadata(dir.join(&f.path)).is_ok_and(|md| Some(md.len()) == f.size))
        })
    }

    /// Downloads (or resumes) every file of a checkpoint, verifies it and writes the manifest.
    /// Files already complete are re-verified instead of downloaded.
    pub fn fetch(&self, entry: &ModelEntry, progress: &mut dyn FnMut(&FetchProgress)) -> Result<PathBuf, ClipError> {
        let dir = self.model_dir(&entry.name);
        std::fs::create_dir_all(&dir).map_err(|e| ClipError::io(&dir, e))?;
        let previous = self.manifest(&entry.name).filter(|m| m.revision == entry.revision);
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_connect(Some(Duration::from_secs(15)))
            .timeout_recv_response(Some(Duration::from_secs(60)))
            .http_status_as_error(false)
            .build()
            .into();
        let mut recorded = Vec::new();
        for file in &entry.files {
            let path = dir.join(&file.path);
            // A file from an earlier fetch of the same revision must match what was recorded then.
            let pin = match previous.as_ref().and_then(|m| m.files.iter().find(|f| f.path == file.path)) {
                Some(seen) if file.sha256.is_none() => FileSpec { sha256: seen.sha256.clone(), ..file.clone() },
                _ => file.clone(),
            };
            if !path.is_file() {
                self.download(&agent, entry, file, &path, progress)?;
            }
            let (size, sha256) = verify_file(&entry.name, &path, &pin)?;
            recorded.push(FileSpec { path: file.path.clone(), size: Some(size), sha256: Some(sha256) });
        }
        let manifest = Manifest { repo: entry.repo.clone(), revision: entry.revision.clone(), files: recorded };
        let json = serde_json::to_vec_pretty(&manifest).map_err(|e| ClipError::Registry(e.to_string()))?;
        write_atomic(&dir.join(MANIFEST_FILE), &json)?;
        Ok(dir)
    }

    fn download(
        &self,
        agent: &ureq::Agent,
        entry: &ModelEntry,
        file: &FileSpec,
        dest: &Path,
        progress: &mut dyn FnMut(&FetchProgress),
    ) -> Result<(), ClipError> {
        let url = self.url(entry, file);
        let fail = |message: String| ClipError::Download { name: entry.name.clone(), url: url.clone(), message };
        let part = dest.with_file_name(format!("{}.part", file.path));
        let have = std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
        let mut request = agent.get(&url);
        if have > 0 {
            request = request.header("Range", format!("bytes={have}-"));
        }
        let response = request.call().map_err(|e| fail(e.to_string()))?;
        let status = response.status().as_u16();
        let resumed = match status {
            206 => true,
            200 => false,
            // The .part is already complete (or longer than the file): start again.
            416 => {
                std::fs::remove_file(&part).map_err(|e| ClipError::io(&part, e))?;
                return self.download(agent, entry, file, dest, progress);
            }
            _ => return Err(fail(format!("the server answered HTTP {status}"))),
        };
        let mut out = std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .append(resumed)
            .truncate(!resumed)
            .open(&part)
            .map_err(|e| ClipError::io(&part, e))?;
        let mut done = if resumed { have } else { 0 };
        let total = file.size.or_else(|| response.body().content_length().map(|n| n + done));
        let mut body = response.into_body().into_reader();
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = body
                .read(&mut buf)
                .map_err(|e| fail(format!("connection lost ({e}); run the command again to resume")))?;
            if n == 0 {
                break;
            }
            out.write_all(&buf[..n]).map_err(|e| ClipError::io(&part, e))?;
            done += n as u64;
            progress(&FetchProgress { model: &entry.name, file: &file.path, done, total });
        }
        out.sync_all().map_err(|e| ClipError::io(&part, e))?;
        drop(out);
        if let Some(expected) = total
            && done < expected
        {
            return Err(fail(format!("got {done} of {expected} bytes; run the command again to resume")));
        }
        std::fs::rename(&part, dest).map_err(|e| ClipError::io(dest, e))
    }
}

/// Checks a file against its pins and returns its size and sha256. A file that fails is removed,
/// so the next fetch downloads it again.
pub fn verify_file(model: &str, path: &Path, spec: &FileSpec) -> Result<(u64, String), ClipError> {
    let mut file = std::fs::File::open(path).map_err(|e| ClipError::io(path, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(|e| ClipError::io(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    let digest: String = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
    let reject = |what: &'static str, expected: String, found: String| {
        let _ = std::fs::remove_file(path);
        Err(ClipError::Verification { name: model.to_string(), path: path.to_path_buf(), what, expected, found })
    };
    if let Some(expected) = spec.size
        && expected != size
    {
        return reject("size", format!("{expected} bytes"), format!("{size} bytes"));
    }
    if let Some(expected) = &spec.sha256
        && !expected.eq_ignore_ascii_case(&digest)
    {
        return reject("sha256", expected.clone(), digest);
    }
    Ok((size, digest))
}

/// clipvg's one atomic writer ([`clipvg_document::fs::write_atomic`]), its I/O error as ours.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ClipError> {
    clipvg_document::fs::write_atomic(path, bytes).map_err(|e| match e {
        clipvg_document::Error::Io { path, source } => ClipError::Io { path, source },
        other => ClipError::io(path, std::io::Error::other(other.to_string())),
    })
}

/// A model folder for `--model NAME|PATH`: an existing folder is used as is; a registry name is
/// looked up in the cache and fetched on first use (reporting through `progress`).
pub fn resolve_model(name_or_path: &str, progress: &mut dyn FnMut(&FetchProgress)) -> Result<PathBuf, ClipError> {
    Hub::from_env()?.resolve(name_or_path, &Registry::builtin()?, progress)
}

impl Hub {
    /// [`resolve_model`] with an explicit hub and registry.
    pub fn resolve(
        &self,
        name_or_path: &str,
        registry: &Registry,
        progress: &mut dyn FnMut(&FetchProgress),
    ) -> Result<PathBuf, ClipError> {
        let path = Path::new(name_or_path);
        if path.is_dir() {
            return Ok(path.to_path_buf());
        }
        let Some(entry) = registry.get(name_or_path) else {
            if path.exists() {
                return Err(ClipError::Config {
                    path: path.to_path_buf(),
                    message: "--model must be a folder with config.json and model.safetensors".into(),
                });
            }
            return Err(ClipError::UnknownModel { name: name_or_path.to_string(), known: registry.known_names() });
        };
        if self.is_cached(entry) {
            return Ok(self.model_dir(&entry.name));
        }
        self.fetch(entry, progress)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Prints [`cache_dir_from_env`] under the environment it is run with: run by
    /// `cache_dir_precedence` in a child process.
    #[test]
    #[ignore = "a probe run by cache_dir_precedence with its own environment"]
    fn cache_dir_probe() {
        println!("DIR={}", cache_dir_from_env().unwrap().display());
    }

    #[test]
    #[cfg(unix)] // the paths below are absolute on Unix only
    fn cache_dir_precedence() {
        let probe = |env: &[(&str, &str)]| {
            let mut cmd = std::process::Command::new(std::env::current_exe().unwrap());
            cmd.args(["--exact", "registry::tests::cache_dir_probe", "--ignored", "--nocapture"]);
            for var in ["CLIPVG_CACHE", "XDG_CACHE_HOME"] {
                cmd.env_remove(var);
            }
            cmd.envs(env.iter().copied());
            let out = String::from_utf8(cmd.output().unwrap().stdout).unwrap();
            out.lines().find_map(|l| l.strip_prefix("DIR=")).map(PathBuf::from).expect("the probe ran")
        };
        let all = [("CLIPVG_CACHE", "/c"), ("XDG_CACHE_HOME", "/x"), ("HOME", "/h")];
        assert_eq!(probe(&all), Path::new("/c"));
        assert_eq!(probe(&all[1..]), Path::new("/x/clipvg"));
        assert_eq!(probe(&all[2..]), Path::new("/h/.cache/clipvg"));
        // Empty variables count as unset.
        assert_eq!(probe(&[("CLIPVG_CACHE", ""), ("XDG_CACHE_HOME", "/x")]), Path::new("/x/clipvg"));
    }
}
