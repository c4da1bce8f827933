//! Properties of the byte-preserving AWS ini editor (`credtray::awsfiles::ini`), checked on
//! generated credentials and config files: comments (`#`, `;`), blank and whitespace-only
//! lines, LF / CRLF / mixed line endings (a lone CR now and then), with and without a final
//! line ending or a byte-order mark, unknown keys, odd spacing around `=` and `:`, indented
//! keys and headers, continuation lines, sections in any order, and the target section
//! missing, present without credtray's keys, or present with some of them.
//! Then a few worked examples of the layout rules.

use credtray::awsfiles::ini::{
    apply, check, config_section, restore_section_block, revert, section_block, section_keys,
    section_span, update_values, IniError, WriteRecord, WrittenKey,
};
use proptest::prelude::*;

// ---------------------------------------------------------------------------------------
// Generated files

const SECTION_NAMES: &[&str] = &[
    "default",
    "dev",
    "prod",
    "profile dev",
    "profile prod",
    "sso-session corp",
    "a b",
    "target",
];
const TARGETS: &[&str] = &["default", "dev", "profile dev", "target", "new one"];
const KEYS: &[&str] = &[
    "region",
    "output",
    "aws_access_key_id",
    "AWS_Session_Token",
    "s3",
    "cli_pager",
    "x y",
    "role_arn",
    "aws_secret_access_key",
    "Region",
];
const SEPARATORS: &[&str] = &["=", " = ", "   =   ", "\t=\t", ": ", ":", " =", "= "];
const HEADER_STYLES: &[&str] = &["[{}]", "[ {} ]", "[{}]  ", "[{}] ; note", "[\t{}]"];

#[derive(Debug, Clone)]
enum Item {
    /// A blank, whitespace-only or comment line.
    Filler(String),
    /// A key line: indent, key, separator, value, then continuation lines (each a number of
    /// extra indent spaces and a text; an empty text is a blank line inside the value).
    Key {
        indent: usize,
        key: usize,
        sep: usize,
        value: String,
        conts: Vec<(usize, String)>,
    },
}

#[derive(Debug, Clone)]
struct SectionSpec {
    name: usize,
    style: usize,
    indent: usize,
    items: Vec<Item>,
}

#[derive(Debug, Clone)]
struct FileSpec {
    bom: bool,
    /// 0: LF, 1: CRLF, 2: mixed.
    eol_mode: u8,
    eol_picks: Vec<u8>,
    final_newline: bool,
    preamble: Vec<String>,
    sections: Vec<SectionSpec>,
}

fn filler() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[ \t]{1,3}",
        (
            "[ \t]{0,2}",
            prop_oneof![Just("#"), Just(";")],
            "[ -~é]{0,12}"
        )
            .prop_map(|(i, c, t)| format!("{i}{c}{t}")),
    ]
}

fn item() -> impl Strategy<Value = Item> {
    prop_oneof![
        1 => filler().prop_map(Item::Filler),
        3 => (
            0usize..3,
            0..KEYS.len(),
            0..SEPARATORS.len(),
            "[ -~é]{0,16}",
            prop::collection::vec(
                (1usize..4, prop_oneof![Just(String::new()), "[!-~][ -~]{0,10}"]),
                0..3
            ),
        )
            .prop_map(|(indent, key, sep, value, conts)| Item::Key {
                indent,
                key,
                sep,
                value,
                conts: if indent == 0 || conts.is_empty() { conts } else { Vec::new() },
            }),
    ]
}

fn section() -> impl Strategy<Value = SectionSpec> {
    (
        0..SECTION_NAMES.len(),
        0..HEADER_STYLES.len(),
        prop_oneof![4 => Just(0usize), 1 => Just(1usize)],
        prop::collection::vec(item(), 0..6),
    )
        .prop_map(|(name, style, indent, items)| SectionSpec {
            name,
            style,
            indent,
            items,
        })
}

fn file_spec() -> impl Strategy<Value = FileSpec> {
    (
        prop::bool::weighted(0.1),
        0u8..3,
        prop::collection::vec(0u8..20, 64),
        any::<bool>(),
        prop::collection::vec(filler(), 0..3),
        prop::collection::vec(section(), 0..6),
    )
        .prop_map(
            |(bom, eol_mode, eol_picks, final_newline, preamble, sections)| FileSpec {
                bom,
                eol_mode,
                eol_picks,
                final_newline,
                preamble,
                sections,
            },
        )
}

