#![allow(clippy::needless_range_loop)]
extern crate std;

use super::*;
use crate::learned::model_file::ModelFileError;
use crate::sampling::uniform_f64;
use fixed::types::I16F16;
use rand_xoshiro::rand_core::{RngCore, SeedableRng};

type M = ScoreMlp<f32, 2, 8, 2>;
type Q = QuantMlp<2, 8, 2>;

/// A random float model with a random (non-zero) output layer and biases.
fn model(seed: u64) -> M {
    let pc = Preconditioning { sigma: 1.0, noise_floor: 0.3, data_mean: [0.5, -0.5], data_std: [1.5, 1.0] };
    let mut rng = crate::DefaultRng::seed_from_u64(seed);
    let mut m = M::new_random(pc, &mut rng).unwrap();
    let mut r = |a: f64| (a * (2.0 * uniform_f64(&mut rng) - 1.0)) as f32;
    for row in m.params.output.w.iter_mut() {
        for v in row.iter_mut() {
            *v = r(1.5);
        }
    }
    for b in m.params.input.b.iter_mut().chain(m.params.output.b.iter_mut()) {
        *b = r(0.5);
    }
    for l in m.params.hidden.iter_mut() {
        for b in l.b.iter_mut() {
            *b = r(0.5);
        }
    }
    m
}

/// `(t, x)` with `t` uniform in `[0, 1]` and `x` around the data (`|x - m| <= 3 c(t)`).
fn draw(rng: &mut crate::DefaultRng, m: &M) -> (f64, [f32; 2]) {
    let t = uniform_f64(rng);
    let mut x = [0.0f32; 2];
    for (xd, (&md, &sd)) in x.iter_mut().zip(m.precond.data_mean.iter().zip(m.precond.data_std.iter())) {
        let c = libm::sqrt(sd * sd + t);
        *xd = (md + 3.0 * c * (2.0 * uniform_f64(rng) - 1.0)) as f32;
    }
    (t, x)
}

fn calibrated(m: &M) -> Q {
    let mut cal = Calibration::new();
    let mut rng = crate::DefaultRng::seed_from_u64(99);
    for _ in 0..2000 {
        let (t, x) = draw(&mut rng, m);
        assert!(cal.observe(m, t, &x));
    }
    QuantMlp::quantize(m, &cal).unwrap()
}

#[test]
fn tanh_table_matches_libm() {
    for (k, &v) in tanh_table::TANH_Q15.iter().enumerate() {
        let exact = libm::tanh(k as f64 / 64.0) * 32768.0;
        assert!((v as f64 - exact.min(32767.0)).abs() <= 0.5, "{k}");
    }
}

#[test]
fn tanh_q15_within_its_bound() {
    let mut worst = 0.0f64;
    let mut z = -(9i64 << 16);
    while z <= 9 << 16 {
        let e = (tanh_q15(z as i32) as f64 / 32768.0 - libm::tanh(z as f64 / 65_536.0)).abs();
        worst = worst.max(e);
        z += 3;
    }
    assert!(worst <= TANH_ERROR, "{worst}");
    assert!(worst > TANH_ERROR / 4.0, "the bound is not far off: {worst}");
    assert_eq!(tanh_q15(i32::MAX), 32767);
    assert_eq!(tanh_q15(0), 0);
}

/// `tanh_q15` from its definition, computed here from libm: the odd table T[k] = sign(k)
/// min(32767, round(32768 tanh(|k| / 64))), |k| < 512, interpolated on the 10 fraction bits
/// (floor(z / 2^10) and z mod 2^10, also for z < 0), rounded with ties up, z clamped into
/// [-511, 511) / 64.
fn tanh_reference(z: i64) -> i64 {
    let half = |k: i64| (libm::round(32768.0 * libm::tanh(k.abs() as f64 / 64.0)) as i64).min(32767);
    let table = |k: i64| if k < 0 { -half(k) } else { half(k) };
    let c = z.clamp(-(511 << 10), (511 << 10) - 1);
    let (k, f) = (c.div_euclid(1024), c.rem_euclid(1024));
    table(k) + (((table(k + 1) - table(k)) * f + 512) >> 10)
}

/// `floor(a m / 2^n + 1/2)` in `i128`, clamped to `i32`: the requantisation's definition.
fn requantize_exact(a: i64, m: i32, n: u8) -> i64 {
    let exact = ((a as i128 * m as i128) * 2 + (1i128 << n)).div_euclid(1i128 << (n as u32 + 1));
    exact.clamp(i32::MIN as i128, i32::MAX as i128) as i64
}

