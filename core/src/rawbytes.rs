//! Bytes that are not UTF-8, carried in a `String`.
//!
//! Owns one encoding and nothing else. The original read service files as
//! bytes and handed them to execve as they were: a Latin-1 argument, or a
//! `\xff` escape, ran. Our definitions hold Strings (they travel as JSON in
//! the protocol and the hand-over state, and are shown everywhere), so a
//! byte that is not part of valid UTF-8 is kept as one code point of its
//! own, U+10FF00 plus the byte (the last 128 code points of the last
//! private-use plane, 0x80 to 0xFF), and turned back into the byte where
//! bytes leave init: the argv and the tty path of a service, and what
//! `service dumpscript` writes. Anywhere else it is shown as U+FFFD.
//!
//! It is the idea of Python's `surrogateescape`, which a Rust String cannot
//! hold (lone surrogates are not chars). Bytes always come back as they
//! were: a file that holds one of those 128 code points itself, as UTF-8,
//! has its four bytes kept as four stand-ins, so that no code point of the
//! file is ever mistaken for a stand-in. Such a character then shows as
//! U+FFFD; no text has a use for them.

use std::borrow::Cow;

/// The code point that stands for byte 0x00 (only 0x80 to 0xFF are used).
const BASE: u32 = 0x10_FF00;

/// `bytes` as text: valid UTF-8 as it is, every byte of an invalid
/// sequence as the code point that stands for it, and so is every byte of
/// a stand-in code point the bytes hold as UTF-8 ([`to_bytes`] gives back
/// exactly `bytes`).
pub fn from_bytes(bytes: &[u8]) -> Cow<'_, str> {
    if let Ok(text) = std::str::from_utf8(bytes) {
        if !has_raw_bytes(text) {
            return Cow::Borrowed(text);
        }
    }
    let mut text = String::with_capacity(bytes.len() + 8);
    let mut utf8 = [0u8; 4];
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match byte_of(c) {
                Some(_) => text.extend(c.encode_utf8(&mut utf8).bytes().map(stand_in)),
                None => text.push(c),
            }
        }
        text.extend(chunk.invalid().iter().map(|&byte| stand_in(byte)));
    }
    Cow::Owned(text)
}

/// The code point that stands for `byte`.
fn stand_in(byte: u8) -> char {
    // Every value from BASE + 0x80 to BASE + 0xFF is a char (no surrogate,
    // at most U+10FFFF); an invalid sequence never holds a byte below 0x80.
    char::from_u32(BASE + u32::from(byte)).unwrap_or(char::REPLACEMENT_CHARACTER)
}

/// The byte `c` stands for, if it is a stand-in.
fn byte_of(c: char) -> Option<u8> {
    let value = u32::from(c).checked_sub(BASE)?;
    u8::try_from(value).ok().filter(|byte| *byte >= 0x80)
}

/// Whether `text` holds any stand-in.
pub fn has_raw_bytes(text: &str) -> bool {
    text.chars().any(|c| byte_of(c).is_some())
}

/// The bytes `text` stands for: its UTF-8, with every stand-in turned back
/// into its byte.
pub fn to_bytes(text: &str) -> Cow<'_, [u8]> {
    if !has_raw_bytes(text) {
        return Cow::Borrowed(text.as_bytes());
    }
    let mut bytes = Vec::with_capacity(text.len());
    let mut utf8 = [0u8; 4];
    for c in text.chars() {
        match byte_of(c) {
            Some(byte) => bytes.push(byte),
            None => bytes.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes()),
        }
    }
    Cow::Owned(bytes)
}

/// `text` for showing: every stand-in as U+FFFD.
pub fn lossy(text: &str) -> Cow<'_, str> {
    if !has_raw_bytes(text) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| match byte_of(c) {
                Some(_) => char::REPLACEMENT_CHARACTER,
                None => c,
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_utf8_passes_unchanged_and_borrowed() {
        assert!(matches!(from_bytes("é x".as_bytes()), Cow::Borrowed("é x")));
        assert!(matches!(to_bytes("é x"), Cow::Borrowed(b) if b == "é x".as_bytes()));
    }

    #[test]
    fn every_byte_that_is_not_utf8_comes_back_as_itself() {
        // Latin-1, a lone continuation byte, a cut sequence, 0xff, and
        // valid UTF-8 between them.
        let cases: [&[u8]; 5] = [
            b"caf\xe9",
            b"\x80",
            b"\xc3",
            b"a\xffb\xc3\xa9\xfe",
            b"\xe2\x82",
        ];
        for bytes in cases {
            let text = from_bytes(bytes);
            assert!(has_raw_bytes(&text), "{bytes:?}");
            assert_eq!(&*to_bytes(&text), bytes);
            assert!(!lossy(&text).chars().any(|c| byte_of(c).is_some()));
        }
        assert_eq!(lossy(&from_bytes(b"caf\xe9")), "caf\u{fffd}");
        // Every byte from 0x80 up has a stand-in of its own.
        let all: Vec<u8> = (0x80..=0xff).collect();
        assert_eq!(&*to_bytes(&from_bytes(&all)), &all[..]);
    }

    #[test]
    fn a_stand_in_written_as_utf8_keeps_its_bytes_too() {
        // U+10FF80 and U+10FFFF themselves, in a file: their bytes come
        // back, not the bytes 0x80 and 0xff.
        for c in ['\u{10ff80}', '\u{10ffff}'] {
            let bytes = format!("a{c}b").into_bytes();
            let text = from_bytes(&bytes);
            assert_eq!(&*to_bytes(&text), &bytes[..]);
            assert_eq!(lossy(&text), "a\u{fffd}\u{fffd}\u{fffd}\u{fffd}b");
        }
    }
}
