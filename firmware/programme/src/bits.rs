//! Raw bits of the scalar types, so that results compare exactly.

use fixed::types::{I16F16, I8F24};
use tinyscore::Status;

/// A value reported as its 32 raw bits.
pub trait Bits32: Copy {
    /// IEEE-754 bits for `f32`, two's-complement bits for fixed point.
    fn bits(self) -> u32;
}

impl Bits32 for f32 {
    fn bits(self) -> u32 {
        self.to_bits()
    }
}

impl Bits32 for I16F16 {
    fn bits(self) -> u32 {
        self.to_bits() as u32
    }
}

impl Bits32 for I8F24 {
    fn bits(self) -> u32 {
        self.to_bits() as u32
    }
}

/// 0 for ok, 1 for saturated.
pub fn status_bits(s: Status) -> u32 {
    u32::from(!s.is_ok())
}