#[test]
fn tanh_q15_is_the_interpolated_table_of_libm() {
    // The kernel's tables (half or whole, shortened at k = 343) against the definition.
    let mut z = -(12i64 << 16);
    while z <= 12 << 16 {
        assert_eq!(tanh_q15(z as i32) as i64, tanh_reference(z), "z = {z}");
        z += 7;
    }
    for z in [i32::MIN, i32::MIN + 1, -(342 << 10), (342 << 10) - 1, 342 << 10, i32::MAX] {
        assert_eq!(tanh_q15(z) as i64, tanh_reference(z as i64), "z = {z}");
    }
}

#[test]
fn requantize_matches_exact_rounding() {
    let mut rng = crate::DefaultRng::seed_from_u64(5);
    for _ in 0..20000 {
        let a = (rng.next_u32() as i32) >> (rng.next_u32() % 31);
        let m = (1 << 30) | (rng.next_u32() as i32 & 0x3FFF_FFFF);
        let n = 1 + (rng.next_u32() % 62) as u8;
        let exact = requantize_exact(a as i64, m, n) as i32;
        assert_eq!(requantize(a, m, n), exact, "{a} {m} {n}");
        assert_eq!(Requant::from_parts(m, n).apply(a), exact, "precomputed: {a} {m} {n}");
    }
}

#[test]
fn multiplier_is_within_its_relative_error() {
    for r in [3.7e-9, 0.001, 0.3, 1.0, 1.5, 123.456, 1e8] {
        let (m, n) = multiplier(r).unwrap();
        let v = m as f64 / libm::exp2(n as f64);
        assert!(((v - r) / r).abs() <= libm::exp2(-31.0), "{r}");
    }
    assert_eq!(multiplier(f64::NAN), None);
    assert_eq!(multiplier(1e30), None);
    assert_eq!(multiplier(1e-12), None); // would need n > 62
}

/// The model quantised by GPTQ (with its bias correction) on the same draws as [`calibrated`].
fn calibrated_gptq(m: &M) -> Q {
    let mut cal = Calibration::new();
    let mut curv = Curvature::new();
    let mut rng = crate::DefaultRng::seed_from_u64(99);
    for _ in 0..2000 {
        let (t, x) = draw(&mut rng, m);
        assert!(cal.observe(m, t, &x) && curv.observe(m, t, &x));
    }
    QuantMlp::quantize_gptq(m, &cal, &curv).unwrap()
}

#[test]
fn quantised_output_within_the_a_priori_bound() {
    output_within_bound(calibrated, |q, _| q.error_bound());
}

#[test]
fn gptq_output_within_the_bound_against_the_float_model() {
    output_within_bound(calibrated_gptq, |q, m| q.error_bound_against(m));
    // Against the float model, a nearest-rounded model's bound is its a-priori bound or tighter.
    let m = model(2);
    let q = calibrated(&m);
    let (a, b) = (q.error_bound(), q.error_bound_against(&m));
    assert!(b.output.iter().zip(a.output.iter()).all(|(b, a)| b <= a), "{b:?} vs {a:?}");
}

#[test]
fn gptq_bias_correction_removes_the_mean_error() {
    // The quantised output's mean error over fresh draws is smaller with the bias
    // correction of `quantize_gptq` than the spread of the error (independent check: the
    // float model in f64 as the reference).
    let m = model(5);
    let q = calibrated_gptq(&m);
    let exact = m.convert::<f64>().unwrap();
    let mut rng = crate::DefaultRng::seed_from_u64(7);
    let (mut sum, mut sum2, n) = ([0.0f64; 2], [0.0f64; 2], 4000);
    for _ in 0..n {
        let (t, x) = draw(&mut rng, &m);
        let xf = x.map(|v| v as f64);
        let tc = exact.time_consts(t).unwrap();
        let mut tr = crate::learned::model::Trace::new();
        exact.forward_traced(&tc, &xf, &mut tr);
        let mut qtr = QuantTrace::new();
        q.forward_traced(&q.prepare::<f64>(t).unwrap(), &xf, &mut qtr);
        for d in 0..2 {
            let e = qtr.out[d] as f64 * libm::exp2(-(q.output_frac as f64)) - tr.out[d];
            sum[d] += e;
            sum2[d] += e * e;
        }
    }
    for d in 0..2 {
        let mean = sum[d] / n as f64;
        let rms = libm::sqrt(sum2[d] / n as f64);
        assert!(mean.abs() < 0.5 * rms, "d {d}: mean {mean}, rms {rms}");
    }
}

