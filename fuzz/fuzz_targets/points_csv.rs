//! The points CSV reader: any bytes give rows or an error naming the file, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    for dims in 1..=2 {
        match tinyscore_host::points::parse(bytes, dims, "the mixture", "fuzz.csv") {
            Ok(p) => assert!(p.rows.iter().all(|r| r.t >= 0.0 && r.x.iter().all(|v| v.is_finite()))),
            Err(e) => assert!(format!("{e:#}").starts_with("fuzz.csv"), "error without the file name: {e:#}"),
        }
    }
});