/// Builds the text of a file from its spec, keeping it valid: section names and keys within
/// a section are made unique, and a header is indented only where it cannot be taken for a
/// continuation line.
fn build(spec: &FileSpec) -> String {
    let mut lines: Vec<String> = spec.preamble.clone();
    let mut used = Vec::new();
    let mut last_key_indent: Option<usize> = None;
    for s in &spec.sections {
        let name = SECTION_NAMES[s.name];
        if used.contains(&name) {
            continue;
        }
        used.push(name);
        let indent = match last_key_indent {
            Some(k) => s.indent.min(k),
            None => s.indent,
        };
        lines.push(format!(
            "{}{}",
            " ".repeat(indent),
            HEADER_STYLES[s.style].replace("{}", name)
        ));
        last_key_indent = None;
        let mut keys: Vec<String> = Vec::new();
        for it in &s.items {
            match it {
                Item::Filler(f) => lines.push(f.clone()),
                Item::Key {
                    indent,
                    key,
                    sep,
                    value,
                    conts,
                } => {
                    let k = KEYS[*key];
                    if keys.contains(&k.to_lowercase()) {
                        continue;
                    }
                    keys.push(k.to_lowercase());
                    // A key indented deeper than the key above it would be a continuation
                    // line of that key: keep indents from growing within a section.
                    let (pad, width) = match (*indent, last_key_indent) {
                        (_, Some(0)) | (0, _) => ("", 0),
                        (2, _) => ("\t", 1),
                        _ => (" ", 1),
                    };
                    lines.push(format!("{pad}{k}{}{value}", SEPARATORS[*sep]));
                    for (extra, text) in conts {
                        if text.is_empty() {
                            lines.push(String::new());
                        } else {
                            lines.push(format!("{}{text}", " ".repeat(width + extra)));
                        }
                    }
                    last_key_indent = Some(width);
                }
            }
        }
    }
    let mut text = String::new();
    if spec.bom {
        text.push('\u{feff}');
    }
    let n = lines.len();
    for (i, line) in lines.iter().enumerate() {
        text.push_str(line);
        if i + 1 == n && !spec.final_newline {
            break;
        }
        let pick = spec.eol_picks[i % spec.eol_picks.len()];
        text.push_str(match spec.eol_mode {
            0 => "\n",
            1 => "\r\n",
            _ if pick == 0 => "\r",
            _ if pick.is_multiple_of(2) => "\r\n",
            _ => "\n",
        });
    }
    text
}

fn pairs_strategy() -> impl Strategy<Value = Vec<(String, String)>> {
    prop_oneof![
        (
            "[A-Z0-9]{16,20}",
            "[A-Za-z0-9/+]{30,40}",
            "[A-Za-z0-9/+=]{20,120}"
        )
            .prop_map(|(a, b, c)| vec![
                ("aws_access_key_id".to_string(), a),
                ("aws_secret_access_key".to_string(), b),
                ("aws_session_token".to_string(), c),
            ]),
        "[a-z]{2}-[a-z]{4,9}-[1-3]".prop_map(|r| vec![("region".to_string(), r)]),
    ]
}

fn as_refs(pairs: &[(String, String)]) -> Vec<(&str, &str)> {
    pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// The line ending new lines should get: CRLF when the first line ending is CRLF, else LF.
fn first_eol(text: &str) -> &'static str {
    match text.find(['\n', '\r']) {
        Some(i) if text[i..].starts_with("\r\n") => "\r\n",
        _ => "\n",
    }
}

/// The text with `[section]`'s block cut out (unchanged when there is no such section).
fn cut(text: &str, section: &str) -> String {
    match section_span(text, section).expect("parses") {
        Some(r) => format!("{}{}", &text[..r.start], &text[r.end..]),
        None => text.to_string(),
    }
}

