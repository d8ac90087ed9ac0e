//! The `no_std` model-file parser a device runs on bytes from flash: any bytes give a model
//! or a typed error, never a panic; a decoded model's score is finite or flagged. Each input
//! is decoded as given and once more with its last 4 bytes replaced by the CRC-32 of the rest,
//! so that mutations reach the checks after the checksum (constants, parameters).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tinyscore::learned::model_file::{crc32, read_header};
use tinyscore::learned::ScoreMlp;

fn decode_all(bytes: &[u8]) {
    let _ = read_header(bytes);
    if let Ok(m) = ScoreMlp::<f32, 1, 32, 1>::decode(bytes) {
        let (s, st) = m.score(0.5, &[0.25f32]);
        assert!(s.iter().all(|v| v.is_finite()) || !st.is_ok(), "non-finite ok score from a decoded model");
    }
    let _ = ScoreMlp::<f64, 2, 32, 1>::decode(bytes);
    let _ = ScoreMlp::<f32, 1, 8, 0>::decode(bytes);
    // The host's reader: every build shape, and its messages.
    match tinyscore_host::learned::model_io::parse(bytes, "fuzz.tsm") {
        Ok(_) => {}
        Err(e) => assert!(format!("{e:#}").starts_with("fuzz.tsm"), "error without the file name: {e:#}"),
    }
}

fuzz_target!(|bytes: &[u8]| {
    decode_all(bytes);
    if let Some((body, _)) = bytes.split_last_chunk::<4>() {
        let mut fixed = bytes.to_vec();
        let crc = crc32(body).to_le_bytes();
        fixed[body.len()..].copy_from_slice(&crc);
        decode_all(&fixed);
    }
});
