//! The CLIP tokenizer against transformers' fast tokenizer on the 36 reference strings
//! (`tests/fixtures/clip/tokenizer_tests.json`, from the shared clip-reference).

use crate::clip_common;

use clip_common::*;
use clipvg::clip::{CONTEXT_LENGTH, ClipError, ClipTokenizer};

#[test]
fn all_reference_strings_give_transformers_ids() {
    let tokenizer = ClipTokenizer::default_clip().unwrap();
    let tests = golden("tokenizer_tests.json");
    let cases = tests["tests"].as_array().unwrap();
    assert_eq!(cases.len(), 36);
    for case in cases {
        let text = case["text"].as_str().unwrap();
        let enc = tokenizer.encode(text).unwrap();
        let got: Vec<i64> = enc.ids.iter().map(|&i| i64::from(i)).collect();
        assert_eq!(got, i64s(&case["input_ids"]), "input_ids of {text:?}");
        // The reference counts BOS and EOS; `num_tokens` does not.
        assert_eq!(enc.num_tokens + 2, case["n_tokens_untruncated"].as_u64().unwrap() as usize, "{text:?}");
        assert_eq!(enc.is_truncated(), enc.num_tokens > 75);
    }
}

#[test]
fn framing_truncation_and_padding() {
    let tokenizer = ClipTokenizer::default_clip().unwrap();
    assert_eq!(tokenizer.special_ids(), (49406, 49407));
    let empty = tokenizer.encode("").unwrap();
    assert_eq!(&empty.ids[..3], &[49406, 49407, 49407]);
    let long = "a very long caption ".repeat(40);
    let enc = tokenizer.encode(&long).unwrap();
    assert!(enc.is_truncated());
    assert_eq!(enc.ids[0], 49406);
    assert_eq!(enc.ids[CONTEXT_LENGTH - 1], 49407);
    assert!(enc.ids[1..CONTEXT_LENGTH - 1].iter().all(|&i| i != 49407), "75 text tokens kept");
    let batch = tokenizer.encode_batch(&["photo", "a photo of a cat"]).unwrap();
    assert_eq!(batch.len(), 2);
    assert_eq!(&batch[0][..4], &[49406, 1125, 49407, 49407]);
}

#[test]
fn tokenizer_files_of_model_folders() {
    // Model A has no tokenizer.json: the embedded one is used.
    let from_folder = ClipTokenizer::for_model(&fixtures().join("A")).unwrap();
    let embedded = ClipTokenizer::default_clip().unwrap();
    assert_eq!(from_folder.encode("hello world").unwrap(), embedded.encode("hello world").unwrap());
    // A file on disk works the same.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokenizer.json");
    std::fs::copy(PathBufExt::weights_tokenizer(), &path).unwrap();
    let loaded = ClipTokenizer::load(&path).unwrap();
    assert_eq!(loaded.encode("hello world").unwrap(), embedded.encode("hello world").unwrap());
}

#[test]
fn bad_tokenizer_files_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, &[u8], &str); 3] = [
        ("garbage.json", b"{ not json", "not a HuggingFace tokenizer.json"),
        ("binary.json", &[0xff, 0xfe, 0x00, 0x80], "not UTF-8"),
        ("nospecial.json", br#"{"version":"1.0","truncation":null,"padding":null,"added_tokens":[],"normalizer":null,"pre_tokenizer":null,"post_processor":null,"decoder":null,"model":{"type":"WordLevel","vocab":{"a":0},"unk_token":"a"}}"#, "<|startoftext|>"),
    ];
    for (name, bytes, needle) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let err = ClipTokenizer::load(&path).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, ClipError::Tokenizer { .. }), "{name}: {msg}");
        assert!(msg.contains(name) && msg.contains(needle), "{name}: {msg}");
    }
    let missing = ClipTokenizer::load(&dir.path().join("absent.json")).unwrap_err();
    assert!(missing.to_string().contains("absent.json"), "{missing}");
}

struct PathBufExt;
impl PathBufExt {
    fn weights_tokenizer() -> std::path::PathBuf {
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("weights/tokenizer.json")
    }
}
