//! The byte-preserving editor of the AWS ini files, as pure functions over text (no I/O).
//!
//! The files are read the way botocore reads them, with Python's `configparser`
//! (`RawConfigParser`, strict mode):
//!
//! - lines end with `\n`, `\r\n` or a lone `\r`; each line keeps its own ending, the last
//!   line may have none, and a leading U+FEFF (byte-order mark) stays part of the first
//!   line's bytes while being ignored when the line is classified (botocore itself, reading
//!   with a plain UTF-8 codec, would reject such a file);
//! - `[section]` headers: the name is the text between `[` and the *last* `]` of the line,
//!   trimmed (configparser itself does not trim: to botocore `[ dev ]` is a section named
//!   ` dev `, so such a header and `[dev]` in one file are refused as duplicates rather than
//!   guessed at); anything after that `]` is ignored, as configparser does;
//! - `key = value` lines: the key is the text before the first `=` or `:`, trimmed; keys
//!   compare case-insensitively, because configparser lower-cases option names (a user's
//!   `AWS_Access_Key_ID` and credtray's `aws_access_key_id` are the same key to botocore);
//! - comment lines: `#` or `;` after optional whitespace; blank lines;
//! - continuation lines: a line indented deeper than the key line above it continues that
//!   key's value, even across blank and comment lines (nested settings such as
//!   `s3 =\n    max_concurrent_requests = 10`).
//!
//! Anything else is malformed and reported with its 1-based line number — including a line
//! that starts with `[` but is not a complete header, and `[]`, which configparser would
//! take for odd keys; so are a section that appears twice (names compared after trimming)
//! and a key that appears twice in one section, which botocore refuses.
//! Error messages never quote a line's text, since it may hold a secret.
//!
//! Edits work by content, not by offsets: [`apply`] returns a [`WriteRecord`] saying what it
//! changed, and [`revert`] finds credtray's lines again in whatever the file has become and
//! takes them out, byte for byte. Every function parses the whole text once and builds its
//! result with one pass of splicing, so the cost is linear in the size of the file.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;

use serde::{Deserialize, Serialize};

/// One key credtray wrote into a section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WrittenKey {
    /// The key name as written (`aws_access_key_id`, `region`, …).
    pub key: String,
    /// The whole original entry (its line with its line ending, plus any continuation
    /// lines of its value) that this key replaced, or `None` when the key was inserted.
    pub replaced: Option<String>,
}

/// What [`apply`] changed in one file, so that [`revert`] can undo exactly that.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteRecord {
    /// The section name (`default`, `dev`, `profile dev`, …).
    pub section: String,
    /// The section did not exist and credtray created it.
    pub created_section: bool,
    /// The keys written, in order.
    pub keys: Vec<WrittenKey>,
    /// The file lacked a final line ending and credtray added one before its own lines.
    #[serde(default)]
    pub added_final_newline: bool,
    /// credtray put one empty separator line before the section header it created.
    #[serde(default)]
    pub added_blank_line: bool,
}

impl WriteRecord {
    /// The same record with every `replaced` line dropped (used when those lines held
    /// secrets that are saved elsewhere). Reverting a redacted record removes those keys'
    /// lines instead of putting the user's lines back.
    pub fn redacted(&self) -> WriteRecord {
        WriteRecord {
            keys: self
                .keys
                .iter()
                .map(|k| WrittenKey {
                    key: k.key.clone(),
                    replaced: None,
                })
                .collect(),
            ..self.clone()
        }
    }
}