fn output_within_bound(quantise: fn(&M) -> Q, bound_of: fn(&Q, &M) -> QuantBound<2>) {
    for seed in 1..4 {
        let m = model(seed);
        let q = quantise(&m);
        let exact = m.convert::<f64>().unwrap();
        let bound = bound_of(&q, &m);
        let mut rng = crate::DefaultRng::seed_from_u64(seed + 100);
        let mut worst = [0.0f64; 2];
        let mut worst_score = 0.0f64;
        for _ in 0..3000 {
            let (t, x) = draw(&mut rng, &m);
            let xf = x.map(|v| v as f64);
            let tc = exact.time_consts(t).unwrap();
            let mut tr = crate::learned::model::Trace::new();
            exact.forward_traced(&tc, &xf, &mut tr);
            let qt = q.prepare::<f64>(t).unwrap();
            let mut qtr = QuantTrace::new();
            q.forward_traced(&qt, &xf, &mut qtr);
            assert!(!qtr.saturated);
            for (d, w) in worst.iter_mut().enumerate() {
                let e = (qtr.out[d] as f64 * libm::exp2(-(q.output_frac as f64)) - tr.out[d]).abs();
                *w = w.max(e);
            }
            let (sq, st) = q.score(t, &xf);
            let (sf, _) = exact.score(t, &xf);
            assert!(st.is_ok());
            for (a, b) in sq.iter().zip(sf.iter()) {
                worst_score = worst_score.max((a - b).abs());
            }
        }
        for d in 0..2 {
            assert!(worst[d] <= bound.output[d], "seed {seed} d {d}: {} > {}", worst[d], bound.output[d]);
        }
        assert!(worst_score <= bound.score + 1e-9, "{worst_score} > {}", bound.score);
        // Not vacuous: the quantised model is close, and the bound within a few hundred times.
        assert!(worst[0] > 0.0 && worst[0] < 0.05, "{worst:?}");
        std::println!("seed {seed}: observed {worst:?}, bound {:?}", bound.output);
    }
}

#[test]
fn every_scalar_type_agrees_with_f64() {
    let m = model(7);
    let q = calibrated(&m);
    let mut rng = crate::DefaultRng::seed_from_u64(8);
    for _ in 0..500 {
        let (t, x) = draw(&mut rng, &m);
        let (s64, _) = q.score(t, &x.map(|v| v as f64));
        let (s32, st32) = q.score(t, &x);
        let (sfx, stfx) = q.score(t, &x.map(|v| I16F16::from_num(v)));
        assert!(st32.is_ok() && stfx.is_ok());
        for d in 0..2 {
            let scale = 1.0 + s64[d].abs();
            assert!((s32[d] as f64 - s64[d]).abs() <= 2e-3 * scale, "{} {}", s32[d], s64[d]);
            assert!((sfx[d].to_num::<f64>() - s64[d]).abs() <= 2e-3 * scale, "{} {}", sfx[d], s64[d]);
        }
    }
}

#[test]
fn far_inputs_are_flagged() {
    let m = model(2);
    let q = calibrated(&m);
    let (_, st) = q.score(0.1, &[1e4f32, 0.0]);
    assert_eq!(st, Status::Saturated);
    let (s, st) = q.score(-1.0, &[0.0f32, 0.0]);
    assert_eq!((s, st), ([0.0; 2], Status::Saturated));
}

#[test]
fn report_rows_and_errors() {
    let m = model(3);
    let q = calibrated(&m);
    let mut rep = QuantReport::new(&q);
    let mut rng = crate::DefaultRng::seed_from_u64(4);
    for _ in 0..500 {
        let (t, x) = draw(&mut rng, &m);
        assert!(rep.observe(&q, &m, t, &x));
    }
    let names: std::vec::Vec<_> = rep.layers().map(|r| (r.layer, r.index)).collect();
    assert_eq!(names, [("input", 0), ("first", 0), ("hidden", 0), ("hidden", 1), ("output", 0)]);
    assert!(rep.input.max_error <= 0.51 * q.input_scale as f64);
    for r in rep.layers() {
        assert_eq!(r.count, if r.layer == "input" || r.layer == "output" { 1000 } else { 4000 });
        assert!(r.rms() <= r.max_error && r.max_error > 0.0, "{r:?}");
    }
    assert!(rep.output.max_error <= q.error_bound().output.iter().fold(0.0f64, |a, &b| a.max(b)));
}

