//! The scalar type chosen at run time, and dispatch to generic code.

use clap::ValueEnum;

/// The scalar types of the core, as named on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, ValueEnum)]
pub enum ScalarKind {
    /// IEEE double precision.
    F64,
    /// IEEE single precision.
    F32,
    /// Fixed point, 16 integer and 16 fraction bits.
    I16f16,
    /// Fixed point, 8 integer and 24 fraction bits.
    I8f24,
}

impl ScalarKind {
    /// Every kind, in report order.
    pub const ALL: [ScalarKind; 4] = [ScalarKind::F64, ScalarKind::F32, ScalarKind::I16f16, ScalarKind::I8f24];

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            ScalarKind::F64 => "f64",
            ScalarKind::F32 => "f32",
            ScalarKind::I16f16 => "i16f16",
            ScalarKind::I8f24 => "i8f24",
        }
    }
}

impl std::fmt::Display for ScalarKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Run `$body` with the type alias `$S` set to the scalar type named by a [`ScalarKind`].
#[macro_export]
macro_rules! with_scalar {
    ($kind:expr, $S:ident => $body:expr) => {
        match $kind {
            $crate::eval::ScalarKind::F64 => {
                type $S = f64;
                $body
            }
            $crate::eval::ScalarKind::F32 => {
                type $S = f32;
                $body
            }
            $crate::eval::ScalarKind::I16f16 => {
                type $S = fixed::types::I16F16;
                $body
            }
            $crate::eval::ScalarKind::I8f24 => {
                type $S = fixed::types::I8F24;
                $body
            }
        }
    };
}