/// Why a text could not be parsed or edited. Parse errors carry a 1-based line number;
/// no message quotes the text of a line or a value, since those may hold secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IniError {
    /// A line that is neither a header, a `key = value` line, a continuation, a comment
    /// nor blank.
    #[error("line {line}: {reason}")]
    Malformed {
        /// 1-based line number.
        line: usize,
        /// What is wrong and what to do about it.
        reason: String,
    },
    /// The same section header appears twice.
    #[error(
        "line {second_line}: section [{section}] appears a second time (first on line \
         {first_line}); AWS tools refuse such a file: merge the two into one section"
    )]
    DuplicateSection {
        /// The section name.
        section: String,
        /// 1-based line of the first header.
        first_line: usize,
        /// 1-based line of the second header.
        second_line: usize,
    },
    /// The same key appears twice in one section.
    #[error(
        "line {second_line}: key `{key}` appears a second time in section [{section}] (first \
         on line {first_line}); AWS tools refuse such a file: keep only one of them"
    )]
    DuplicateKey {
        /// The section name.
        section: String,
        /// The key name (lower-cased, as AWS tools compare keys).
        key: String,
        /// 1-based line of the first occurrence.
        first_line: usize,
        /// 1-based line of the second occurrence.
        second_line: usize,
    },
    /// A section name credtray was asked to write cannot be written as a header.
    #[error("cannot write section [{section}]: {reason}")]
    InvalidSection {
        /// The section name as given.
        section: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A key credtray was asked to write cannot be written.
    #[error("cannot write key `{key}`: {reason}")]
    InvalidKey {
        /// The key as given.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A value credtray was asked to write cannot be written (the value is not shown).
    #[error("cannot write the value of `{key}`: {reason}")]
    InvalidValue {
        /// The key whose value was refused.
        key: String,
        /// What is wrong with the value.
        reason: String,
    },
    /// [`update_values`] found no such section: it was removed since credtray wrote it.
    #[error(
        "section [{section}] is no longer in the file (removed by hand?); write the \
         credentials again to recreate it"
    )]
    MissingSection {
        /// The section name.
        section: String,
    },
    /// A saved section block to restore is not one section with the expected name.
    #[error("cannot restore section [{section}]: {reason}")]
    InvalidBlock {
        /// The section name.
        section: String,
        /// What is wrong with the block.
        reason: String,
    },
}

