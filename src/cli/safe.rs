//! Log content on a terminal: a record is data, not commands. Control characters (ESC, CR, LF,
//! C1 codes) and the bidirectional overrides that reorder text on screen are written escaped
//! (`\x1b`, `\r`, `\n`, `\u{202e}`), so a field cannot clear the screen, move the cursor or fake
//! an output line. JSON output (`--json`) is left exact: JSON already escapes controls.

use std::borrow::Cow;

/// Whether `c` must not reach a terminal as it is.
fn unsafe_char(c: char, keep_newlines: bool) -> bool {
    (c.is_control() && !(keep_newlines && (c == '\n' || c == '\t')))
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

fn escape(text: &str, keep_newlines: bool) -> Cow<'_, str> {
    if !text.chars().any(|c| unsafe_char(c, keep_newlines)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !unsafe_char(c, keep_newlines) {
            out.push(c);
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x100 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    Cow::Owned(out)
}

/// One value on one line: every control character escaped.
pub fn safe(text: &str) -> Cow<'_, str> {
    escape(text, false)
}

/// A block that has its own lines (a raw record): newlines and tabs kept, the rest escaped.
pub fn safe_block(text: &str) -> Cow<'_, str> {
    escape(text, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_overrides_are_escaped_and_plain_text_is_untouched() {
        assert!(matches!(safe("alice@example.com"), Cow::Borrowed(_)));
        assert_eq!(safe("a\x1b[2Jb"), "a\\x1b[2Jb");
        assert_eq!(safe("fake\r\nline"), "fake\\r\\nline");
        assert_eq!(safe("evil\u{202e}txt.exe"), "evil\\u{202e}txt.exe");
        assert_eq!(safe("\u{9b}31m"), "\\x9b31m");
        assert_eq!(
            safe_block("{\n\t\"a\": \"\x07\"\n}"),
            "{\n\t\"a\": \"\\x07\"\n}"
        );
    }
}
