//! Names that display as what they are: the characters refused in aliases and profile
//! names because they would make a name look like another one (bidirectional overrides
//! and isolates, zero-width and invisible characters, line separators, control
//! characters), and how a message quotes a name that holds one.

/// What a refused character is, for the message; `None` for a character a name may hold.
fn refused(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{202A}' => "a left-to-right embedding",
        '\u{202B}' => "a right-to-left embedding",
        '\u{202C}' => "a pop directional formatting",
        '\u{202D}' => "a left-to-right override",
        '\u{202E}' => "a right-to-left override",
        '\u{2066}' => "a left-to-right isolate",
        '\u{2067}' => "a right-to-left isolate",
        '\u{2068}' => "a first strong isolate",
        '\u{2069}' => "a pop directional isolate",
        '\u{200B}' => "a zero-width space",
        '\u{200C}' => "a zero-width non-joiner",
        '\u{200D}' => "a zero-width joiner",
        '\u{200E}' => "a left-to-right mark",
        '\u{200F}' => "a right-to-left mark",
        '\u{061C}' => "an Arabic letter mark",
        '\u{2028}' => "a line separator",
        '\u{2029}' => "a paragraph separator",
        '\u{2060}' => "a word joiner",
        '\u{2061}'..='\u{2064}' => "an invisible operator",
        '\u{FEFF}' => "a zero-width no-break space",
        c if c.is_control() => "a control character",
        _ => return None,
    })
}

/// Checks that `text` holds none of the refused characters; otherwise says which one, by
/// its code point, and why: "it contains U+202E (a right-to-left override), which would
/// make it display differently from what it is; use plain characters".
pub fn check_plain(text: &str) -> Result<(), String> {
    match text.chars().find_map(|c| refused(c).map(|what| (c, what))) {
        None => Ok(()),
        Some((c, what)) => Err(format!(
            "it contains U+{:04X} ({what}), which would make it display differently from \
             what it is; use plain characters",
            c as u32
        )),
    }
}

/// `text` as a message quotes it: each refused character written as `<U+XXXX>`, so that
/// the message itself displays as it is.
pub fn shown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if refused(c).is_some() {
            out.push_str(&format!("<U+{:04X}>", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_overrides_invisibles_and_controls_by_code_point() {
        let cases = [
            ('\u{202A}', "U+202A (a left-to-right embedding)"),
            ('\u{202E}', "U+202E (a right-to-left override)"),
            ('\u{2066}', "U+2066 (a left-to-right isolate)"),
            ('\u{2069}', "U+2069 (a pop directional isolate)"),
            ('\u{200B}', "U+200B (a zero-width space)"),
            ('\u{200F}', "U+200F (a right-to-left mark)"),
            ('\u{2028}', "U+2028 (a line separator)"),
            ('\u{2029}', "U+2029 (a paragraph separator)"),
            ('\u{FEFF}', "U+FEFF (a zero-width no-break space)"),
            ('\u{061C}', "U+061C (an Arabic letter mark)"),
            ('\u{2060}', "U+2060 (a word joiner)"),
            ('\n', "U+000A (a control character)"),
            ('\u{7F}', "U+007F (a control character)"),
            ('\u{9B}', "U+009B (a control character)"),
        ];
        for (c, said) in cases {
            let err = check_plain(&format!("ab{c}cd")).expect_err(&format!("{c:?}"));
            assert_eq!(
                err,
                format!(
                    "it contains {said}, which would make it display differently from what \
                     it is; use plain characters"
                )
            );
        }
        // Every character of the ranges is refused.
        for c in ('\u{202A}'..='\u{202E}')
            .chain('\u{2066}'..='\u{2069}')
            .chain('\u{200B}'..='\u{200F}')
        {
            assert!(check_plain(&c.to_string()).is_err(), "{c:?}");
        }
    }

    #[test]
    fn accepts_plain_text_of_any_script() {
        for t in [
            "dev",
            "a_b & c",
            "<b>x</b> & y",
            "прод",
            "عربي",
            "日本",
            "é",
            "a b",
        ] {
            assert_eq!(check_plain(t), Ok(()), "{t}");
        }
    }

    #[test]
    fn messages_quote_refused_characters_by_code_point() {
        assert_eq!(shown("a\u{202E}b\u{200B}"), "a<U+202E>b<U+200B>");
        assert_eq!(shown("a\tb"), "a<U+0009>b");
        assert_eq!(shown("plain <b>"), "plain <b>");
    }
}