impl IniError {
    /// The 1-based line number the error is about, for errors found while parsing a file.
    pub fn line(&self) -> Option<usize> {
        match self {
            IniError::Malformed { line, .. } => Some(*line),
            IniError::DuplicateSection { second_line, .. }
            | IniError::DuplicateKey { second_line, .. } => Some(*second_line),
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Parsing

const BOM: char = '\u{feff}';

/// Whitespace as Python's `str.isspace` sees it (what `strip()` and `\s` use).
fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// `s` without leading whitespace; fast on ASCII, exact on any text.
fn trim_start(s: &str) -> &str {
    let i = s
        .bytes()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\x0b' | b'\x0c' | b'\x1c'..=b'\x1f'))
        .unwrap_or(s.len());
    let rest = &s[i..];
    if rest.as_bytes().first().is_some_and(|b| !b.is_ascii()) {
        rest.trim_start_matches(is_space)
    } else {
        rest
    }
}

/// `s` without trailing whitespace; fast on ASCII, exact on any text.
fn trim_end(s: &str) -> &str {
    let i = s
        .bytes()
        .rposition(|b| !matches!(b, b' ' | b'\t' | b'\x0b' | b'\x0c' | b'\x1c'..=b'\x1f'))
        .map_or(0, |i| i + 1);
    let rest = &s[..i];
    if rest.as_bytes().last().is_some_and(|b| !b.is_ascii()) {
        rest.trim_end_matches(is_space)
    } else {
        rest
    }
}

fn trim(s: &str) -> &str {
    trim_end(trim_start(s))
}

/// The index of the first `\n` or `\r` in `b` at or after `i`, or `b.len()`: eight bytes
/// at a time.
fn next_break(b: &[u8], mut i: usize) -> usize {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    while let Some(chunk) = b.get(i..i + 8) {
        let Ok(bytes) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let x = u64::from_le_bytes(bytes);
        let n = x ^ (LO * u64::from(b'\n'));
        let r = x ^ (LO * u64::from(b'\r'));
        let found = (n.wrapping_sub(LO) & !n | r.wrapping_sub(LO) & !r) & HI;
        if found != 0 {
            return i + (found.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < b.len() && b[i] != b'\n' && b[i] != b'\r' {
        i += 1;
    }
    i
}

/// FNV-1a, for the table of section names (the file is the user's own: no flooding to
/// fear, and SipHash would be a good part of the parsing time).
#[derive(Default)]
struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type FnvMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<Fnv>>;

fn ends_with_break(s: &str) -> bool {
    s.ends_with('\n') || s.ends_with('\r')
}

/// Removes one trailing line ending (`\r\n`, `\n` or `\r`) from `s`, if any.
fn strip_one_break(s: &mut String) {
    if s.ends_with("\r\n") {
        s.truncate(s.len() - 2);
    } else if ends_with_break(s) {
        s.truncate(s.len() - 1);
    }
}

/// Key names compare as configparser's `optionxform` (`str.lower`) leaves them.
fn norm_key(k: &str) -> Cow<'_, str> {
    if k.is_ascii() && !k.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Borrowed(k)
    } else {
        Cow::Owned(k.to_lowercase())
    }
}

fn same_key(a: &str, b: &str) -> bool {
    if let (Some(x), Some(y)) = (a.as_bytes().first(), b.as_bytes().first()) {
        if x.is_ascii() && y.is_ascii() && !x.eq_ignore_ascii_case(y) {
            return false;
        }
    }
    if a.is_ascii() && b.is_ascii() {
        a.eq_ignore_ascii_case(b)
    } else {
        a.to_lowercase() == b.to_lowercase()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Blank,
    Comment,
    Header,
    Key,
    Continuation,
}

/// One line, as byte offsets into the text.
#[derive(Clone, Copy, Debug)]
struct Line {
    /// Start of the line (including a byte-order mark on the first line).
    start: usize,
    /// Start of the line's text after a byte-order mark.
    body: usize,
    /// End of the leading whitespace.
    indent_end: usize,
    /// End of the text, where the line ending starts.
    content_end: usize,
    /// End of the line ending.
    end: usize,
    kind: Kind,
    /// The header's or key's name (trimmed), as a byte range.
    name: (usize, usize),
}

/// A section: its header line and the line index after its last line.
#[derive(Clone, Copy, Debug)]
struct Section {
    header: usize,
    end: usize,
}

/// Remembers the keys seen in one section to find duplicates: a short list compared one by
/// one while small, a hash map once a section grows large, so the whole file stays linear.
#[derive(Default)]
struct KeySeen<'a> {
    small: Vec<(&'a str, usize)>,
    large: FnvMap<Cow<'a, str>, usize>,
}

impl<'a> KeySeen<'a> {
    const SMALL: usize = 16;

    fn clear(&mut self) {
        self.small.clear();
        self.large.clear();
    }

    /// Records `key` first seen on line `line`; returns the earlier line if already seen.
    fn insert(&mut self, key: &'a str, line: usize) -> Option<usize> {
        if self.large.is_empty() {
            if let Some(&(_, first)) = self.small.iter().find(|(k, _)| same_key(k, key)) {
                return Some(first);
            }
            self.small.push((key, line));
            if self.small.len() > Self::SMALL {
                for (k, l) in self.small.drain(..) {
                    self.large.insert(norm_key(k), l);
                }
            }
            None
        } else {
            match self.large.entry(norm_key(key)) {
                std::collections::hash_map::Entry::Occupied(e) => Some(*e.get()),
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(line);
                    None
                }
            }
        }
    }
}

struct Doc<'a> {
    text: &'a str,
    lines: Vec<Line>,
    sections: Vec<Section>,
}

fn malformed(line: usize, reason: &str) -> IniError {
    IniError::Malformed {
        line: line + 1,
        reason: reason.to_string(),
    }
}

impl<'a> Doc<'a> {
    /// Parses `text` strictly: malformed lines, duplicate sections and duplicate keys are
    /// errors.
    fn parse(text: &'a str) -> Result<Doc<'a>, IniError> {
        let bytes = text.as_bytes();
        let mut lines: Vec<Line> = Vec::with_capacity(bytes.len() / 24 + 1);
        let mut sections: Vec<Section> = Vec::new();
        let mut section_names: FnvMap<&'a str, usize> =
            FnvMap::with_capacity_and_hasher(text.len() / 64 + 8, Default::default());
        let mut keys = KeySeen::default();
        let mut in_section = false;
        let mut has_key = false;
        let mut indent_level = 0usize;
        let mut start = 0usize;
        while start < bytes.len() {
            let idx = lines.len();
            let content_end = next_break(bytes, start);
            let end = if content_end >= bytes.len() {
                content_end
            } else if bytes[content_end] == b'\r'
                && content_end + 1 < bytes.len()
                && bytes[content_end + 1] == b'\n'
            {
                content_end + 2
            } else {
                content_end + 1
            };
            let content = &text[start..content_end];
            let body = if idx == 0 && content.starts_with(BOM) {
                start + BOM.len_utf8()
            } else {
                start
            };
            let body_text = &text[body..content_end];
            let rest = trim_start(body_text);
            let indent_end = content_end - rest.len();
            let stripped = trim_end(rest);
            let stripped_start = indent_end;
            let mut line = Line {
                start,
                body,
                indent_end,
                content_end,
                end,
                kind: Kind::Blank,
                name: (0, 0),
            };
            if stripped.starts_with('#') || stripped.starts_with(';') {
                line.kind = Kind::Comment;
            } else if stripped.is_empty() {
                line.kind = Kind::Blank;
            } else {
                let indent = match &text[body..indent_end] {
                    ws if ws.is_ascii() => ws.len(),
                    ws => ws.chars().count(),
                };
                if in_section && has_key && indent > indent_level {
                    line.kind = Kind::Continuation;
                } else {
                    indent_level = indent;
                    if stripped.starts_with('[') {
                        let close = stripped.bytes().rposition(|b| b == b']').unwrap_or(0);
                        if close == 0 {
                            return Err(malformed(
                                idx,
                                "this section header has no closing `]`; add it",
                            ));
                        }
                        if close == 1 {
                            return Err(malformed(
                                idx,
                                "`[]` names no section; write a name between the brackets or \
                                 remove the line",
                            ));
                        }
                        let inner = &stripped[1..close];
                        let name = trim(inner);
                        if name.is_empty() {
                            return Err(malformed(
                                idx,
                                "this section header has an empty name; write a name between \
                                 the brackets or remove the line",
                            ));
                        }
                        let name_start =
                            stripped_start + 1 + (inner.len() - trim_start(inner).len());
                        line.kind = Kind::Header;
                        line.name = (name_start, name_start + name.len());
                        if let Some(&first) = section_names.get(name) {
                            return Err(IniError::DuplicateSection {
                                section: name.to_string(),
                                first_line: first + 1,
                                second_line: idx + 1,
                            });
                        }
                        section_names.insert(name, idx);
                        if let Some(last) = sections.last_mut() {
                            last.end = idx;
                        }
                        sections.push(Section {
                            header: idx,
                            end: idx + 1,
                        });
                        keys.clear();
                        in_section = true;
                        has_key = false;
                    } else if !in_section {
                        return Err(malformed(
                            idx,
                            "expected a `[section]` header before any `key = value` line; \
                             move the line under a section or remove it",
                        ));
                    } else {
                        let Some(delim) = stripped.bytes().position(|b| b == b'=' || b == b':')
                        else {
                            return Err(malformed(
                                idx,
                                "expected `[section]` or `key = value`, but the line has \
                                 neither `=` nor `:`; fix or remove it",
                            ));
                        };
                        let key = trim_end(&stripped[..delim]);
                        if key.is_empty() {
                            return Err(malformed(
                                idx,
                                "`key = value` line without a key name before the `=` or `:`; \
                                 add the name or remove the line",
                            ));
                        }
                        line.kind = Kind::Key;
                        line.name = (stripped_start, stripped_start + key.len());
                        if let Some(first) = keys.insert(key, idx) {
                            let section = sections
                                .last()
                                .map(|s| lines[s.header].name_str(text))
                                .unwrap_or_default();
                            return Err(IniError::DuplicateKey {
                                section: section.to_string(),
                                key: norm_key(key).into_owned(),
                                first_line: first + 1,
                                second_line: idx + 1,
                            });
                        }
                        has_key = true;
                    }
                }
            }
            lines.push(line);
            start = end;
        }
        if let Some(last) = sections.last_mut() {
            last.end = lines.len();
        }
        Ok(Doc {
            text,
            lines,
            sections,
        })
    }

    /// The line ending for new lines: CRLF when the file's first line ends with CRLF, else
    /// LF. (Never a lone CR: a lone CR written before a line that starts with LF would
    /// merge with it into one CRLF.)
    fn eol(&self) -> &'static str {
        match self.lines.first().map(|l| &self.text[l.content_end..l.end]) {
            Some("\r\n") => "\r\n",
            _ => "\n",
        }
    }

    fn name(&self, line: usize) -> &'a str {
        self.lines[line].name_str(self.text)
    }

    fn ending(&self, line: usize) -> &'a str {
        let l = &self.lines[line];
        &self.text[l.content_end..l.end]
    }

    fn indent(&self, line: usize) -> &'a str {
        let l = &self.lines[line];
        &self.text[l.body..l.indent_end]
    }

