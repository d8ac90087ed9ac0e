//! Model files: round trip in every scalar type, every kind of corruption rejected with a
//! clear error (never a panic or a silently different model), quantisation refusals that
//! name the parameter.

use fixed::types::{I16F16, I8F24};
use rand_core::SeedableRng;
use tinyscore::learned::model_file::{crc32, ModelFileError, FORMAT_VERSION, HEADER_LEN};
use tinyscore::learned::{Preconditioning, ScoreMlp, Tensor};
use tinyscore::DefaultRng;
use tinyscore_host::learned::model_io;

type M32 = ScoreMlp<f32, 2, 32, 1>;

fn model() -> M32 {
    let pc = Preconditioning { sigma: 1.0, noise_floor: 0.3, data_mean: [0.25, -1.0], data_std: [1.5, 2.0] };
    let mut m = M32::new_random(pc, &mut DefaultRng::seed_from_u64(11)).unwrap();
    for (i, v) in m.params.output.w.as_flattened_mut().iter_mut().enumerate() {
        *v = 0.01 * i as f32 - 0.3;
    }
    m
}

fn bytes<S: tinyscore::Scalar>(m: &ScoreMlp<S, 2, 32, 1>) -> Vec<u8> {
    let mut b = vec![0u8; ScoreMlp::<S, 2, 32, 1>::ENCODED_LEN];
    m.encode(&mut b).unwrap();
    b
}

/// Rewrite the checksum after an edit (to test the checks behind it).
fn reseal(b: &mut [u8]) {
    let n = b.len() - 4;
    let c = crc32(&b[..n]);
    b[n..].copy_from_slice(&c.to_le_bytes());
}

#[test]
fn round_trip_in_every_type() {
    let m = model();
    assert_eq!(M32::decode(&bytes(&m)).unwrap(), m);
    let m64 = m.convert::<f64>().unwrap();
    assert_eq!(ScoreMlp::<f64, 2, 32, 1>::decode(&bytes(&m64)).unwrap(), m64);
    let q16 = m.convert::<I16F16>().unwrap();
    let b16 = bytes(&q16);
    assert_eq!(ScoreMlp::<I16F16, 2, 32, 1>::decode(&b16).unwrap(), q16);
    // A fixed-point file read as f64 holds exactly the fixed values.
    assert_eq!(ScoreMlp::<f64, 2, 32, 1>::decode(&b16).unwrap().convert::<I16F16>().unwrap(), q16);
    let q24 = m.convert::<I8F24>().unwrap();
    assert_eq!(ScoreMlp::<I8F24, 2, 32, 1>::decode(&bytes(&q24)).unwrap(), q24);
    // The host reads every type and reports the stored one.
    let loaded = model_io::parse(&b16, "m.tsm").unwrap();
    assert_eq!(loaded.stored.name(), "i16f16");
    assert_eq!(loaded.model.dims(), 2);
}

#[test]
fn every_single_byte_corruption_is_rejected() {
    let good = bytes(&model());
    for i in 0..good.len() {
        for flip in [0x01u8, 0x80] {
            let mut b = good.clone();
            b[i] ^= flip;
            assert!(M32::decode(&b).is_err(), "flip {flip:#x} at byte {i} accepted");
        }
    }
}

#[test]
fn every_truncation_and_extension_is_rejected() {
    let good = bytes(&model());
    for n in 0..good.len() {
        let e = M32::decode(&good[..n]).unwrap_err();
        assert!(matches!(e, ModelFileError::Truncated { .. }), "{n} bytes: {e}");
    }
    let mut long = good.clone();
    long.push(0);
    assert!(matches!(M32::decode(&long), Err(ModelFileError::TrailingBytes { .. })));
}

#[test]
fn header_errors_are_specific() {
    let good = bytes(&model());
    let mut b = good.clone();
    b[0] = b'X';
    assert_eq!(M32::decode(&b), Err(ModelFileError::BadMagic));
    let mut b = good.clone();
    b[4..6].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    reseal(&mut b);
    assert_eq!(M32::decode(&b), Err(ModelFileError::UnsupportedVersion { found: FORMAT_VERSION + 1 }));
    let mut b = good.clone();
    b[6] = 9;
    reseal(&mut b);
    assert_eq!(M32::decode(&b), Err(ModelFileError::UnknownScalar { code: 9 }));
    // Wrong shapes: a 2-D file read as 1-D, as width 16, with 2 hidden-to-hidden layers.
    let e = ScoreMlp::<f32, 1, 32, 1>::decode(&good).unwrap_err();
    assert!(matches!(e, ModelFileError::ShapeMismatch { field: "dims", expected: 1, found: 2 }), "{e}");
    let e = ScoreMlp::<f32, 2, 16, 1>::decode(&good).unwrap_err();
    assert!(matches!(e, ModelFileError::ShapeMismatch { field: "hidden", .. }), "{e}");
    let e = ScoreMlp::<f32, 2, 32, 2>::decode(&good).unwrap_err();
    assert!(matches!(e, ModelFileError::ShapeMismatch { field: "layers", .. }), "{e}");
    // A NaN parameter and an invalid constant behind a valid checksum.
    let mut b = good.clone();
    let first_param = HEADER_LEN + 8 * 6;
    b[first_param..first_param + 4].copy_from_slice(&f32::NAN.to_le_bytes());
    reseal(&mut b);
    let e = M32::decode(&b).unwrap_err();
    assert!(format!("{e}").contains("w_x[0][0]"), "{e}");
    let mut b = good.clone();
    b[HEADER_LEN + 8..HEADER_LEN + 16].copy_from_slice(&(-1.0f64).to_le_bytes());
    reseal(&mut b);
    assert!(matches!(M32::decode(&b), Err(ModelFileError::Constant(_))));
    // Host messages name the file.
    let e = model_io::parse(&good[..50], "models/m.tsm").unwrap_err();
    assert!(format!("{e:#}").starts_with("models/m.tsm: truncated"), "{e:#}");
}

#[test]
fn quantisation_refuses_a_weight_that_does_not_fit_and_names_it() {
    let mut m = model();
    m.params.hidden[0].w[3][7] = 300.0;
    let e = m.convert::<I8F24>().unwrap_err();
    assert_eq!(e.param.tensor, Tensor::WH);
    assert!(format!("{e}").contains("w_h[0][3][7] = 300"), "{e}");
    // Through the file, too.
    let e = ScoreMlp::<I8F24, 2, 32, 1>::decode(&bytes(&m)).unwrap_err();
    assert!(format!("{e}").contains("w_h[0][3][7]") && format!("{e}").contains("i8f24"), "{e}");
    m.params.output.b[1] = 40_000.0;
    let e = m.convert::<I16F16>().unwrap_err();
    assert!(format!("{e}").contains("b_out[1] = 40000"), "{e}");
}