fn case() -> impl Strategy<Value = (String, String, Vec<(String, String)>)> {
    (file_spec(), 0..TARGETS.len(), pairs_strategy())
        .prop_map(|(spec, t, pairs)| (build(&spec), TARGETS[t].to_string(), pairs))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Generated files are valid, so that the properties below test something.
    #[test]
    fn generated_files_parse((text, _target, _pairs) in case()) {
        prop_assert!(check(&text).is_ok(), "{:?}: {:?}", text, check(&text));
    }

    /// (1) revert(apply(t)) == t, byte for byte.
    #[test]
    fn revert_undoes_apply((text, target, pairs) in case()) {
        let (applied, record) = apply(&text, &target, &as_refs(&pairs)).expect("apply");
        let reverted = revert(&applied, &record).expect("revert");
        prop_assert_eq!(reverted, text);
    }

    /// (2) While applied, every line outside the target section is unchanged and in order.
    #[test]
    fn apply_touches_only_the_target_section((text, target, pairs) in case()) {
        let (applied, record) = apply(&text, &target, &as_refs(&pairs)).expect("apply");
        if record.created_section {
            prop_assert!(section_span(&text, &target).expect("parses").is_none());
            let eol = first_eol(&text);
            let mut expected = text.clone();
            prop_assert_eq!(
                record.added_final_newline,
                !text.is_empty() && !text.ends_with(['\n', '\r'])
            );
            if record.added_final_newline {
                expected.push_str(eol);
            }
            if record.added_blank_line {
                // After a final lone CR, a lone LF would merge into a CRLF.
                expected.push_str(if text.ends_with('\r') && eol == "\n" { "\r\n" } else { eol });
            }
            prop_assert_eq!(cut(&applied, &target), expected);
            let block = section_block(&applied, &target).expect("parses").expect("created");
            let mut wanted = format!("[{target}]{eol}");
            for (k, v) in &pairs {
                wanted.push_str(&format!("{k} = {v}{eol}"));
            }
            prop_assert_eq!(block, wanted);
        } else {
            prop_assert!(!record.added_blank_line);
            prop_assert_eq!(cut(&applied, &target), cut(&text, &target));
        }
    }

    /// (3) apply, then update_values (rotation), then revert gives the original back.
    #[test]
    fn rotation_then_revert((text, target, pairs) in case(), salt in "[a-z0-9]{1,8}") {
        let (applied, record) = apply(&text, &target, &as_refs(&pairs)).expect("apply");
        let rotated: Vec<(String, String)> =
            pairs.iter().map(|(k, v)| (k.clone(), format!("{v}{salt}"))).collect();
        let updated = update_values(&applied, &target, &as_refs(&rotated)).expect("update");
        let block = section_block(&updated, &target).expect("parses").expect("present");
        for (k, v) in &rotated {
            let line = format!("{k} = {v}");
            prop_assert!(
                block.split(['\n', '\r']).any(|l| l.trim() == line),
                "{:?} lacks {:?}", block, line
            );
        }
        prop_assert_eq!(cut(&updated, &target), cut(&applied, &target));
        prop_assert_eq!(revert(&updated, &record).expect("revert"), text);
    }

    /// (4) The applied text parses again and the section holds each written key once.
    #[test]
    fn applied_text_parses((text, target, pairs) in case()) {
        let (applied, _) = apply(&text, &target, &as_refs(&pairs)).expect("apply");
        prop_assert!(check(&applied).is_ok());
        let keys = section_keys(&applied, &target).expect("parses").expect("section");
        for (k, _) in &pairs {
            prop_assert_eq!(keys.iter().filter(|x| *x == k).count(), 1);
        }
    }

    /// (5) Restoring the saved block of a pre-existing section gives the original back.
    #[test]
    fn restore_block_gives_original((text, target, pairs) in case()) {
        let Some(block) = section_block(&text, &target).expect("parses") else {
            return Ok(());
        };
        let (applied, _) = apply(&text, &target, &as_refs(&pairs)).expect("apply");
        let restored = restore_section_block(&applied, &target, &block).expect("restore");
        prop_assert_eq!(restored, text);
    }

    /// (6) A section the user adds elsewhere while credtray's keys are in the file (before
    /// one of the file's headers, or at the start of a file without any) survives revert:
    /// the result is the original plus that insertion.
    #[test]
    fn user_edits_survive_revert(
        (text, target, pairs) in case(),
        pick in any::<prop::sample::Index>(),
    ) {
        let mut others: Vec<String> = SECTION_NAMES
            .iter()
            .chain(TARGETS)
            .filter(|n| section_span(&text, n).expect("parses").is_some())
            .map(|n| n.to_string())
            .collect();
        others.sort();
        others.dedup();
        let (applied, record) = apply(&text, &target, &as_refs(&pairs)).expect("apply");
        let insert = |t: &str| -> Option<String> {
            let (pos, indent) = if others.is_empty() {
                if t.starts_with('\u{feff}') {
                    return None;
                }
                (0, String::new())
            } else {
                let name = &others[pick.index(others.len())];
                let r = section_span(t, name).expect("parses").expect("present");
                let indent: String =
                    t[r.start..].chars().take_while(|c| *c == ' ' || *c == '\t').collect();
                (r.start, indent)
            };
            let eol = first_eol(t);
            let block = format!("{indent}[user added]{eol}{indent}output = json{eol}");
            Some(format!("{}{block}{}", &t[..pos], &t[pos..]))
        };
        let (Some(expected), Some(edited)) = (insert(&text), insert(&applied)) else {
            return Ok(());
        };
        prop_assert!(check(&edited).is_ok());
        prop_assert_eq!(revert(&edited, &record).expect("revert"), expected);
    }

    /// Reverting a redacted record removes every written key and leaves a valid file.
    #[test]
    fn redacted_revert_removes_keys((text, target, pairs) in case()) {
        let (applied, record) = apply(&text, &target, &as_refs(&pairs)).expect("apply");
        let reverted = revert(&applied, &record.redacted()).expect("revert");
        prop_assert!(check(&reverted).is_ok());
        if let Some(keys) = section_keys(&reverted, &target).expect("parses") {
            for (k, _) in &pairs {
                prop_assert!(!keys.contains(k));
            }
        }
        prop_assert_eq!(cut(&reverted, &target), cut(&text, &target));
    }

    /// Any text at all: no function panics, and where apply succeeds revert undoes it.
    #[test]
    fn arbitrary_text_never_panics(
        text in prop_oneof![
            any::<String>(),
            "[\\[\\]=:#; \t\r\nabé\u{feff}]{0,80}",
        ],
        section in prop_oneof![Just("a".to_string()), "[ -~\n]{0,6}"],
        key in prop_oneof![Just("b".to_string()), "[ -~\r]{0,6}"],
        value in "[ -~\n]{0,6}",
    ) {
        let pairs = [(key.as_str(), value.as_str())];
        let _ = check(&text);
        let _ = section_keys(&text, &section);
        let _ = update_values(&text, &section, &pairs);
        if let Ok(Some(block)) = section_block(&text, &section) {
            let _ = restore_section_block(&text, &section, &block);
        }
        let _ = restore_section_block(&text, &section, &text);
        if let Ok((applied, record)) = apply(&text, &section, &pairs) {
            prop_assert!(check(&applied).is_ok());
            prop_assert_eq!(revert(&applied, &record).expect("revert"), text);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Worked examples

fn creds() -> [(&'static str, &'static str); 3] {
    [
        ("aws_access_key_id", "ASIAEXAMPLE"),
        ("aws_secret_access_key", "secret"),
        ("aws_session_token", "token"),
    ]
}

#[test]
fn new_section_goes_at_the_end_after_one_blank_line() {
    let text = "[default]\naws_access_key_id = AKIA\n# end";
    let (applied, record) = apply(text, "dev", &creds()).unwrap();
    assert_eq!(
        applied,
        "[default]\naws_access_key_id = AKIA\n# end\n\n[dev]\naws_access_key_id = ASIAEXAMPLE\n\
         aws_secret_access_key = secret\naws_session_token = token\n"
    );
    assert!(record.created_section && record.added_final_newline && record.added_blank_line);
    assert_eq!(revert(&applied, &record).unwrap(), text);
}

#[test]
fn no_separator_after_a_blank_line_or_in_an_empty_file() {
    let (applied, record) = apply("[a]\nx = 1\n\n", "b", &[("k", "v")]).unwrap();
    assert_eq!(applied, "[a]\nx = 1\n\n[b]\nk = v\n");
    assert!(!record.added_blank_line && !record.added_final_newline);
    let (applied, record) = apply("", "b", &[("k", "v")]).unwrap();
    assert_eq!(applied, "[b]\nk = v\n");
    assert_eq!(revert(&applied, &record).unwrap(), "");
}

#[test]
fn crlf_files_get_crlf_lines() {
    let text = "[default]\r\nregion = eu-west-1\r\n\r\n[other]\r\nx = 1\r\n";
    let (applied, record) = apply(
        text,
        "default",
        &[("region", "us-east-1"), ("output", "json")],
    )
    .unwrap();
    assert_eq!(
        applied,
        "[default]\r\nregion = us-east-1\r\noutput = json\r\n\r\n[other]\r\nx = 1\r\n"
    );
    assert_eq!(
        record.keys,
        vec![
            WrittenKey {
                key: "region".into(),
                replaced: Some("region = eu-west-1\r\n".into())
            },
            WrittenKey {
                key: "output".into(),
                replaced: None
            },
        ]
    );
    assert_eq!(revert(&applied, &record).unwrap(), text);
}

#[test]
fn keys_go_after_the_last_key_not_after_trailing_comments() {
    let text = "[dev]\nregion = x\n# about prod\n\n[prod]\nregion = y\n";
    let (applied, _) = apply(text, "dev", &[("output", "json")]).unwrap();
    assert_eq!(
        applied,
        "[dev]\nregion = x\noutput = json\n# about prod\n\n[prod]\nregion = y\n"
    );
}

#[test]
fn keys_are_matched_case_insensitively_and_keep_their_indent() {
    let text = "[default]\n  AWS_Access_Key_ID=AKIA\n  output = json\n";
    let (applied, record) = apply(text, "default", &[("aws_access_key_id", "ASIA")]).unwrap();
    assert_eq!(
        applied,
        "[default]\n  aws_access_key_id = ASIA\n  output = json\n"
    );
    assert_eq!(
        section_keys(&applied, "default").unwrap(),
        Some(vec!["aws_access_key_id".to_string(), "output".to_string()])
    );
    assert_eq!(revert(&applied, &record).unwrap(), text);
}

#[test]
fn an_entry_with_continuation_lines_is_replaced_whole() {
    let text =
        "[profile dev]\ns3 =\n    max_concurrent_requests = 10\n\n    # c\n    x = 1\nregion = a\n";
    assert_eq!(
        section_keys(text, "profile dev").unwrap(),
        Some(vec!["s3".to_string(), "region".to_string()])
    );
    let (applied, record) = apply(text, "profile dev", &[("s3", "none")]).unwrap();
    assert_eq!(applied, "[profile dev]\ns3 = none\nregion = a\n");
    assert_eq!(revert(&applied, &record).unwrap(), text);
}

#[test]
fn new_keys_do_not_swallow_an_indented_header() {
    // ` [b]` is a header because it is not indented deeper than the key above it; a new
    // key line at column 0 would turn it into a continuation line.
    let text = "[a]\n  x = 1\n [b]\n y = 2\n";
    let (applied, record) = apply(text, "a", &[("k", "v")]).unwrap();
    assert_eq!(applied, "[a]\n  x = 1\n k = v\n [b]\n y = 2\n");
    assert_eq!(
        section_keys(&applied, "b").unwrap(),
        Some(vec!["y".to_string()])
    );
    assert_eq!(revert(&applied, &record).unwrap(), text);
}

#[test]
fn an_indented_bracket_line_under_a_key_is_a_continuation() {
    let text = "[a]\nx =\n  [not a section]\n";
    assert_eq!(section_keys(text, "not a section").unwrap(), None);
    assert_eq!(section_keys(text, "a").unwrap(), Some(vec!["x".into()]));
}

#[test]
fn a_user_key_added_to_the_created_section_keeps_the_header() {
    let (applied, record) = apply("[a]\nx = 1\n", "b", &[("k", "v")]).unwrap();
    let edited = applied.replace("[b]\n", "[b]\n# mine\noutput = json\n");
    assert_eq!(
        revert(&edited, &record).unwrap(),
        "[a]\nx = 1\n\n[b]\n# mine\noutput = json\n"
    );
}

#[test]
fn a_section_appended_after_the_created_one_keeps_the_final_newline() {
    let (applied, record) = apply("[a]\nx = 1", "b", &[("k", "v")]).unwrap();
    assert_eq!(applied, "[a]\nx = 1\n\n[b]\nk = v\n");
    let edited = format!("{applied}[c]\ny = 2\n");
    assert_eq!(
        revert(&edited, &record).unwrap(),
        "[a]\nx = 1\n[c]\ny = 2\n"
    );
}

#[test]
fn a_missing_final_newline_is_restored_after_keys_inserted_at_the_end() {
    let text = "[default]\nregion = x";
    let (applied, record) = apply(text, "default", &[("region", "y"), ("output", "json")]).unwrap();
    assert_eq!(applied, "[default]\nregion = y\noutput = json\n");
    assert!(record.added_final_newline);
    assert_eq!(revert(&applied, &record).unwrap(), text);
    // Replacing only: nothing is added.
    let (applied, record) = apply(text, "default", &[("region", "y")]).unwrap();
    assert_eq!(applied, "[default]\nregion = y");
    assert!(!record.added_final_newline);
}

#[test]
fn revert_tolerates_keys_already_gone_and_puts_replaced_lines_back() {
    let text = "[default]\nregion = eu-west-1\noutput = json\n";
    let (applied, record) = apply(text, "default", &[("region", "us-east-1"), ("k", "v")]).unwrap();
    let edited = applied
        .replace("region = us-east-1\n", "")
        .replace("k = v\n", "");
    assert_eq!(
        revert(&edited, &record).unwrap(),
        "[default]\noutput = json\nregion = eu-west-1\n"
    );
    // The section removed by hand: left removed.
    assert_eq!(revert("[x]\ny = 1\n", &record).unwrap(), "[x]\ny = 1\n");
}

#[test]
fn lone_cr_line_endings_do_not_merge_with_new_lines() {
    // A new line ending in LF after a final lone CR, or a lone CR written before a line that
    // starts with LF, would merge into one CRLF and swallow a line.
    let text = "[default]\n#\r";
    let (applied, record) = apply(text, "dev", &[("k", "v")]).unwrap();
    assert_eq!(applied, "[default]\n#\r\r\n[dev]\nk = v\n");
    assert_eq!(revert(&applied, &record).unwrap(), text);
    let text = "\r[target]\rregion=\n\n[dev]";
    let (applied, record) = apply(text, "target", &[("k", "v")]).unwrap();
    assert_eq!(applied, "\r[target]\rregion=\nk = v\n\n[dev]");
    assert_eq!(revert(&applied, &record).unwrap(), text);
}

#[test]
fn a_bom_stays_first() {
    let text = "\u{feff}[default]\r\nregion = a\r\n";
    let (applied, record) = apply(text, "default", &[("output", "json")]).unwrap();
    assert_eq!(
        applied,
        "\u{feff}[default]\r\nregion = a\r\noutput = json\r\n"
    );
    assert_eq!(revert(&applied, &record).unwrap(), text);
    assert_eq!(
        section_block(text, "default").unwrap().unwrap(),
        "[default]\r\nregion = a\r\n"
    );
}

#[test]
fn update_values_rotates_in_place() {
    let (applied, record) = apply("[a]\nx = 1\n", "a", &creds()).unwrap();
    let rotated = update_values(
        &applied,
        "a",
        &[
            ("aws_access_key_id", "NEW"),
            ("aws_secret_access_key", "s2"),
            ("aws_session_token", "t2"),
        ],
    )
    .unwrap();
    assert_eq!(
        rotated,
        "[a]\nx = 1\naws_access_key_id = NEW\naws_secret_access_key = s2\naws_session_token = t2\n"
    );
    assert_eq!(revert(&rotated, &record).unwrap(), "[a]\nx = 1\n");
    assert!(matches!(
        update_values("[b]\n", "a", &[("k", "v")]),
        Err(IniError::MissingSection { .. })
    ));
}

#[test]
fn restore_section_block_puts_the_users_section_back() {
    let text = "[default]\naws_access_key_id = MINE\n\n[x]\ny = 1";
    let block = section_block(text, "default").unwrap().unwrap();
    // Blank lines that end a section separate it from the next: they are not part of it.
    assert_eq!(block, "[default]\naws_access_key_id = MINE\n");
    let (applied, _) = apply(text, "default", &creds()).unwrap();
    assert_eq!(
        restore_section_block(&applied, "default", &block).unwrap(),
        text
    );
    // The section gone: appended at the end, after a line ending.
    assert_eq!(
        restore_section_block("[x]\ny = 1", "default", &block).unwrap(),
        "[x]\ny = 1\n[default]\naws_access_key_id = MINE\n"
    );
    // A block that is not that section is refused.
    assert!(matches!(
        restore_section_block(text, "default", "[other]\n"),
        Err(IniError::InvalidBlock { .. })
    ));
}

#[test]
fn malformed_lines_are_reported_with_their_number() {
    let cases: &[(&str, usize, &str)] = &[
        ("key = value\n", 1, "before any `key = value`"),
        ("[a]\nx = 1\njust words\n", 3, "neither `=` nor `:`"),
        ("[a]\n[b\n", 2, "no closing `]`"),
        ("# c\n[]\n", 2, "names no section"),
        ("[a]\n = v\n", 2, "without a key name"),
        ("\u{feff}x = 1", 1, "before any"),
    ];
    for (text, line, what) in cases {
        let err = check(text).unwrap_err();
        let msg = err.to_string();
        assert_eq!(err.line(), Some(*line), "{text:?}: {msg}");
        assert!(msg.contains(what), "{text:?}: {msg}");
        assert!(apply(text, "a", &[("k", "v")]).is_err());
    }
}

#[test]
fn duplicates_are_refused_naming_both_lines() {
    let err = apply("[dev]\nx = 1\n[prod]\n[dev]\n", "dev", &[("k", "v")]).unwrap_err();
    assert!(matches!(
        err,
        IniError::DuplicateSection { ref section, first_line: 1, second_line: 4 } if section == "dev"
    ));
    let err = check("[dev]\nRegion = a\nregion = b\n").unwrap_err();
    assert!(matches!(
        err,
        IniError::DuplicateKey {
            first_line: 2,
            second_line: 3,
            ..
        }
    ));
}

#[test]
fn what_cannot_be_written_is_refused_without_quoting_values() {
    let err = apply("", "a", &[("k", "se\ncret")]).unwrap_err();
    assert!(matches!(err, IniError::InvalidValue { .. }));
    assert!(!err.to_string().contains("se"), "{err}");
    assert!(matches!(
        apply("", "a", &[("k=x", "v")]),
        Err(IniError::InvalidKey { .. })
    ));
    assert!(matches!(
        apply("", "a", &[("k", "v"), ("K", "w")]),
        Err(IniError::InvalidKey { .. })
    ));
    assert!(matches!(
        apply("", " a", &[("k", "v")]),
        Err(IniError::InvalidSection { .. })
    ));
}

#[test]
fn malformed_messages_do_not_quote_the_line() {
    let err = check("[a]\naws_secret_access_key wJalrXUtnFEMI\n").unwrap_err();
    assert!(!err.to_string().contains("wJalr"), "{err}");
}

#[test]
fn records_round_trip_through_json_and_redact() {
    let (_, record) = apply("[a]\nregion = x", "a", &[("region", "y"), ("k", "v")]).unwrap();
    let json = serde_json::to_string(&record).unwrap();
    let back: WriteRecord = serde_json::from_str(&json).unwrap();
    assert_eq!(back, record);
    let old: WriteRecord =
        serde_json::from_str(r#"{"section":"p","created_section":true,"keys":[]}"#).unwrap();
    assert!(!old.added_final_newline && !old.added_blank_line);
    assert!(record.redacted().keys.iter().all(|k| k.replaced.is_none()));
    assert_eq!(record.redacted().section, "a");
}

#[test]
fn config_section_names() {
    assert_eq!(config_section("default"), "default");
    assert_eq!(config_section("dev"), "profile dev");
}