    fn find_section(&self, name: &str) -> Option<Section> {
        self.sections
            .iter()
            .find(|s| self.name(s.header) == name)
            .copied()
    }

    /// The line range (first, last inclusive) of `key`'s entry in `sec`: its key line
    /// through its last continuation line.
    fn key_span(&self, sec: Section, key: &str) -> Option<(usize, usize)> {
        let first = (sec.header + 1..sec.end)
            .find(|&i| self.lines[i].kind == Kind::Key && same_key(self.name(i), key))?;
        let mut last = first;
        for i in first + 1..sec.end {
            match self.lines[i].kind {
                Kind::Continuation => last = i,
                Kind::Blank | Kind::Comment => {}
                Kind::Key | Kind::Header => break,
            }
        }
        Some((first, last))
    }

    /// The last line of the section's last key entry, or its header when it has no keys.
    fn last_entry_line(&self, sec: Section) -> usize {
        (sec.header + 1..sec.end)
            .rev()
            .find(|&i| matches!(self.lines[i].kind, Kind::Key | Kind::Continuation))
            .unwrap_or(sec.header)
    }

    /// Byte range of a section: its header line (after a byte-order mark) up to the next
    /// header or the end of the text.
    fn section_range(&self, sec: Section) -> Range<usize> {
        let start = self.lines[sec.header].body;
        let end = self
            .lines
            .get(sec.end)
            .map(|l| l.start)
            .unwrap_or(self.text.len());
        start..end
    }

