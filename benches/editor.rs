//! How fast the AWS ini editor handles a large credentials file: 1,000 profiles of
//! 3 keys each plus a comment and a blank line (~6,000 lines, ~250 KB), one session
//! written into a profile in the middle, rotated, and taken out again.

use std::hint::black_box;

use credtray::awsfiles::ini;
use criterion::{criterion_group, criterion_main, Criterion};

/// A credentials file of `profiles` sections.
fn credentials_file(profiles: usize) -> String {
    let mut text = String::from("# managed by hand\n\n");
    for i in 0..profiles {
        text.push_str(&format!(
            "[profile-{i:04}]\n# account {i}\naws_access_key_id = AKIA{i:016}\n\
             aws_secret_access_key = {i:040}\nregion = eu-west-1\n\n"
        ));
    }
    text
}

const SESSION: [(&str, &str); 3] = [
    ("aws_access_key_id", "ASIAEXAMPLEEXAMPLE00"),
    (
        "aws_secret_access_key",
        "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY00",
    ),
    (
        "aws_session_token",
        "IQoJb3JpZ2luX2VjEXAMPLETOKENEXAMPLETOKENEXAMPLETOKENEXAMPLETOKENEXAMPLETOKEN",
    ),
];

fn editor(c: &mut Criterion) {
    let text = credentials_file(1_000);
    let section = "session-target";
    // The target holds no keys yet and sits in the middle of the file.
    let text = text.replacen("[profile-0500]", "[session-target]\n\n[profile-0500]", 1);
    let (applied, record) = ini::apply(&text, section, &SESSION).expect("apply");
    assert_eq!(ini::revert(&applied, &record).expect("revert"), text);

    c.bench_function("apply one session in 1,000-profile credentials file", |b| {
        b.iter(|| ini::apply(black_box(&text), black_box(section), black_box(&SESSION)))
    });
    c.bench_function(
        "apply one new section to 1,000-profile credentials file",
        |b| {
            b.iter(|| {
                ini::apply(
                    black_box(&text),
                    black_box("brand-new"),
                    black_box(&SESSION),
                )
            })
        },
    );
    c.bench_function(
        "revert one session in 1,000-profile credentials file",
        |b| b.iter(|| ini::revert(black_box(&applied), black_box(&record))),
    );
    c.bench_function(
        "update_values one session in 1,000-profile credentials file",
        |b| {
            b.iter(|| {
                ini::update_values(black_box(&applied), black_box(section), black_box(&SESSION))
            })
        },
    );
    c.bench_function("check (parse) 1,000-profile credentials file", |b| {
        b.iter(|| ini::check(black_box(&applied)))
    });
}

criterion_group!(benches, editor);
criterion_main!(benches);