#[test]
fn calibration_needs_draws() {
    assert_eq!(Q::quantize(&model(1), &Calibration::new()), Err(QuantError::NoDraws));
    let mut m = model(1);
    m.params.hidden[1].w[2][3] = f32::NAN;
    let mut cal = Calibration::new();
    cal.max_u = [1.0; 2];
    cal.draws = 1;
    assert_eq!(Q::quantize(&m, &cal), Err(QuantError::NotFinite { layer: "hidden", layer_index: 1 }));
}

#[test]
fn file_round_trip_and_refusals() {
    let m = model(4);
    let q = calibrated(&m);
    let mut buf = [0u8; Q::ENCODED_LEN];
    assert_eq!(q.encode(&mut buf), Ok(Q::ENCODED_LEN));
    assert_eq!(u16::from_le_bytes([buf[4], buf[5]]), 2);
    assert_eq!(Q::decode(&buf), Ok(q));
    // Truncated, trailing, corrupted.
    assert!(matches!(Q::decode(&buf[..buf.len() - 3]), Err(ModelFileError::Truncated { .. })));
    let mut long = [0u8; Q::ENCODED_LEN + 1];
    long[..Q::ENCODED_LEN].copy_from_slice(&buf);
    assert!(matches!(Q::decode(&long), Err(ModelFileError::TrailingBytes { .. })));
    let mut bad = buf;
    bad[100] ^= 4;
    assert!(matches!(Q::decode(&bad), Err(ModelFileError::ChecksumMismatch { .. })));
    // A field out of range with a valid checksum: named.
    let fix_crc = |b: &mut [u8; Q::ENCODED_LEN]| {
        let n = b.len() - 4;
        let c = crate::learned::model_file::crc32(&b[..n]);
        b[n..].copy_from_slice(&c.to_le_bytes());
    };
    let mut bad = buf;
    let shift0 = Q::ENCODED_LEN - 4 - 2; // output.shift[0]
    bad[shift0] = 0;
    fix_crc(&mut bad);
    let e = Q::decode(&bad).unwrap_err();
    assert_eq!(e, ModelFileError::QuantField { layer: "output", layer_index: 0, field: "shift", index: 0 });
    assert_eq!(std::format!("{e}"), "q8 field output.shift[0] is out of range");
    let mut bad = buf;
    let w0 = 20 + 8 * 6 + 8 + 2 * 2 * 8 + 8 * 16 + 8 * 8 + 4 * 8 + 4 * 8 + 8 + 7; // hidden[0].w[7]
    bad[w0] = 0x80;
    fix_crc(&mut bad);
    assert_eq!(
        Q::decode(&bad),
        Err(ModelFileError::QuantField { layer: "hidden", layer_index: 0, field: "w", index: 7 })
    );
    // Shape, and the other kind of model.
    assert!(matches!(QuantMlp::<2, 8, 1>::decode(&buf), Err(ModelFileError::ShapeMismatch { field: "layers", .. })));
    assert_eq!(M::decode(&buf), Err(ModelFileError::ScalarKind { found: "q8", reader: "ScoreMlp" }));
    let mut v1 = [0u8; M::ENCODED_LEN];
    m.encode(&mut v1).unwrap();
    assert_eq!(u16::from_le_bytes([v1[4], v1[5]]), 1);
    assert_eq!(M::decode(&v1), Ok(m));
    assert_eq!(Q::decode(&v1), Err(ModelFileError::ScalarKind { found: "f32", reader: "QuantMlp" }));
    // A version-1 header with the q8 code is refused.
    let mut v1q = buf;
    v1q[4] = 1;
    assert_eq!(Q::decode(&v1q), Err(ModelFileError::UnknownScalar { code: 4 }));
}

#[test]
fn offset_layer_equals_the_plain_signed_sum() {
    let mut rng = crate::DefaultRng::seed_from_u64(21);
    let mut layer = QuantDense::<13, 5>::zeroed();
    for i in 0..5 {
        layer.rq[i] = Requant::from_parts(1 << 30, 30); // x 1: the raw accumulator
        for j in 0..13 {
            layer.set_weight(i, j, ((rng.next_u32() % 255) as i32 - 127) as i8);
        }
        layer.set_bias(i, (rng.next_u32() as i32) >> 2);
    }
    for _ in 0..200 {
        let h: [i16; 13] = core::array::from_fn(|_| ((rng.next_u32() % 65535) as i32 - 32767) as i16);
        let mut out = [0i32; 5];
        layer.forward_biased(&h.map(act), &mut out);
        for i in 0..5 {
            let exact: i64 =
                layer.bias()[i] as i64 + (0..13).map(|j| layer.weight(i, j) as i64 * h[j] as i64).sum::<i64>();
            let exact = exact.clamp(i32::MIN as i64, i32::MAX as i64) as i32;
            assert_eq!(out[i], exact);
        }
    }
    assert_eq!(layer.weight(9, 0), 0);
}