    /// Like [`Doc::section_range`], without the blank lines that end the section: those
    /// separate it from what follows (perhaps a section credtray added) rather than belong
    /// to it.
    fn section_content_range(&self, sec: Section) -> Range<usize> {
        let start = self.lines[sec.header].body;
        let last = (sec.header..sec.end)
            .rev()
            .find(|&i| self.lines[i].kind != Kind::Blank)
            .unwrap_or(sec.header);
        start..self.lines[last].end
    }

    /// Where new key lines go in `sec` and the text that must come before them: after the
    /// last key entry, adding a line ending first when that line is the file's last and has
    /// none. Also returns the indentation for new lines (that of the next header, so that
    /// an indented header is not taken for a continuation of the new keys).
    fn insertion_point(&self, sec: Section) -> (usize, &'static str, &'a str, bool) {
        let after = self.last_entry_line(sec);
        let pos = self.lines[after].end;
        let needs_break = self.ending(after).is_empty();
        let lead = if needs_break { self.eol() } else { "" };
        let indent = if sec.end < self.lines.len() {
            self.indent(sec.end)
        } else {
            ""
        };
        (pos, lead, indent, needs_break)
    }
}

impl Line {
    fn name_str<'t>(&self, text: &'t str) -> &'t str {
        &text[self.name.0..self.name.1]
    }
}

// ---------------------------------------------------------------------------------------
// Splicing

struct Edit {
    range: Range<usize>,
    with: String,
}

/// Applies non-overlapping edits to `text` in one pass.
fn splice(text: &str, mut edits: Vec<Edit>) -> String {
    edits.sort_by_key(|e| (e.range.start, e.range.end));
    let extra: usize = edits.iter().map(|e| e.with.len()).sum();
    let mut out = String::with_capacity(text.len() + extra);
    let mut pos = 0;
    for e in edits {
        if e.range.start >= pos {
            out.push_str(text.get(pos..e.range.start).unwrap_or_default());
        }
        out.push_str(&e.with);
        pos = pos.max(e.range.end);
    }
    out.push_str(text.get(pos..).unwrap_or_default());
    out
}

// ---------------------------------------------------------------------------------------
// Validation of what credtray writes

fn has_break(s: &str) -> bool {
    s.contains(['\n', '\r'])
}

fn check_section_name(section: &str) -> Result<(), IniError> {
    let reason = if trim(section).is_empty() {
        "the name is empty"
    } else if has_break(section) {
        "the name contains a line break"
    } else if trim(section) != section {
        "the name starts or ends with whitespace"
    } else if section.starts_with(BOM) {
        "the name starts with a byte-order mark"
    } else {
        return Ok(());
    };
    Err(IniError::InvalidSection {
        section: section.to_string(),
        reason: reason.to_string(),
    })
}

