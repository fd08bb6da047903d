//! Text that is not UTF-8: Windows tools write logs in UTF-16 with a byte order mark. Such a file
//! is decoded to UTF-8 as it is read (by `encoding_rs_io`), so records, offsets and raw bytes are
//! those of the decoded text; the file's SHA-256 stays that of its bytes on disk. UTF-32, which
//! `encoding_rs` does not decode, is refused with a clear reason rather than read as garbage.

use std::io::{Cursor, Read};

use encoding_rs::Encoding;
use encoding_rs_io::DecodeReaderBytesBuilder;

/// What a file's byte order mark says.
pub enum Bom {
    /// None, or UTF-8's: read as it is.
    None,
    Decodable(&'static Encoding),
    /// An encoding that is not read, by name.
    Unsupported(&'static str),
}

pub fn by_bom(head: &[u8]) -> Bom {
    // UTF-32LE's mark begins with UTF-16LE's: test it first.
    if head.starts_with(&[0xff, 0xfe, 0, 0]) {
        return Bom::Unsupported("UTF-32LE");
    }
    if head.starts_with(&[0, 0, 0xfe, 0xff]) {
        return Bom::Unsupported("UTF-32BE");
    }
    if head.starts_with(&[0xff, 0xfe]) {
        return Bom::Decodable(encoding_rs::UTF_16LE);
    }
    if head.starts_with(&[0xfe, 0xff]) {
        return Bom::Decodable(encoding_rs::UTF_16BE);
    }
    Bom::None
}

/// `head` and then `rest`, decoded from `encoding` to UTF-8 without its byte order mark.
/// Invalid sequences become U+FFFD, as `encoding_rs` does.
pub fn decode<'r, R: Read + Send + 'r>(
    head: Vec<u8>,
    rest: R,
    encoding: &'static Encoding,
) -> Box<dyn Read + Send + 'r> {
    Box::new(
        DecodeReaderBytesBuilder::new()
            .encoding(Some(encoding))
            .bom_override(true)
            .build(Cursor::new(head).chain(rest)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(text: &str) -> Vec<u8> {
        let mut out = vec![0xff, 0xfe];
        for unit in text.encode_utf16() {
            out.extend(unit.to_le_bytes());
        }
        out
    }

    #[test]
    fn utf16_is_decoded_and_utf32_named() {
        let bytes = utf16le("a,b\n1,é\n");
        let Bom::Decodable(enc) = by_bom(&bytes) else {
            panic!("utf-16 not recognized");
        };
        let (head, rest) = bytes.split_at(5);
        let mut text = String::new();
        decode(head.to_vec(), rest, enc)
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "a,b\n1,é\n");
        assert!(matches!(
            by_bom(&[0xff, 0xfe, 0, 0, b'a', 0, 0, 0]),
            Bom::Unsupported("UTF-32LE")
        ));
        assert!(matches!(by_bom(b"{\"a\":1}"), Bom::None));
    }
}
