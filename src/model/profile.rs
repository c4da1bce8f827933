//! Named profiles: section names in the AWS files.

use super::text::check_plain;

/// The profile that always exists and can be neither renamed nor removed.
pub const DEFAULT_PROFILE: &str = "default";

/// Checks that `name` can be a section name that the AWS CLI and SDKs read back as
/// the same profile. Returns a sentence saying what is wrong otherwise.
pub fn validate_profile_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("a profile name cannot be empty".into());
    }
    if name.len() > 128 {
        return Err("a profile name can have at most 128 characters".into());
    }
    check_plain(name)?;
    if let Some(c) = name
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || matches!(c, '[' | ']' | '#' | ';' | '='))
    {
        return Err(format!(
            "a profile name cannot contain {}; use letters, digits and . _ - @ + / :",
            describe_char(c)
        ));
    }
    Ok(())
}

fn describe_char(c: char) -> String {
    if c == ' ' {
        "spaces".into()
    } else if c.is_whitespace() || c.is_control() {
        // Controls and line separators are refused earlier (`check_plain`): what is
        // left here is another space, such as U+00A0.
        format!("the space character U+{:04X}", c as u32)
    } else {
        format!("'{c}'")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_usual_names() {
        for n in ["default", "dev", "prod-eu", "org:admin", "a.b_c@d+e/f"] {
            assert!(validate_profile_name(n).is_ok(), "{n}");
        }
    }

    #[test]
    fn rejects_names_the_ini_format_cannot_hold() {
        for n in ["", "a b", "a[b", "a]b", "#a", "a;b", "a=b", "a\nb", "\t"] {
            assert!(validate_profile_name(n).is_err(), "{n:?}");
        }
        assert!(validate_profile_name(&"x".repeat(129)).is_err());
    }

    #[test]
    fn rejects_names_that_display_differently_from_what_they_are() {
        for (n, code) in [
            ("dev\u{202E}ved", "U+202E (a right-to-left override)"),
            ("pr\u{200B}od", "U+200B (a zero-width space)"),
            ("a\u{2067}b", "U+2067 (a right-to-left isolate)"),
            ("\u{FEFF}dev", "U+FEFF (a zero-width no-break space)"),
            ("a\u{2028}b", "U+2028 (a line separator)"),
        ] {
            let err = validate_profile_name(n).expect_err(n);
            assert!(err.starts_with(&format!("it contains {code}, ")), "{err}");
        }
        assert_eq!(
            validate_profile_name("a\u{A0}b").unwrap_err(),
            "a profile name cannot contain the space character U+00A0; use letters, digits and . _ - @ + / :"
        );
    }
}