fn check_pairs(pairs: &[(&str, &str)]) -> Result<(), IniError> {
    for (i, (key, value)) in pairs.iter().enumerate() {
        let reason = if trim(key).is_empty() {
            Some("the key name is empty")
        } else if has_break(key) {
            Some("the key name contains a line break")
        } else if trim(key) != *key {
            Some("the key name starts or ends with whitespace")
        } else if key.contains(['=', ':']) {
            Some("the key name contains `=` or `:`")
        } else if key.starts_with(['#', ';', '[']) {
            Some("the key name starts with `#`, `;` or `[`")
        } else if pairs[..i].iter().any(|(k, _)| same_key(k, key)) {
            Some("the key is given twice")
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(IniError::InvalidKey {
                key: key.to_string(),
                reason: reason.to_string(),
            });
        }
        let reason = if has_break(value) {
            Some("the value contains a line break")
        } else if trim(value) != *value {
            Some("the value starts or ends with whitespace, which AWS tools would drop")
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(IniError::InvalidValue {
                key: key.to_string(),
                reason: reason.to_string(),
            });
        }
    }
    Ok(())
}

fn key_line(key: &str, value: &str) -> String {
    if value.is_empty() {
        format!("{key} =")
    } else {
        format!("{key} = {value}")
    }
}

// ---------------------------------------------------------------------------------------
// Public operations

/// Sets `pairs` in an existing section: replaces the entries of keys already there (keeping
/// their indentation and line ending) and inserts the others after the last key entry.
/// Returns the edits, what each key replaced, and whether a final line ending was added.
fn set_in_section(
    doc: &Doc<'_>,
    sec: Section,
    pairs: &[(&str, &str)],
) -> (Vec<Edit>, Vec<WrittenKey>, bool) {
    let mut edits = Vec::with_capacity(pairs.len() + 1);
    let mut written = Vec::with_capacity(pairs.len());
    let mut inserted = String::new();
    let (pos, lead, indent, needs_break) = doc.insertion_point(sec);
    for (key, value) in pairs {
        match doc.key_span(sec, key) {
            Some((a, b)) => {
                let range = doc.lines[a].start..doc.lines[b].end;
                let with = format!("{}{}{}", doc.indent(a), key_line(key, value), doc.ending(b));
                written.push(WrittenKey {
                    key: key.to_string(),
                    replaced: Some(doc.text[range.clone()].to_string()),
                });
                edits.push(Edit { range, with });
            }
            None => {
                if inserted.is_empty() {
                    inserted.push_str(lead);
                }
                inserted.push_str(indent);
                inserted.push_str(&key_line(key, value));
                inserted.push_str(doc.eol());
                written.push(WrittenKey {
                    key: key.to_string(),
                    replaced: None,
                });
            }
        }
    }
    let added_final_newline = !inserted.is_empty() && needs_break;
    if !inserted.is_empty() {
        edits.push(Edit {
            range: pos..pos,
            with: inserted,
        });
    }
    (edits, written, added_final_newline)
}

/// Sets `pairs` in `[section]` (creating the section at the end of the file if missing).
///
/// Existing entries for those keys (compared case-insensitively, as AWS tools do) are
/// replaced in place, keeping their indentation and line ending, their original text
/// recorded in the [`WriteRecord`]; missing keys are inserted after the section's last key
/// entry (not after trailing comments or blank lines that belong before the next section).
/// A new section is appended after one empty separator line (only if the file is non-empty
/// and does not already end with a blank line), and a final line ending is added first if
/// the file lacks one; both facts are recorded. New lines use the file's first line ending
/// (`\n` when it has none). Written lines are `key = value`.
///
/// Errors: the text does not parse (see the module docs), or the section, a key or a value
/// cannot be written (line breaks, surrounding whitespace, a key containing `=` or `:`, a
/// key given twice).
pub fn apply(
    text: &str,
    section: &str,
    pairs: &[(&str, &str)],
) -> Result<(String, WriteRecord), IniError> {
    check_section_name(section)?;
    check_pairs(pairs)?;
    let doc = Doc::parse(text)?;
    if let Some(sec) = doc.find_section(section) {
        let (edits, keys, added_final_newline) = set_in_section(&doc, sec, pairs);
        let record = WriteRecord {
            section: section.to_string(),
            created_section: false,
            keys,
            added_final_newline,
            added_blank_line: false,
        };
        return Ok((splice(text, edits), record));
    }
    let eol = doc.eol();
    let added_final_newline = !text.is_empty() && !ends_with_break(text);
    let ends_blank = doc.lines.last().is_some_and(|l| l.kind == Kind::Blank);
    let added_blank_line = !text.is_empty() && !ends_blank;
    let mut out = String::with_capacity(text.len() + 64 + section.len() + 128 * pairs.len());
    out.push_str(text);
    if added_final_newline {
        out.push_str(eol);
    }
    if added_blank_line {
        // After a final lone CR, a lone LF would join it into one CRLF line ending.
        out.push_str(if text.ends_with('\r') && eol == "\n" {
            "\r\n"
        } else {
            eol
        });
    }
    out.push('[');
    out.push_str(section);
    out.push(']');
    out.push_str(eol);
    for (key, value) in pairs {
        out.push_str(&key_line(key, value));
        out.push_str(eol);
    }
    let record = WriteRecord {
        section: section.to_string(),
        created_section: true,
        keys: pairs
            .iter()
            .map(|(k, _)| WrittenKey {
                key: k.to_string(),
                replaced: None,
            })
            .collect(),
        added_final_newline,
        added_blank_line,
    };
    Ok((out, record))
}

