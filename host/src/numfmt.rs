//! Numbers printed so that they read back exactly: shortest round-trip decimal for
//! floats (`ryu`), the exact decimal expansion for fixed point.

use tinyscore::Scalar;

/// Format a value of the scalar type `S` so that parsing the text gives the same value.
pub fn format_scalar<S: Scalar>(v: S) -> String {
    let x = v.to_f64();
    match S::NAME {
        "f32" => format_f32(x as f32),
        "f64" => format_f64(x),
        "i16f16" => exact_decimal((x * 65536.0) as i64, 16),
        _ => exact_decimal((x * 16_777_216.0) as i64, 24),
    }
}

/// Shortest decimal that reads back as the same `f64`.
pub fn format_f64(x: f64) -> String {
    if x.is_finite() {
        ryu::Buffer::new().format_finite(x).to_string()
    } else if x.is_nan() {
        "NaN".into()
    } else if x > 0.0 {
        "inf".into()
    } else {
        "-inf".into()
    }
}

/// Shortest decimal that reads back as the same `f32`.
pub fn format_f32(x: f32) -> String {
    if x.is_finite() {
        ryu::Buffer::new().format_finite(x).to_string()
    } else {
        format_f64(x as f64)
    }
}

/// The exact decimal value of `raw / 2^frac_bits`, without trailing zeros.
pub fn exact_decimal(raw: i64, frac_bits: u32) -> String {
    let neg = raw < 0;
    let mag = raw.unsigned_abs() as u128;
    let int = mag >> frac_bits;
    let frac = mag & ((1u128 << frac_bits) - 1);
    // frac / 2^F = frac * 5^F / 10^F: exactly F decimal digits.
    let digits = frac * 5u128.pow(frac_bits);
    let mut s = format!("{}{}", if neg { "-" } else { "" }, int);
    if digits != 0 {
        let f = format!("{:0width$}", digits, width = frac_bits as usize);
        s.push('.');
        s.push_str(f.trim_end_matches('0'));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_decimal_reads_back() {
        assert_eq!(exact_decimal(65536 + 32768, 16), "1.5");
        assert_eq!(exact_decimal(-1, 16), "-0.0000152587890625");
        assert_eq!(exact_decimal(0, 24), "0");
        for raw in [-123_456_789i64, 1, 7, i32::MAX as i64, i32::MIN as i64] {
            let s = exact_decimal(raw, 24);
            let back: f64 = s.parse().unwrap();
            assert_eq!((back * 16_777_216.0) as i64, raw, "{s}");
        }
    }

    #[test]
    fn floats_round_trip() {
        for x in [0.1f64, 1e-300, -3.0, 1.0 / 3.0] {
            assert_eq!(format_f64(x).parse::<f64>().unwrap(), x);
        }
        for x in [0.1f32, 1e-30, -3.0, 1.0 / 3.0] {
            assert_eq!(format_f32(x).parse::<f32>().unwrap(), x);
        }
    }
}
