//! The mixture file reader: any text gives a validated mixture or an error naming the file,
//! never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tinyscore_host::mixture_file::MixtureSpec;

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else { return };
    match MixtureSpec::parse(text, "fuzz.toml").and_then(|s| s.validate("fuzz.toml")) {
        Ok(_) => {}
        Err(e) => assert!(format!("{e:#}").starts_with("fuzz.toml"), "error without the file name: {e:#}"),
    }
});