#[test]
fn split_high_word_is_exact() {
    let mut rng = crate::DefaultRng::seed_from_u64(31);
    let edges = [i32::MIN, i32::MIN + 1, -65537, -65536, -1, 0, 1, 65535, 65536, i32::MAX];
    let medges = [0, 1, 65535, 65536, 1 << 30, i32::MAX];
    for &a in edges.iter() {
        for &m in medges.iter() {
            assert_eq!(mul_hi_split(a, m), ((a as i64 * m as i64) >> 32) as i32, "{a} {m}");
        }
    }
    for _ in 0..200_000 {
        let a = rng.next_u32() as i32;
        let m = (rng.next_u32() >> 1) as i32;
        assert_eq!(mul_hi_split(a, m), ((a as i64 * m as i64) >> 32) as i32, "{a} {m}");
    }
}

#[test]
fn every_kernel_equals_the_plain_sum() {
    fn check<const I: usize>(rng: &mut crate::DefaultRng) {
        let w: [[i8; I]; 4] =
            core::array::from_fn(|_| core::array::from_fn(|_| ((rng.next_u32() % 255) as i32 - 127) as i8));
        let h: [i16; I] = core::array::from_fn(|_| ((rng.next_u32() % 65535) as i32 - 32767) as i16);
        // The DSP kernel: i16 weights and inputs as little-endian bytes.
        let w16 = w.map(|r| r.map(|v| (v as i16).to_le_bytes()));
        let h16 = h.map(|v| v.to_le_bytes());
        let mut block = [[[0u8; 2]; I]; 4];
        for k in 0..4 {
            for j in 0..I {
                let p = w16_pos::<I, 4>(k, j);
                block.as_flattened_mut().as_flattened_mut()[p..p + 2].copy_from_slice(&w16[k][j]);
            }
        }
        let got = dot4_i16(block.as_flattened().as_flattened(), h16.as_flattened());
        // The offset kernels: sum (w + 128)(h + 32768) modulo 2^32.
        let wo = w.map(|r| r.map(|v| (v as u8) ^ 0x80));
        let ho = h.map(offset);
        let got4 = dot4_u8([&wo[0], &wo[1], &wo[2], &wo[3]], &ho);
        let got4s = dot4_u8([&wo[0], &wo[1], &wo[2], &wo[3]], &h);
        let wp = w.map(|r| r.map(|v| v as u8));
        let plain4 = dot4_i8([&wp[0], &wp[1], &wp[2], &wp[3]], &h);
        for k in 0..4 {
            let exact = (0..I).map(|j| w[k][j] as i64 * h[j] as i64).sum::<i64>() as i32;
            assert_eq!(got[k], exact, "dsp row {k}, I = {I}");
            assert_eq!(plain4[k], exact, "plain row {k}, I = {I}");
            assert_eq!(dot_i16_tail(w16[k].as_flattened(), h16.as_flattened()), exact);
            assert_eq!(dot_i16(w16[k].as_flattened(), h16.as_flattened()), exact);
            let off = (0..I).map(|j| wo[k][j] as u64 * ho[j] as u64).sum::<u64>() as u32;
            assert_eq!(got4[k], off, "offset row {k}, I = {I}");
            assert_eq!(dot_u8(&wo[k], &ho) as u32, off);
            // Offset weights, plain inputs: sum (w + 128) h modulo 2^32.
            let plain = (0..I).map(|j| wo[k][j] as i64 * h[j] as i64).sum::<i64>() as u32;
            assert_eq!(got4s[k], plain, "plain-input row {k}, I = {I}");
            assert_eq!(dot_u8(&wo[k], &h) as u32, plain);
        }
    }
    let mut rng = crate::DefaultRng::seed_from_u64(41);
    for _ in 0..200 {
        check::<1>(&mut rng);
        check::<2>(&mut rng);
        check::<7>(&mut rng);
        check::<13>(&mut rng);
        check::<32>(&mut rng);
        check::<35>(&mut rng);
    }
}

