//! Input echoed in messages: escaped and bounded, so a hostile name (a 1 MiB action name, an id
//! with terminal escapes or bidirectional overrides) can neither make a message huge nor garble
//! the terminal or dialog that shows it. Used by every clipvg crate that builds messages; std
//! only, so light crates (and the fuzz targets) share it.

/// The longest piece of user input (an action name, an id, a model name) echoed in a message,
/// in characters.
pub const MAX_ECHO_CHARS: usize = 100;

/// Characters a message must not carry raw: control characters (C0, DEL, C1, which include line
/// breaks and terminal escapes) and the invisible Unicode controls that reorder or hide text
/// (bidirectional overrides and isolates, zero-width characters, the BOM).
pub fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// `text` with every character of [`needs_escape`] written as `\u{…}` (`\n`, `\t`, `\r` as
/// such), cut to at most `max_chars` characters of output, ending in "…" when cut.
pub fn escape(text: &str, max_chars: usize) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(text.len().min(4096));
    let mut count = 0usize;
    let mut piece = String::new();
    for c in text.chars() {
        piece.clear();
        match c {
            '\n' => piece.push_str("\\n"),
            '\t' => piece.push_str("\\t"),
            '\r' => piece.push_str("\\r"),
            c if needs_escape(c) => {
                let _ = write!(piece, "\\u{{{:x}}}", c as u32);
            }
            c => piece.push(c),
        }
        let n = piece.chars().count();
        if count.saturating_add(n) > max_chars {
            out.push('…');
            return out;
        }
        count += n;
        out.push_str(&piece);
    }
    out
}

/// A piece of user input as a message echoes it: escaped and at most [`MAX_ECHO_CHARS`]
/// characters.
pub fn echo(input: &str) -> String {
    escape(input, MAX_ECHO_CHARS)
}

/// `text` with every piece between two `quote` characters (where a message echoes input) cut
/// to [`MAX_ECHO_CHARS`] characters and escaped.
pub fn bound_quoted(text: &str, quote: char) -> String {
    let mut out = String::with_capacity(text.len().min(4096));
    for (i, piece) in text.split(quote).enumerate() {
        if i > 0 {
            out.push(quote);
        }
        if i % 2 == 1 { out.push_str(&echo(piece)) } else { out.push_str(piece) }
    }
    out
}