/// Undoes [`apply`]: removes the inserted key entries, puts back replaced ones, and removes
/// the section header, separator line and final line ending that `apply` added — the header
/// only when the section credtray created holds nothing else by now (blank lines aside); if
/// the user has since added keys or comments to it, the header and those lines stay.
///
/// Exact: `revert(apply(t)) == t` for every valid `t`. Works by content, not offsets, so
/// edits elsewhere in the file survive. A key entry that is already gone is not an error;
/// when it had replaced a line of the user's, that line is put back after the section's last
/// key entry. A section that is gone altogether is left gone.
pub fn revert(text: &str, record: &WriteRecord) -> Result<String, IniError> {
    let doc = Doc::parse(text)?;
    let Some(sec) = doc.find_section(&record.section) else {
        return Ok(text.to_string());
    };
    let mut edits = Vec::with_capacity(record.keys.len() + 3);
    let mut removed = vec![false; sec.end - sec.header];
    let mut reinsert = String::new();
    for wk in &record.keys {
        match (doc.key_span(sec, &wk.key), &wk.replaced) {
            (Some((a, b)), Some(orig)) => {
                let mut with = orig.clone();
                if !ends_with_break(orig) {
                    with.push_str(doc.ending(b));
                }
                edits.push(Edit {
                    range: doc.lines[a].start..doc.lines[b].end,
                    with,
                });
            }
            (Some((a, b)), None) => {
                for r in &mut removed[a - sec.header..=b - sec.header] {
                    *r = true;
                }
                edits.push(Edit {
                    range: doc.lines[a].start..doc.lines[b].end,
                    with: String::new(),
                });
            }
            (None, Some(orig)) => {
                reinsert.push_str(orig);
                if !ends_with_break(orig) {
                    reinsert.push_str(doc.eol());
                }
            }
            (None, None) => {}
        }
    }
    if !reinsert.is_empty() {
        let (pos, lead, _, _) = doc.insertion_point(sec);
        reinsert.insert_str(0, lead);
        edits.push(Edit {
            range: pos..pos,
            with: reinsert.clone(),
        });
    }
    let mut header_removed = false;
    if record.created_section && reinsert.is_empty() {
        let empty = (sec.header + 1..sec.end)
            .all(|i| removed[i - sec.header] || doc.lines[i].kind == Kind::Blank);
        if empty {
            header_removed = true;
            let h = &doc.lines[sec.header];
            edits.push(Edit {
                range: h.body..h.end,
                with: String::new(),
            });
            if record.added_blank_line && sec.header > 0 {
                let p = &doc.lines[sec.header - 1];
                if p.kind == Kind::Blank && p.content_end == p.body {
                    edits.push(Edit {
                        range: p.body..p.end,
                        with: String::new(),
                    });
                }
            }
        }
    }
    let tail_touched = edits
        .iter()
        .any(|e| e.range.end == text.len() && e.range.start < e.range.end);
    let strip = record.added_final_newline
        && tail_touched
        && reinsert.is_empty()
        && (!record.created_section || header_removed);
    let mut out = splice(text, edits);
    if strip {
        strip_one_break(&mut out);
    }
    Ok(out)
}