#[test]
fn dsp_layout_is_a_permutation() {
    fn check<const I: usize, const O: usize>() {
        let mut seen = vec![false; 2 * I * O];
        for i in 0..O {
            for j in 0..I {
                let p = w16_pos::<I, O>(i, j);
                assert!(p.is_multiple_of(2) && !seen[p], "{I} x {O}: ({i}, {j})");
                seen[p] = true;
            }
        }
    }
    check::<13, 5>();
    check::<32, 32>();
    check::<32, 1>();
    check::<35, 9>();
    check::<1, 4>();
}

/// `SatI32F32`'s 32-bit `round_clamped` against the rounding in 64 bits (`(raw >> 31) + 1 >>
/// 1`, clamped, a saturated value flagged), on edges and pseudo-random values.
#[test]
fn quant_round_clamped_matches_the_64_bit_rounding() {
    let reference = |raw: i64, lo: i32, hi: i32| {
        let v = (raw >> 31).wrapping_add(1) >> 1;
        let c = v.clamp(lo as i64, hi as i64);
        (c as i32, c != v || raw == i64::MAX || raw == i64::MIN)
    };
    let mut cases = vec![0i64, 1, -1, i64::MAX, i64::MIN, i64::MAX - 1, i64::MIN + 1];
    for h in [0i64, 1, -1, 32767, 32768, -32767, -32768, i32::MAX as i64, i32::MIN as i64] {
        for l in [0i64, (1 << 31) - 1, 1 << 31, (1 << 32) - 1] {
            cases.push((h << 32) | l);
        }
    }
    let mut rng = crate::DefaultRng::seed_from_u64(31);
    for _ in 0..100_000 {
        let x = rng.next_u64();
        cases.push((x as i64) >> (x % 48));
    }
    for &raw in &cases {
        for (lo, hi) in [(-32767, 32767), (i32::MIN, i32::MAX), (0, 10), (i32::MIN, 0)] {
            assert_eq!(SatI32F32(raw).round_clamped(lo, hi), reference(raw, lo, hi), "raw = {raw}, [{lo}, {hi}]");
        }
    }
}

/// The integer forward pass from `u` on, written from the definitions (exact `i128`
/// requantisation, the `tanh` table read per the module documentation), against
/// `forward_traced`: on a calibrated model (every channel 32-bit, the fast forward) and
/// on the same model with one first-layer and one hidden channel given a multiplier of
/// 1/2 or more (`n < 33`: the forward that tests each channel).
#[test]
fn forward_equals_the_reference_on_both_requantisation_paths() {
    let rq = |a: i64, q: &Requant| requantize_exact(a, q.mult(), q.shift());
    let base = calibrated(&model(5));
    let mut slow = base;
    slow.first.rq[3] = Requant::from_parts(1 << 30, 30); // x 1
    slow.hidden[1].rq[6] = Requant::from_parts(3 << 29, 31); // x 3/4
    let mut rng = crate::DefaultRng::seed_from_u64(8);
    for (q, fast) in [(&base, true), (&slow, false)] {
        for _ in 0..200 {
            let (t, x) = draw(&mut rng, &model(5));
            let tc = q.prepare::<f64>(t).unwrap();
            assert_eq!(tc.fast_requant, fast);
            let mut tr = QuantTrace::new();
            q.forward_traced(&tc, &x.map(|v| v as f64), &mut tr);
            let mut h: [i64; 8] = core::array::from_fn(|i| {
                let a = tc.bias0[i] as i64 + (0..2).map(|d| q.first.w[i][d] as i64 * tr.u[d] as i64).sum::<i64>();
                tanh_reference(rq(a, &q.first.rq[i]))
            });
            assert_eq!(h.map(|v| v as i16), tr.h0);
            for (l, layer) in q.hidden.iter().enumerate() {
                h = core::array::from_fn(|i| {
                    let a = layer.bias()[i] as i64 + (0..8).map(|j| layer.weight(i, j) as i64 * h[j]).sum::<i64>();
                    tanh_reference(rq(a, &layer.rq[i]))
                });
                assert_eq!(h.map(|v| v as i16), tr.hs[l], "layer {l}");
            }
            let out: [i32; 2] = core::array::from_fn(|o| {
                let a = q.output.bias()[o] as i64 + (0..8).map(|j| q.output.weight(o, j) as i64 * h[j]).sum::<i64>();
                rq(a, &q.output.rq[o]) as i32
            });
            assert_eq!(out, tr.out);
        }
    }
}
