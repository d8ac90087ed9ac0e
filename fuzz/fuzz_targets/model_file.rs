//! The `no_std` model-file parser a device runs on bytes from flash: any bytes give a model
//! or a typed error, never a panic; a decoded model's score is finite or flagged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tinyscore::learned::model_file::read_header;
use tinyscore::learned::ScoreMlp;

fuzz_target!(|bytes: &[u8]| {
    let _ = read_header(bytes);
    if let Ok(m) = ScoreMlp::<f32, 1, 32, 1>::decode(bytes) {
        let (s, st) = m.score(0.5, &[0.25f32]);
        assert!(s.iter().all(|v| v.is_finite()) || !st.is_ok(), "non-finite ok score from a decoded model");
    }
    let _ = ScoreMlp::<f64, 2, 32, 1>::decode(bytes);
    let _ = ScoreMlp::<f32, 1, 8, 0>::decode(bytes);
    // The host's reader: every build shape, and its messages.
    let _ = tinyscore_host::learned::model_io::parse(bytes, "fuzz.tsm");
});