/// Replaces the values of keys credtray already wrote (rotation), keeping each entry's
/// indentation and line ending; the [`WriteRecord`] stays valid. Keys missing from the
/// section are inserted as [`apply`] would.
///
/// Errors: [`IniError::MissingSection`] when the section is gone (call [`apply`] again to
/// get a fresh record), and the errors of [`apply`].
pub fn update_values(
    text: &str,
    section: &str,
    pairs: &[(&str, &str)],
) -> Result<String, IniError> {
    check_section_name(section)?;
    check_pairs(pairs)?;
    let doc = Doc::parse(text)?;
    let sec = doc
        .find_section(section)
        .ok_or_else(|| IniError::MissingSection {
            section: section.to_string(),
        })?;
    let (edits, _, _) = set_in_section(&doc, sec, pairs);
    Ok(splice(text, edits))
}

/// The key names in `[section]`, in file order and lower-cased (as AWS tools read them), or
/// `None` when there is no such section.
pub fn section_keys(text: &str, section: &str) -> Result<Option<Vec<String>>, IniError> {
    let doc = Doc::parse(text)?;
    Ok(doc.find_section(section).map(|sec| {
        (sec.header + 1..sec.end)
            .filter(|&i| doc.lines[i].kind == Kind::Key)
            .map(|i| norm_key(doc.name(i)).into_owned())
            .collect()
    }))
}

/// The byte range of `[section]` in `text`: from its header line (after a byte-order mark,
/// which belongs to no section) up to the next header line or the end of the text.
pub fn section_span(text: &str, section: &str) -> Result<Option<Range<usize>>, IniError> {
    let doc = Doc::parse(text)?;
    Ok(doc.find_section(section).map(|sec| doc.section_range(sec)))
}

/// The exact bytes of `[section]`: its header line through its last line that is not
/// blank (blank lines before the next header separate sections rather than belong to
/// one), or `None` when there is no such section.
pub fn section_block(text: &str, section: &str) -> Result<Option<String>, IniError> {
    let doc = Doc::parse(text)?;
    Ok(doc
        .find_section(section)
        .map(|sec| text[doc.section_content_range(sec)].to_string()))
}

/// Replaces the current `[section]` block (as [`section_block`] delimits it: blank lines
/// at its end stay) with `block` exactly (used to restore a user's section byte for byte
/// after a take-over); if the section is gone, appends `block` at the
/// end of the text (after a line ending when the text lacks a final one). When the block
/// lacks a final line ending but text follows it, one is added so that the next line stays
/// a line of its own.
///
/// Errors: the text does not parse, or `block` is not exactly one `[section]` block.
pub fn restore_section_block(text: &str, section: &str, block: &str) -> Result<String, IniError> {
    let block = block.strip_prefix(BOM).unwrap_or(block);
    let invalid = |reason: &str| IniError::InvalidBlock {
        section: section.to_string(),
        reason: reason.to_string(),
    };
    let parsed = Doc::parse(block)
        .map_err(|e| invalid(&format!("the saved section does not parse ({e})")))?;
    match parsed.sections.as_slice() {
        [only] if only.header == 0 && parsed.name(0) == section => {}
        _ => {
            return Err(invalid(
                "the saved text is not exactly one section with that name",
            ))
        }
    }
    let doc = Doc::parse(text)?;
    let eol = doc.eol();
    match doc.find_section(section) {
        Some(sec) => {
            let range = doc.section_content_range(sec);
            let mut with = block.to_string();
            if range.end < text.len() && !ends_with_break(&with) {
                with.push_str(eol);
            }
            Ok(splice(text, vec![Edit { range, with }]))
        }
        None => {
            let mut out = String::with_capacity(text.len() + block.len() + 2);
            out.push_str(text);
            if !text.is_empty() && !ends_with_break(text) {
                out.push_str(eol);
            }
            out.push_str(block);
            Ok(out)
        }
    }
}

/// Checks that `text` parses as AWS tools would read it (see the module docs).
pub fn check(text: &str) -> Result<(), IniError> {
    Doc::parse(text).map(|_| ())
}

/// Section name used in the config file: `default` -> `default`, other -> `profile NAME`.
pub fn config_section(profile: &str) -> String {
    if profile == "default" {
        "default".to_string()
    } else {
        format!("profile {profile}")
    }
}
